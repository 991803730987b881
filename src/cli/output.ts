/**
 * What every grt command does the same way: exit codes, one-line errors, JSON lines, progress.
 *
 * Exit codes: 0 done; 1 partly done (some files failed); 2 nothing could start (usage, an image
 * or path that cannot be opened) — and 2 for a bug, which alone prints a stack trace.
 */
import { formatBytes } from '../util/format-bytes.js';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeError, GrtError } from '../errors.js';
import { parse, type CommandOptions } from './args.js';
import type { Image, OpenImageOptions } from '../image.js';
import { version } from '../../package.json';

export const EXIT_OK = 0;
export const EXIT_PARTIAL = 1;
export const EXIT_NOT_STARTED = 2;

/** The parts of a Node stream the commands use (tests pass plain collectors). */
export interface OutStream {
  write(chunk: string | Uint8Array): boolean;
  once?(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env?: Record<string, string | undefined>;
  /** Stops a long run (the scripts wire SIGINT to it). */
  signal?: AbortSignal;
  /** Standard input, for `grt-catalog -` (default: process.stdin). */
  stdin?: AsyncIterable<Uint8Array>;
  /** Opens images; tests substitute one that returns a fake file system. */
  openImage?: (path: string, options: OpenImageOptions) => Promise<Image>;
}

/** Write to a stream, waiting when it asks us to (large `--stdout` copies). */
export async function writeOut(stream: OutStream, chunk: string | Uint8Array): Promise<void> {
  if (!stream.write(chunk) && stream.once) await new Promise<void>((resolve) => stream.once!('drain', resolve));
}

/** Characters gathered before a listing writes: one write per line cost 0.9 s per 100,000 lines. */
const LINE_BATCH_CHARS = 64 * 1024;

/** Lines of a listing gathered into large writes; `flush` when done (also before failing). */
export class LineWriter {
  private parts: string[] = [];
  private chars = 0;

  constructor(private readonly stream: OutStream) {}

  async line(text: string): Promise<void> {
    if (this.add(text)) await this.flush();
  }

  /** Gathers `text` without writing (no promise per line); true when enough has gathered to `flush`. */
  add(text: string): boolean {
    this.parts.push(text);
    this.chars += text.length;
    return this.chars >= LINE_BATCH_CHARS;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.chars = 0;
    await writeOut(this.stream, chunk);
  }
}

/**
 * One JSON object on one line; bigints as decimal strings. Most values have none, and a replacer
 * function makes stringify several times slower, so it is used only when stringify refuses a bigint.
 */
export function jsonLine(value: unknown): string {
  try {
    return JSON.stringify(value) + '\n';
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
  }
}

/**
 * What a run has done so far, for its exit code when it is interrupted: 1 once it has begun to
 * write its output (a partial result), 2 before (nothing started). The command sets `started`.
 */
export interface RunState {
  started: boolean;
}

/**
 * A command's whole run: parse `argv` against `options` (which include --help), print `usage` for
 * --help and the version for --version, else run `body` with the parsed arguments under
 * runCommand's error rules.
 */
export function runParsed<const O extends CommandOptions>(
  name: string,
  usage: string,
  options: O,
  argv: string[],
  io: CliIo,
  body: (parsed: ReturnType<typeof parse<O>>, state: RunState) => Promise<number>,
): Promise<number> {
  return runCommand(name, io, async (state) => {
    const parsed = parse(argv, options, name);
    const flags = parsed.values as { help?: boolean; version?: boolean };
    if (flags.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    if (flags.version) {
      io.stdout.write(`${name} ${version}\n`);
      return EXIT_OK;
    }
    return body(parsed, state);
  });
}

/**
 * Run a command body; a thrown GrtError becomes one line on stderr (`name: CODE: message`) and
 * exit 2, or 1 for an interruption once the body had started its output (RunState).
 */
export async function runCommand(name: string, io: CliIo, body: (state: RunState) => Promise<number>): Promise<number> {
  const state: RunState = { started: false };
  try {
    return await body(state);
  } catch (error) {
    if (error instanceof GrtError) {
      io.stderr.write(`${name}: ${describeError(error)}\n`);
      // Interrupted work is partial work; anything else thrown here stopped it from starting.
      return error.code === 'ABORTED' && state.started ? EXIT_PARTIAL : EXIT_NOT_STARTED;
    }
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`${name}: internal error (a bug in grt; please report it):\n${text}\n`);
    return EXIT_NOT_STARTED;
  }
}

export { formatBytes };

/** ABORTED once `signal` fired (a stop signal): for loops that write output but no files. */
export function throwIfStopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new GrtError('ABORTED', 'stopped before the end');
}

/** `1 file`, `2 files`: a count with its noun. */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Seconds of copying before an ETA is shown: the first reads (a cold cache, a worker starting) say little about the rate. */
const ETA_AFTER_SECONDS = 2;
/** An estimate longer than this is noise from a stalled or just-started copy, not a forecast: not shown. */
const MAX_ETA_SECONDS = 100 * 3600;

/** ` ETA mm:ss` once the rate means something, else nothing. */
export function etaText(bytesDone: number, bytesTotal: number, seconds: number): string {
  if (seconds < ETA_AFTER_SECONDS || bytesDone <= 0 || bytesTotal <= bytesDone) return '';
  const eta = ((bytesTotal - bytesDone) * seconds) / bytesDone;
  return Number.isFinite(eta) && eta <= MAX_ETA_SECONDS ? `  ETA ${formatDuration(eta)}` : '';
}

/** Updates per second at most: enough to look live, few enough not to slow a copy. */
const PROGRESS_INTERVAL_MS = 100;

/** A one-line progress display on stderr, only when stderr is a terminal. */
export class Progress {
  private last = 0;
  private readonly started = performance.now();
  private shown = false;
  /** Whether lines are shown (stderr is a terminal): work done only for them can be skipped otherwise. */
  constructor(private readonly stderr: OutStream, readonly enabled = stderr.isTTY === true) {}

  /** Whether a line is due now (enabled, and `force` or the interval passed); if so, its time is taken. */
  private due(force: boolean): boolean {
    if (!this.enabled) return false;
    const now = performance.now();
    if (!force && now - this.last < PROGRESS_INTERVAL_MS) return false;
    this.last = now;
    return true;
  }

  update(p: { bytesDone: number; bytesTotal: number; filesDone?: number; filesTotal?: number }, force = false): void {
    if (!this.due(force)) return;
    const seconds = (this.last - this.started) / 1000;
    const rate = seconds > 0 ? formatBytes(p.bytesDone / seconds) : '-';
    const files = p.filesTotal !== undefined ? `  ${p.filesDone ?? 0}/${p.filesTotal} files` : '';
    this.stderr.write(`\r${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}${files}  ${rate}/s${etaText(p.bytesDone, p.bytesTotal, seconds)}\x1b[K`);
    this.shown = true;
  }

  /** A progress line of free text (counts without a known total, e.g. catalog entries). */
  message(text: string, force = false): void {
    if (!this.due(force)) return;
    this.stderr.write(`\r${text}\x1b[K`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

/** True when the module at `metaUrl` is the script node was started with (also through an npm bin symlink). */
export function isMain(metaUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(metaUrl));
  } catch {
    return false;
  }
}

/**
 * Signals that stop a command as Ctrl-C (SIGINT) does: backup agents and systemd stop a job with
 * SIGTERM, and closing its terminal sends SIGHUP. Each aborts the run, which removes its temp files.
 */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/**
 * Time a stopped run has to remove its temp files and return before the process exits anyway
 * (a read or write the abort cannot interrupt): a stop must not be ignored.
 */
const STOP_GRACE_MS = 10_000;

/** Run `main` as the process: real streams, SIGINT/SIGTERM/SIGHUP abort, exit code set. */
export function runAsScript(main: (argv: string[], io: CliIo) => Promise<number>): void {
  const controller = new AbortController();
  const stop = (): void => {
    if (controller.signal.aborted) return; // a repeated signal: the first one's cleanup is under way
    controller.abort();
    setTimeout(() => process.exit(EXIT_PARTIAL), STOP_GRACE_MS).unref();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT_OK); // `| head` closed the pipe: not an error
  });
  void main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal }).then((code) => {
    process.exitCode = code;
  });
}
