/**
 * The fuzz harness: runs cases in worker threads with a time limit (a hang is killed and reported),
 * a V8 heap limit (an out-of-memory worker is reported, then replaced) and an ArrayBuffer budget
 * (Uint8Arrays live outside the heap, so the worker meters them). The worker is TypeScript: esbuild
 * (already a dependency of vitest and tsup) bundles it to one .mjs at start, so this works the
 * same under vitest and from a plain node script, with no build step.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TARGET_TIMEOUT_MS, type CaseSpec, type Outcome, type WorkerReply } from './protocol.js';

export type { CaseSpec } from './protocol.js';

export interface HarnessOptions {
  workers?: number;
  /** Per case. */
  timeoutMs?: number;
  /** V8 old-generation limit per worker. */
  heapMb?: number;
  /** ArrayBuffer bytes a case may hold at once beyond its input. */
  arrayBufferMb?: number;
  /** Repository root (default: two levels above this file; a bundled runner passes it). */
  root?: string;
}

export type Verdict = 'ok' | 'grt' | 'crash' | 'timeout' | 'oom' | 'memory';

export interface CaseResult {
  spec: CaseSpec;
  verdict: Verdict;
  code?: string;
  detail: string;
  stack?: string;
  /** The damage applied (file, offset, what). */
  log: string[];
  ms: number;
}

/** True for results that are bugs: anything but a summary or a GrtError within the limits. */
export function isFailure(result: CaseResult): boolean {
  return result.verdict !== 'ok' && result.verdict !== 'grt';
}

/** One line (plus the damage log and stack) that reproduces a failing case. */
export function describe(result: CaseResult): string {
  const { spec } = result;
  const id = spec.fixture ? `fixture ${spec.fixture.dir}` : `target=${spec.target} seed=${spec.seed}${spec.mutate === false ? ' (undamaged)' : ''}`;
  return [`${result.verdict.toUpperCase()} ${id}: ${result.detail}`, ...result.log.map((l) => `  damage: ${l}`), ...(result.stack ? [result.stack] : [])].join('\n');
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function bundleWorker(root: string, outDir: string): Promise<string> {
  const esbuild = await import('esbuild');
  const outfile = join(outDir, 'fuzz-worker.mjs');
  await esbuild.build({
    entryPoints: [join(root, 'test/fuzz/worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
    // CommonJS dependencies bundled into ESM still call require() for node built-ins.
    banner: { js: "import { createRequire as __grtCreateRequire } from 'node:module'; const require = __grtCreateRequire(import.meta.url);" },
  });
  return outfile;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

export class FuzzHarness {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private readonly waiting: (() => void)[] = [];

  private constructor(
    private readonly script: string,
    private readonly scratch: string,
    private readonly options: Required<HarnessOptions>,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<FuzzHarness> {
    const scratch = await mkdtemp(join(tmpdir(), 'grt-fuzz-'));
    const full = { workers: 1, timeoutMs: 5000, heapMb: 256, arrayBufferMb: 256, root: REPO_ROOT, ...options };
    const script = await bundleWorker(full.root, scratch);
    const harness = new FuzzHarness(script, scratch, full);
    for (let i = 0; i < full.workers; i++) harness.slots.push({ worker: harness.spawn(), busy: false });
    return harness;
  }

  private spawn(): Worker {
    const worker = new Worker(this.script, {
      workerData: { root: this.options.root, scratch: this.scratch },
      resourceLimits: { maxOldGenerationSizeMb: this.options.heapMb, maxYoungGenerationSizeMb: 32 },
      stdout: true,
      stderr: true,
    });
    // Readers do not print; drain the pipes so a chatty case cannot block.
    worker.stdout.resume();
    worker.stderr.resume();
    worker.unref();
    return worker;
  }

  private async acquire(): Promise<Slot> {
    for (;;) {
      const free = this.slots.find((s) => !s.busy);
      if (free) {
        free.busy = true;
        return free;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(slot: Slot): void {
    slot.busy = false;
    this.waiting.shift()?.();
  }

  /** Run one case to its verdict; a dead or killed worker is replaced. */
  async run(spec: CaseSpec): Promise<CaseResult> {
    const slot = await this.acquire();
    const id = this.nextId++;
    const worker = slot.worker;
    let log: string[] = [];
    const started = performance.now();
    const result = await new Promise<CaseResult | { files: [string, Uint8Array][]; main: string; log: string[] }>((resolveCase) => {
      let replace = false;
      const finish = (value: CaseResult | { files: [string, Uint8Array][]; main: string; log: string[] }) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (replace) {
          void worker.terminate();
          slot.worker = this.spawn();
        }
        resolveCase(value);
      };
      const elapsed = () => performance.now() - started;
      const limit = spec.timeoutMs ?? Math.max(this.options.timeoutMs, TARGET_TIMEOUT_MS[spec.target] ?? 0);
      const timer = setTimeout(() => {
        replace = true;
        finish({ spec, verdict: 'timeout', detail: `no result within ${limit} ms`, log, ms: elapsed() });
      }, limit);
      const onMessage = (reply: WorkerReply) => {
        if (reply.id !== id) return;
        if (reply.type === 'started') log = reply.log;
        else if (reply.type === 'files') finish({ files: reply.files, main: reply.main, log: reply.log });
        else finish(this.judge(spec, reply.outcome, reply.arrayBufferPeak, log, reply.ms));
      };
      const onError = (error: Error & { code?: string }) => {
        replace = true;
        const oom = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
        finish({ spec, verdict: oom ? 'oom' : 'crash', detail: `worker ${oom ? 'ran out of heap' : 'died'}: ${error.message}`, stack: error.stack, log, ms: elapsed() });
      };
      const onExit = (code: number) => {
        replace = true;
        finish({ spec, verdict: 'crash', detail: `worker exited with code ${code}`, log, ms: elapsed() });
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, spec });
    });
    this.release(slot);
    if ('files' in result) throw new Error('run() got files; use materialize()');
    return result;
  }

  private judge(spec: CaseSpec, outcome: Outcome, arrayBufferPeak: number, log: string[], ms: number): CaseResult {
    const limit = this.options.arrayBufferMb * 1024 * 1024;
    if (arrayBufferPeak > limit) {
      return { spec, verdict: 'memory', detail: `ArrayBuffers grew by ${Math.round(arrayBufferPeak / 1048576)} MiB (limit ${this.options.arrayBufferMb})`, log, ms };
    }
    if (outcome.kind === 'ok') return { spec, verdict: 'ok', detail: outcome.detail, log, ms };
    if (outcome.kind === 'grt') return { spec, verdict: 'grt', ...(outcome.code ? { code: outcome.code } : {}), detail: outcome.detail, log, ms };
    return { spec, verdict: 'crash', detail: outcome.detail, ...(outcome.stack ? { stack: outcome.stack } : {}), log, ms };
  }

  /** The (damaged) input files of a case, without running it: for saving a regression fixture. */
  async materialize(spec: CaseSpec): Promise<{ files: [string, Uint8Array][]; main: string; log: string[] }> {
    const slot = await this.acquire();
    const id = this.nextId++;
    try {
      return await new Promise((resolveFiles, reject) => {
        const onMessage = (reply: WorkerReply) => {
          if (reply.id !== id) return;
          slot.worker.off('message', onMessage);
          if (reply.type === 'files') resolveFiles({ files: reply.files, main: reply.main, log: reply.log });
          else reject(new Error(`cannot remake the input: ${reply.type === 'done' ? reply.outcome.detail : reply.type}`));
        };
        slot.worker.on('message', onMessage);
        slot.worker.postMessage({ id, spec: { ...spec, materialize: true } });
      });
    } finally {
      this.release(slot);
    }
  }

  /** Run cases over all workers; results in the order given. */
  async runAll(specs: CaseSpec[], onResult?: (result: CaseResult) => void): Promise<CaseResult[]> {
    return Promise.all(
      specs.map(async (spec) => {
        const result = await this.run(spec);
        onResult?.(result);
        return result;
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    await rm(this.scratch, { recursive: true, force: true });
  }
}
