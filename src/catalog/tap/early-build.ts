/**
 * The tap's early build: once every byte the look-ahead wants is kept (or has passed), the catalog
 * is built in a worker thread (build-worker.ts) while the rest of the stream still passes, so the
 * build's time hides behind the stream's instead of following it. This side hands the worker the
 * kept pages (their buffers transferred: the calling thread then keeps only the ranges), keeps and
 * forwards what the build's reads ask for as it passes, and at the end tells it the disk as it is.
 *
 * A read of the build that passed unkept waits for `finish`, where it is read back like any other
 * (pendingReadBack lists it meanwhile).
 */
import type { Worker } from 'node:worker_threads';
import { GrtError } from '../../errors.js';
import type { DiskInfo } from '../../vmdk/disk.js';
import { startWorkerProgram, type WorkerProgram } from '../../vmdk/inflate-worker-url.js';
import type { BuildOptions } from '../build.js';
import type { ImageCatalogSummary } from '../for-image.js';
import type { KeptBytes, KeptPages } from './kept-bytes.js';
import type { ByteRange } from './ranges.js';
import { errorFrom, type FromBuildWorker, type ToBuildWorker } from './worker-messages.js';

/**
 * When the tap builds early: 'auto' when the metadata kept is at least EARLY_BUILD_MIN_BYTES,
 * 'always' whenever the look-ahead is done before the stream ends, 'never' (after the stream).
 */
export type EarlyBuildMode = 'auto' | 'always' | 'never';

/**
 * Bytes of kept metadata from which 'auto' builds early: 8 MiB of MFT is 8,192 files, a build of
 * ~0.1 s, while starting the worker costs ~0.05 s of CPU and its own heap; smaller volumes build
 * after the stream as fast.
 */
export const EARLY_BUILD_MIN_BYTES = 8 * 1024 * 1024;

/**
 * The worker's young generation, in MiB (V8's default lets it grow to 48 MiB). The build's
 * short-lived objects die young either way; a small young generation keeps the worker's memory
 * beside the calling thread's within the tap's 150 MiB (measured on 100,000 files: peak RSS 183
 * MiB at the default, 152 at 4 MiB, for the same CPU time).
 */
const WORKER_YOUNG_GENERATION_MB = 4;

/** The worker program, as tsup builds it (tsup.config.ts) and relative to vmdk/inflate-worker-url.ts. */
const BUILD_WORKER: WorkerProgram = {
  built: ['./catalog/tap/build-worker', '../catalog/tap/build-worker', './build-worker'],
  source: '../catalog/tap/build-worker.ts',
};

/** What the early build asks of the tap. */
export interface EarlyBuildHooks {
  /** Keep [start, end) of the disk as it passes. */
  want(range: ByteRange): void;
  /** Whether no byte of `range` is still to come (kept, passed, or a hole). */
  settled(range: ByteRange): boolean;
  /** The parts of `range` that passed unkept: only `finish` gets them (read back). */
  passed(range: ByteRange): ByteRange[];
}

/** Fetches the unkept bytes of a range once the stream ended (read back, or noted missing). */
export type FetchAtEnd = (range: ByteRange) => Promise<void>;

export class EarlyBuild {
  /** Reads of the build waiting for bytes, by id. */
  private readonly needs = new Map<number, ByteRange>();
  private failure: Error | undefined;
  private done: ((message: Extract<FromBuildWorker, { type: 'done' }>) => void) | undefined;
  private fetch: FetchAtEnd | undefined;
  /** Needs answered after the stream ended, one after another. */
  private fetching: Promise<void> = Promise.resolve();
  private onProgress: BuildOptions['onProgress'];

  private constructor(
    private readonly worker: Worker,
    private readonly hooks: EarlyBuildHooks,
  ) {}

  /** Hand `kept`'s pages to a new build worker; undefined when no worker starts (the tap then builds after the stream). */
  static start(kept: KeptBytes, limitBytes: number, info: DiskInfo, hooks: EarlyBuildHooks): EarlyBuild | undefined {
    let worker: Worker;
    try {
      worker = startWorkerProgram(BUILD_WORKER, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    } catch {
      return undefined;
    }
    // Until finish, the worker does not hold the process open (a tap given up before it, a failed stream).
    worker.unref();
    const build = new EarlyBuild(worker, hooks);
    worker.on('message', (message: FromBuildWorker) => build.receive(message));
    worker.on('error', (error) => build.fail(error));
    worker.on('exit', (code) => build.fail(new Error(`catalog build worker exited (code ${code})`)));
    const pages = kept.handOff((diskOffset, bytes) => {
      // A copy of its own: the caller reuses its buffers.
      const copy = bytes.slice();
      build.post({ type: 'bytes', diskOffset, bytes: copy }, [copy.buffer]);
    });
    build.post({ type: 'start', pages, limitBytes, info }, transferable(pages));
    return build;
  }

  private post(message: ToBuildWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private receive(message: FromBuildWorker): void {
    switch (message.type) {
      case 'need': {
        const range = { start: message.start, end: message.end };
        this.needs.set(message.id, range);
        if (this.fetch) this.answerAtEnd(message.id, range);
        else {
          this.hooks.want(range);
          this.answer();
        }
        return;
      }
      case 'progress':
        this.onProgress?.(message.progress);
        return;
      case 'done':
        this.done?.(message);
        return;
      case 'failed':
        this.fail(errorFrom(message.error));
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.done?.(undefined as never);
  }

  /** While the stream passes: tell the build which of its reads can go on (every byte kept, none passed unkept). */
  answer(): void {
    for (const [id, range] of this.needs) {
      if (!this.hooks.settled(range) || this.hooks.passed(range).length > 0) continue;
      this.needs.delete(id);
      this.post({ type: 'settled', id });
    }
  }

  private answerAtEnd(id: number, range: ByteRange): void {
    this.fetching = this.fetching.then(async () => {
      await this.fetch!(range);
      this.needs.delete(id);
      this.post({ type: 'settled', id });
    });
    this.fetching.catch((error: unknown) => this.fail(error as Error));
  }

  /** The parts of the build's waiting reads that passed unkept: what `finish` will read back for it. */
  pendingReadBack(): ByteRange[] {
    return [...this.needs.values()].flatMap((range) => this.hooks.passed(range));
  }

  /**
   * The stream ended: answer every read (through `fetch`), have the worker finish the catalog over
   * the disk as it is (`info`), and give its summary and the bytes it kept.
   */
  async finish(info: DiskInfo, path: string | undefined, fetch: FetchAtEnd, options: BuildOptions): Promise<{ summary: ImageCatalogSummary; keptBytes: number }> {
    this.onProgress = options.onProgress;
    this.fetch = fetch;
    this.worker.ref();
    const abort = () => this.fail(new GrtError('ABORTED', 'catalog build aborted', { structure: 'catalog build' }));
    options.signal?.addEventListener('abort', abort);
    try {
      const result = new Promise<Extract<FromBuildWorker, { type: 'done' }>>((resolve) => (this.done = resolve));
      if (options.signal?.aborted) abort();
      // A failure while the stream passed (the worker's memory limit, a fault): the build is void.
      if (this.failure) throw this.failure;
      for (const [id, range] of this.needs) this.answerAtEnd(id, range);
      this.post({ type: 'finish', info, path });
      const done = await result;
      if (this.failure) throw this.failure;
      return { summary: done.summary, keptBytes: done.keptBytes };
    } finally {
      options.signal?.removeEventListener('abort', abort);
      await this.close();
    }
  }

  /** Stop the worker (after finish, or when the tap is given up). */
  async close(): Promise<void> {
    this.failure ??= new GrtError('ABORTED', 'the catalog tap was closed', { structure: 'catalog tap' });
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** The page buffers of `pages` that can move to the worker (each wholly its page's). */
function transferable(pages: KeptPages): ArrayBuffer[] {
  return [...pages.pages, ...pages.packed].map(([, bytes]) => bytes).filter((b) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength).map((b) => b.buffer as ArrayBuffer);
}
