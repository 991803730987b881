#!/usr/bin/env node
/**
 * grt-catalog: build a catalog of an image's files at backup time; export one later without the
 * image. Which of the two is meant is told by the file given: a catalog starts with its magic.
 *   grt-catalog IMAGE -o CATALOG [--json]
 *   grt-catalog - -o CATALOG [--image FILE] [--json]   (the image on standard input, as a backup writes it)
 *   grt-catalog CATALOG --format ndjson|bodyfile [--partition N] [--all] [--deleted]
 */
import { lstatSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { openImage, type Image } from '../image.js';
import type { ImageCatalogSummary } from '../catalog/for-image.js';
import { FileSource } from '../io/file-source.js';
import { GrtError, messageText, type GrtWarning } from '../errors.js';
// From the modules, not catalog/index.js: that also holds the tap, loaded only for a stream.
import { buildImageCatalog } from '../catalog/for-image.js';
import { chooseCatalogVolume } from '../catalog/catalog-fs.js';
import { openCatalog, type Catalog } from '../catalog/catalog.js';
import { toBodyfile, toNdjson } from '../catalog/export.js';
import { CATALOG_MAGIC } from '../catalog/magic.js';
import { IMAGE_HELP, IMAGE_OPTIONS, oneOf, parseVolumeId } from './args.js';
import { imageWarnings, openImageArg } from './open-image.js';
import { commandInputs } from './inputs.js';
import { catalogAt, isRemoteLocation, remoteOutput } from './remote-catalog.js';
import { refuseInputTarget } from '../restore/inputs.js';
import { loadNativePipe } from '../restore/native-pipe.js';
import { EXIT_OK, LineWriter, Progress, counted, formatBytes, isMain, jsonLine, runAsScript, runParsed, type CliIo } from './output.js';

const NAME = 'grt-catalog';
const USAGE = `usage: grt-catalog IMAGE -o CATALOG [--overwrite] [--json]
       grt-catalog - -o CATALOG [--image FILE] [--overwrite] [--json]
       grt-catalog CATALOG --format ndjson|bodyfile [--partition N] [--all] [--deleted]
options:
  -o, --output FILE   where to write the catalog of every volume grt can read (or s3://bucket/key)
  --overwrite         replace FILE if it exists (never the image or a file it reads)
  -                   read the image from standard input in one pass (a raw disk or a streamOptimized
                      VMDK): tee backup.vmdk < stream | grt-catalog - -o backup.grtc --image backup.vmdk
  --image FILE        with -: the file the stream is also written to; metadata the stream passed
                      before grt knew it was needed is read back from it (without it, grt says what
                      is missing and exits 2)
  --json              print one summary object: { catalog, volumes: [{ index, entries, ... }], bytes, seconds }
  --format FORMAT     export a catalog to stdout: ndjson (one JSON object a line) or bodyfile
                      (The Sleuth Kit body file, for mactime)
  --partition N       export only this volume
  --all               include NTFS metadata files ($MFT, ...)
  --deleted           include deleted entries
${IMAGE_HELP}
exit: 0 ok, 1 interrupted, 2 nothing could be done`;

const OPTIONS = {
  ...IMAGE_OPTIONS,
  partition: { type: 'string', short: 'p' },
  output: { type: 'string', short: 'o' },
  overwrite: { type: 'boolean' },
  json: { type: 'boolean' },
  format: { type: 'string' },
  all: { type: 'boolean' },
  deleted: { type: 'boolean' },
  image: { type: 'string' },
} as const;

/** How long to wait for the file `tee` writes to reach the stream's length (tee may write it after our copy). */
const TEE_WAIT_MS = 10_000;
/** Standard input read ahead of the tap at most (see readAhead). */
const READ_AHEAD_BYTES = 32 * 1024 * 1024;
/**
 * Bytes of standard input handed to the tap at a time (readStdin): one read of a pipe gives at
 * most what the pipe holds (STDIN_PIPE_BYTES when it could be grown, else 64 KiB), so a larger
 * buffer saves only the tap's per-call cost; 1 MiB makes that negligible.
 */
const STDIN_BUFFER_BYTES = 1024 * 1024;
/**
 * The capacity asked for a standard input that is a pipe (fcntl F_SETPIPE_SZ, native/pipe.c):
 * Linux's default pipe-max-size, the most an unprivileged process may set, and one read buffer's
 * worth. From 64 KiB, reads per GiB fall from 16,384 to about 1,000 when the reader lags.
 */
const STDIN_PIPE_BYTES = 1024 * 1024;
/** How long to wait before reading again when standard input is non-blocking and empty. */
const STDIN_RETRY_MS = 1;

/** True when the file at `path` starts with the catalog magic (an image never does). */
async function isCatalogFile(path: string): Promise<boolean> {
  // Opened as every input is: a missing file is NOT_FOUND as in every command, and a FIFO never hangs.
  const file = await FileSource.open(path);
  try {
    return file.size >= CATALOG_MAGIC.length && (await file.read(0, CATALOG_MAGIC.length)).every((b, i) => b === CATALOG_MAGIC[i]);
  } finally {
    await file.close();
  }
}

async function exportCatalog(catalog: Catalog, format: 'ndjson' | 'bodyfile', partition: string | undefined, values: { all?: boolean; deleted?: boolean }, io: CliIo): Promise<void> {
  const indexes = partition === undefined ? catalog.volumes.map((v) => v.index) : [chooseCatalogVolume(catalog, partition)];
  const options = { recursive: true, all: values.all ?? false, deleted: values.deleted ?? false };
  const out = new LineWriter(io.stdout);
  try {
    for (const volume of indexes) {
      const entries = catalog.list(volume, '/', options);
      const info = catalog.volumes.find((v) => v.index === volume)!;
      // A partition of the first disk by its number, as before; other volumes by their id ("2:1", "vg0/root").
      const name = info.id === String(info.index) ? info.index : info.id;
      // Several volumes in one body file: each path gets its volume as mount point ("1:/dir/file").
      const lines = format === 'ndjson' ? toNdjson(entries, { volume: name, fs: info.fs }) : toBodyfile(entries, indexes.length > 1 ? { mountPoint: `${name}:` } : {});
      for await (const line of lines) await out.line(line);
    }
  } finally {
    await out.flush();
  }
}

/** The summary of a built catalog: warnings on stderr, then one JSON line or one line of counts. */
async function report(output: string, bytes: number, json: boolean, summary: ImageCatalogSummary, warnings: GrtWarning[], diskWarnings: GrtWarning[], started: number, io: CliIo): Promise<void> {
  const seconds = (performance.now() - started) / 1000;
  for (const w of warnings) io.stderr.write(`${NAME}: warning: ${w.message}\n`);
  if (json) {
    // The disk's own warnings are already on stderr (openImageArg); --json carries them too.
    io.stdout.write(jsonLine({ catalog: output, volumes: summary.volumes, bytes, seconds, warnings: [...diskWarnings, ...warnings] }));
  } else {
    const counts = summary.volumes.map((v) => `volume ${v.id}: ${counted(v.entries, 'entry', 'entries')}`).join(', ');
    io.stderr.write(`${NAME}: ${counts}; ${formatBytes(bytes)} written to ${output} in ${seconds.toFixed(1)} s\n`);
  }
}

/** Wait until the file tee writes holds `length` bytes (it may write a chunk after handing it to us). */
async function waitForTee(file: string, length: number): Promise<void> {
  const until = performance.now() + TEE_WAIT_MS;
  for (;;) {
    const size = await stat(file).then((s) => s.size, () => -1);
    if (size >= length) return;
    if (performance.now() > until) {
      throw new GrtError('TRUNCATED', `--image ${file} holds ${Math.max(size, 0)} bytes, not the ${length} of the stream`, { path: file, expected: length, actual: size });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The chunks of `input`, read ahead of the consumer up to READ_AHEAD_BYTES: the pipe is drained
 * while the tap works on earlier chunks, so the writer (tee, the backup) never waits on it. A
 * for-await over stdin alone reads only while the loop body is idle (measured: a 512 MiB raw
 * stream took 5.5 s that way against 1.7 s to read it).
 */
async function* readAhead(input: AsyncIterable<Uint8Array> & { pause?(): void; resume?(): void }): AsyncGenerator<Uint8Array> {
  const queue: Uint8Array[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const source = input as NodeJS.ReadableStream;
  if (typeof source.on !== 'function') {
    yield* input;
    return;
  }
  source.on('data', (chunk: Uint8Array) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued > READ_AHEAD_BYTES) source.pause();
    wake?.();
  });
  source.on('end', () => ((ended = true), wake?.()));
  source.on('error', (error) => ((failure = error), wake?.()));
  for (;;) {
    const chunk = queue.shift();
    if (chunk) {
      queued -= chunk.length;
      if (queued <= READ_AHEAD_BYTES / 2) source.resume();
      yield chunk;
      continue;
    }
    if (failure) throw new GrtError('IO_ERROR', `cannot read standard input: ${(failure as Error).message}`, { cause: failure });
    if (ended) return;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
}

/**
 * Standard input (file descriptor `fd`, 0 but in tests) read with blocking reads into one buffer, handed out whole
 * (or the last, partial one) and overwritten by the next: the consumer must be done with a chunk
 * before asking for the next. Measured on a 2.5 GiB raw disk piped from cat: 0.6 s of CPU against
 * 3.3-4.2 s for a for-await over process.stdin (a new 64 KiB buffer per event, and the garbage
 * collection of them all) and 1.6-3.8 s for fs.read through the thread pool. The event loop gets
 * a turn after every chunk, so a stop signal is seen between chunks (a writer that stalls holds
 * the read, and the stop, until it writes or closes).
 */
export async function* readStdin(fd = 0): AsyncGenerator<Uint8Array> {
  growPipe(fd);
  const buffer = Buffer.allocUnsafe(STDIN_BUFFER_BYTES);
  for (let ended = false; !ended; ) {
    let used = 0;
    while (used < buffer.length) {
      let n: number;
      try {
        n = readSync(fd, buffer, used, buffer.length - used, null);
      } catch (error) {
        // Non-blocking standard input (set so by the process that started us) with nothing in it yet.
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          await new Promise((resolve) => setTimeout(resolve, STDIN_RETRY_MS));
          continue;
        }
        // A pipe whose writer is gone reads as its end; anything else is an error.
        if ((error as NodeJS.ErrnoException).code === 'EOF') n = 0;
        else throw new GrtError('IO_ERROR', `cannot read standard input: ${(error as Error).message}`, { cause: error });
      }
      if (n === 0) {
        ended = true;
        break;
      }
      used += n;
    }
    if (used > 0) yield buffer.subarray(0, used);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Grow the pipe `fd` reads from to STDIN_PIPE_BYTES, so each read may return that much: best
 * effort, as without the addon (not a pipe, a lower pipe-max-size, another system: the reads are
 * smaller, the bytes the same). Returns the capacity it has, or undefined when unknown.
 */
export function growPipe(fd: number): number | undefined {
  try {
    return loadNativePipe()?.setPipeSize(fd, STDIN_PIPE_BYTES);
  } catch {
    return undefined;
  }
}

/**
 * Whether the catalog file `path` exists (a final symlink not followed). restore/write.ts has the
 * same check, but importing it loads the restore engine and its writer thread at start-up.
 */
function exists(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (cause) {
    throw new GrtError('IO_ERROR', `lstat failed (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { path, cause });
  }
}

/** grt-catalog -: the catalog tapped from the image on standard input (catalog/tap). */
async function catalogStdin(values: { output?: string; image?: string; overwrite?: boolean; json?: boolean; format?: string; partition?: string; all?: boolean; deleted?: boolean }, io: CliIo, state: { started: boolean }): Promise<number> {
  if (values.format !== undefined || values.partition !== undefined || values.all || values.deleted) throw new GrtError('USAGE', 'a stream on standard input is catalogued, not exported: give -o CATALOG');
  const output = values.output;
  if (output === undefined) throw new GrtError('USAGE', 'no output: give -o CATALOG');
  if (values.image !== undefined && resolve(values.image) === resolve(output)) throw new GrtError('USAGE', 'the catalog cannot be written over the image (--image)');
  if (!values.overwrite && exists(output)) throw new GrtError('EXISTS', 'the catalog file exists (not overwritten; --overwrite replaces it)', { path: output });
  // The tap (its stream parser and look-ahead) is loaded only for a stream: building from an image file does not pay for it.
  const { CatalogTap } = await import('../catalog/tap/index.js');
  const tap = new CatalogTap();
  const started = performance.now();
  const progress = new Progress(io.stderr);
  let streamBytes = 0;
  let image: Image | undefined;
  try {
    for await (const chunk of io.stdin ? readAhead(io.stdin) : readStdin()) {
      if (io.signal?.aborted) throw new GrtError('ABORTED', 'interrupted', { structure: 'catalog tap' });
      streamBytes += chunk.length;
      await tap.write(chunk);
      progress.message(`${formatBytes(streamBytes)} read`);
    }
    const imagePath = values.image;
    const readBack = imagePath === undefined ? undefined : async (offset: number, length: number): Promise<Uint8Array> => {
      if (!image) {
        await waitForTee(imagePath, streamBytes);
        image = await (io.openImage ?? openImage)(imagePath, {});
      }
      return image.disk.read(offset, length);
    };
    state.started = true;
    const summary = await tap
      .finish(output, {
        ...(readBack ? { readBack } : {}),
        onProgress: (p) => progress.message(`volume ${p.volume}: ${counted(p.entries, 'entry', 'entries')}`),
        ...(io.signal ? { signal: io.signal } : {}),
      })
      .catch((error: unknown) => {
        if (error instanceof GrtError && error.code === 'MISSING_DATA' && !readBack) {
          throw new GrtError('MISSING_DATA', `${messageText(error)}: give --image FILE, the file the stream was written to`, { structure: error.structure });
        }
        throw error;
      });
    progress.done();
    await report(output, (await stat(output)).size, values.json ?? false, summary, summary.warnings, [], started, io);
    return EXIT_OK;
  } finally {
    progress.done();
    // A stream that failed or was stopped: its early build (a worker thread) stops too.
    await tap.close();
    await image?.close();
  }
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  return runParsed(NAME, USAGE, OPTIONS, argv, io, async ({ values, positionals }, state) => {
    if (positionals.length === 0) throw new GrtError('USAGE', 'give an IMAGE (to build) or a CATALOG (to export); see --help');
    if (positionals.length > 1) throw new GrtError('USAGE', `too many arguments: ${positionals.slice(1).join(' ')}`);
    const format = oneOf(values.format, ['ndjson', 'bodyfile'] as const, '--format');
    const partition = parseVolumeId(values.partition);
    const path = positionals[0]!;
    if (path !== '-' && values.image !== undefined) throw new GrtError('USAGE', '--image is for a stream on standard input (grt-catalog - ...)');
    if (path === '-') return catalogStdin(values, io, state);

    const remoteCatalog = isRemoteLocation(path) ? await catalogAt(path, values, undefined, true) : undefined;
    if (remoteCatalog !== undefined || (!isRemoteLocation(path) && (await isCatalogFile(path)))) {
      if (!format) throw new GrtError('USAGE', `${path} is a catalog: export it with --format ndjson|bodyfile`);
      if (values.output !== undefined || values.json || values.overwrite) throw new GrtError('USAGE', 'an export goes to stdout; -o, --overwrite and --json are for building');
      const catalog = await openCatalog(remoteCatalog ?? path);
      state.started = true;
      await exportCatalog(catalog, format, partition, values, io);
      return EXIT_OK;
    }
    if (format) throw new GrtError('USAGE', `${path} is not a catalog; --format exports a catalog`);
    if (values.output === undefined) throw new GrtError('USAGE', 'no output: give -o CATALOG');
    if (partition !== undefined || values.all || values.deleted) throw new GrtError('USAGE', 'a catalog holds every volume and entry; --partition, --all and --deleted are for exports');

    // An s3:// output is built in a local temporary file, then uploaded.
    const remote = await remoteOutput(values.output, values);
    const target = remote?.path ?? values.output;
    let image: Awaited<ReturnType<typeof openImageArg>> | undefined;
    try {
      image = await openImageArg(path, values, io, NAME);
      // The catalog is written beside its name, then renamed over it: neither may be a file being read.
      const inputs = commandInputs(image.disks, [path]);
      refuseInputTarget(target, inputs);
      refuseInputTarget(`${target}.partial`, inputs);
      if (remote) await remote.checkAbsent(values.overwrite ?? false);
      else if (!values.overwrite && exists(values.output)) throw new GrtError('EXISTS', 'the catalog file exists (not overwritten; --overwrite replaces it)', { path: values.output });
    } catch (error) {
      await image?.close();
      await remote?.dispose();
      throw error;
    }
    const progress = new Progress(io.stderr);
    const started = performance.now();
    state.started = true;
    try {
      const summary = await buildImageCatalog(image, target, {
        onProgress: (p) => progress.message(`volume ${p.id ?? p.volume}: ${counted(p.entries, 'entry', 'entries')}`),
        ...(io.signal ? { signal: io.signal } : {}),
      });
      progress.done();
      const bytes = remote ? await remote.upload() : (await stat(values.output)).size;
      await report(values.output, bytes, values.json ?? false, summary, [...image.layout.warnings, ...summary.warnings], imageWarnings(image), started, io);
      return EXIT_OK;
    } finally {
      progress.done();
      await image.close();
      await remote?.dispose();
    }
  });
}

if (isMain(import.meta.url)) runAsScript(main);
