/**
 * Grains inflated on worker threads, so a restore from a streamOptimized disk decodes on the other
 * cores while the main thread reads the image and writes the file. bench/peers.mjs measures it
 * (README "Performance").
 *
 * - Batches, not grains: one message carries a read's grains (a 1 MiB read is 16), so the round
 *   trip (~0.1 ms) is paid per batch. Batches smaller than WORKER_MIN_GRAINS stay on the calling
 *   thread, where one grain costs ~15–50 µs: browsing the MFT never waits on a worker.
 * - Only slow grains travel. How fast a batch inflates follows from how well it compressed,
 *   known before it is inflated (measured with the reused context, 1 MiB batches of 64 KiB
 *   grains): 1.02:1 to 5:1 (executables, most binary data) 0.35–0.7 GB/s; 5:1 to 10:1 ~1.5 GB/s;
 *   10:1 to 30:1 ~2.3 GB/s; over 30:1 (logs, zeros) ~5.7 GB/s; stored blocks (incompressible
 *   data: no smaller than their output) ~12 GB/s. Batches of at least INLINE_MIN_RATIO, and
 *   stored ones, are inflated here, and the copy's writes go to a thread of their own
 *   (restore/write-thread.ts): such grains inflate about as fast as they can be written, and a
 *   worker only adds a round trip and a copy of the input: with `grt-extract --stdout` on two
 *   cores, the bench's 1 GiB random file (stored grains) restores about a quarter faster this
 *   way than with its grains on workers, and the 512 MiB log as fast and ~20 MiB leaner. Slower
 *   batches go to the workers.
 * - Zero copies when the destination is shared memory (the restore's chunk buffers are): the
 *   worker inflates straight into it. Otherwise the worker sends its output back (transferred)
 *   and it is copied once.
 * - Opt-in: workers are used once Inflation.enableWorkers() has been called (a restore's Engine
 *   does for a disk with compressed grains, Engine.prepareFor: its grains, and WOF chunks of
 *   large reads, which are never fast, see inflatesFast); before that every batch is inflated here. A listing or a
 *   catalog reads the MFT as fast without them and ~30 MiB leaner (measured: catalog of the
 *   100k-file streamOptimized bench disk 0.91–1.18 s / 123 MiB inline, 1.05–1.19 s / 149–160 MiB
 *   with two workers); a large restore is where they pay.
 * - Workers start when a slow batch finds none idle (batches are inflated here until one is up,
 *   ~30 ms), not before: started while the file was looked up, they made a one-file restore
 *   ~50 ms slower (two isolates booting on two cores, and the exit waits for them) and the log
 *   ~40 ms slower, for ~70 ms gained on 320 MiB of executables. They are unreferenced while idle
 *   (a process with nothing else to do exits), stop after IDLE_WORKER_MS idle, and run
 *   inflate-worker.ts: the same chunk decoder as this thread (chunk-decoder.ts), so WOF chunks
 *   (XPRESS Huffman, LZX) travel too; inflate-worker-url.ts finds the program in dist/ or
 *   bundles it from source.
 * - A worker that cannot start or dies takes the pool down to the calling thread: its batches and
 *   every later one are inflated there, with the same results.
 */
import type { Worker } from 'node:worker_threads';
import { osModule, zlibModule } from '../util/builtins.js';
import { CODECS, createChunkDecoder, type ChunkDecoder } from './chunk-decoder.js';
import { INFLATE_CORRUPT } from './inflate.js';
import { JOB_FIELDS, RETURNED } from './inflate-jobs.js';
import { startInflateWorker } from './inflate-worker-url.js';
import type { GrainInflation, InflateJob, InflateResults } from './inflation.js';

export type { GrainInflation, InflateJob, InflateResults };

/** Batches of fewer grains are inflated on the calling thread (a round trip costs a few grains). */
export const WORKER_MIN_GRAINS = 4;
/**
 * A worker idle this long is stopped: a long-running process (a backup service) that restores now
 * and then keeps no threads and no zlib contexts between restores; the next large batch starts one.
 */
export const IDLE_WORKER_MS = 10_000;
/**
 * Workers at most. Batches in flight are few (a restore reads READ_AHEAD_CHUNKS = 4 chunks ahead),
 * and every worker holds a zlib context and a V8 isolate (~10 MiB): more would only cost memory.
 */
const MAX_WORKERS = 4;
/**
 * Batches whose output is at least this many times their compressed size are inflated on the
 * calling thread (at ~1.5 GB/s and up; see the header).
 */
export const INLINE_MIN_RATIO = 8;

interface PendingBatch {
  jobs: InflateJob[];
  /** Per job: whether the worker sends its bytes back (its memory is not the batch's shared memory). */
  returned: boolean[];
  resolve(results: InflateResults): void;
}

interface PoolWorker {
  worker: Worker;
  /** Started (its 'online' event came): until then batches are inflated here, not queued behind its start-up. */
  ready: boolean;
  /** Settles when the worker is up or has failed to start. */
  online: Promise<void>;
  inFlight: number;
  /** Stops the worker once it has been idle IDLE_WORKER_MS. */
  idleTimer?: ReturnType<typeof setTimeout>;
  /** Stopped for idleness: its exit is no failure. */
  retired: boolean;
}

interface Reply {
  id: number;
  produced: Int32Array;
  errors: string[];
  /** The returned jobs' bytes, one job's room after another. */
  output: Uint8Array;
}

function isShared(buffer: ArrayBufferLike): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
}

/**
 * Whether a batch inflates fast (INLINE_MIN_RATIO): well compressed, or stored. WOF chunks never
 * do: XPRESS and LZX decode at 150–300 MB/s, slower than the slowest zlib grains.
 */
export function inflatesFast(jobs: readonly InflateJob[]): boolean {
  let input = 0;
  let room = 0;
  for (const job of jobs) {
    if (job.codec !== undefined && job.codec !== 'zlib') return false;
    input += job.input.length;
    room += job.out.length;
  }
  return room >= INLINE_MIN_RATIO * input || input >= room;
}

/** Inflate every job on this thread, with `decoder` (a fresh one when none is given). */
export function inflateInline(jobs: readonly InflateJob[], decoder: ChunkDecoder = createChunkDecoder(zlibModule())): InflateResults {
  const produced = new Int32Array(jobs.length);
  const errors: string[] = [];
  jobs.forEach((job, i) => {
    produced[i] = decoder.decode(job);
    errors.push(produced[i] === INFLATE_CORRUPT ? decoder.lastError : '');
  });
  return { produced, errors };
}

/** Starts one inflate worker; tests give the pool workers that fail. */
export type SpawnInflateWorker = () => Worker;

/** The real thing: a worker running inflate-worker.ts (inflate-worker-url.ts finds it). */
export const spawnInflateWorker: SpawnInflateWorker = startInflateWorker;

/** The worker pool of an Inflation; exported for tests with their own `spawn`. */
export class InflatePool {
  private readonly workers: PoolWorker[] = [];
  private readonly pending = new Map<number, PendingBatch>();
  private nextId = 0;
  private broken = false;
  private readonly size = Math.max(1, Math.min(MAX_WORKERS, osModule().availableParallelism()));
  /**
   * `keepFast`: batches that inflate fast stay on this thread (inflatesFast); tests give false to
   * send every large batch to a worker.
   */
  constructor(
    private readonly spawn: SpawnInflateWorker = spawnInflateWorker,
    public keepFast = true,
    /** Inflates a batch kept on this thread (the owning Inflation counts it). */
    private readonly inflateHere: (jobs: readonly InflateJob[]) => InflateResults = (jobs) => inflateInline(jobs),
    /** Hears that a large batch went to a worker. */
    private readonly sentAway: () => void = () => undefined,
  ) {}

  run(jobs: readonly InflateJob[]): Promise<InflateResults> {
    const slot = this.broken || (this.keepFast && inflatesFast(jobs)) ? undefined : this.pick();
    if (!slot) return Promise.resolve(this.inflateHere(jobs));
    this.sentAway();
    // The worker writes straight into one shared memory (the restore's chunk buffer); a job whose
    // memory is another (a partial grain's own buffer) gets its bytes sent back.
    const shared = jobs.find((job) => isShared(job.out.buffer))?.out.buffer;
    const returned = jobs.map((job) => job.out.buffer !== shared);
    // The inputs, packed into one buffer that is handed over (transferred, not copied).
    const input = new Uint8Array(jobs.reduce((sum, job) => sum + job.input.length, 0));
    const fields = new Float64Array(jobs.length * JOB_FIELDS);
    let at = 0;
    jobs.forEach((job, i) => {
      input.set(job.input, at);
      fields.set([at, job.input.length, returned[i] ? RETURNED : job.out.byteOffset, job.out.length, CODECS.indexOf(job.codec ?? 'zlib')], i * JOB_FIELDS);
      at += job.input.length;
    });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { jobs: [...jobs], returned, resolve });
      clearTimeout(slot.idleTimer);
      if (slot.inFlight++ === 0) slot.worker.ref();
      slot.worker.postMessage({ id, input, jobs: fields, shared: shared ?? null }, [input.buffer]);
    });
  }

  /**
   * The least busy started worker, or none (inflate here). Another is started whenever none is
   * idle and there is room; a worker takes ~30 ms to start, so the first batches of a restore are
   * inflated here meanwhile rather than waiting.
   */
  private pick(): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const slot of this.workers) if (slot.ready && (!best || slot.inFlight < best.inFlight)) best = slot;
    if ((!best || best.inFlight > 0) && this.workers.length < this.size && this.workers.every((slot) => slot.ready)) this.start();
    return best;
  }

  /** Start every worker there is room for; resolves with how many are up. */
  async startAll(): Promise<number> {
    while (!this.broken && this.workers.length < this.size) this.start();
    await Promise.all(this.workers.map((slot) => slot.online));
    return this.broken ? 0 : this.workers.filter((slot) => slot.ready).length;
  }

  private start(): void {
    try {
      const worker = this.spawn();
      let online = (): void => undefined;
      const slot: PoolWorker = { worker, ready: false, inFlight: 0, online: new Promise((resolve) => (online = resolve)), retired: false };
      worker.on('online', () => {
        slot.ready = true;
        // Referenced while starting (someone may be waiting for it), then only while it has work.
        if (slot.inFlight === 0) this.idle(slot);
        online();
      });
      worker.once('exit', online);
      worker.on('message', (reply: Reply) => this.settle(slot, reply));
      worker.on('error', () => this.fail());
      worker.on('exit', () => {
        if (!slot.retired) this.fail();
      });
      this.workers.push(slot);
    } catch {
      this.broken = true;
    }
  }

  private settle(slot: PoolWorker, reply: Reply): void {
    const batch = this.pending.get(reply.id);
    if (!batch) return;
    this.pending.delete(reply.id);
    if (--slot.inFlight === 0) this.idle(slot);
    let at = 0;
    batch.jobs.forEach((job, i) => {
      if (!batch.returned[i]) return;
      const produced = reply.produced[i]!;
      if (produced > 0) job.out.set(reply.output.subarray(at, at + produced));
      at += job.out.length;
    });
    batch.resolve({ produced: reply.produced, errors: reply.errors });
  }

  /** A worker with nothing to do: it holds no process open, and stops if nothing comes for a while. */
  private idle(slot: PoolWorker): void {
    slot.worker.unref();
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      const at = this.workers.indexOf(slot);
      if (slot.inFlight > 0 || at < 0) return;
      slot.retired = true;
      this.workers.splice(at, 1);
      void slot.worker.terminate();
    }, IDLE_WORKER_MS);
    slot.idleTimer.unref();
  }

  /** Workers running now (started, not stopped). */
  get running(): number {
    return this.workers.length;
  }

  /** A worker failed: every batch still out is inflated here, and so is every later one. */
  private fail(): void {
    if (this.broken) return;
    this.broken = true;
    for (const slot of this.workers) {
      clearTimeout(slot.idleTimer);
      void slot.worker.terminate();
    }
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const batch of left) batch.resolve(inflateInline(batch.jobs));
  }

  /** Stop every worker now (Inflation.close); batches still out are inflated here. */
  close(): void {
    this.fail();
  }
}

/**
 * Where a disk inflates its grains (OpenDiskOptions.inflation; a restore's Engine owns one): the inline inflater, the
 * worker pool once enabled, and the counts a copy reads to tell whether this thread is busy
 * inflating (restore/write.ts writeChunk).
 */
export class Inflation implements GrainInflation {
  private inlineDecoder: ChunkDecoder | undefined;
  private pool: InflatePool | undefined;
  /** Large batches (WORKER_MIN_GRAINS or more) inflated on this thread so far. */
  private largeBatchesHere = 0;
  /** Whether the latest large batch was inflated on this thread (not sent to a worker). */
  private latestBatchHere = false;

  constructor(private readonly spawn: SpawnInflateWorker = spawnInflateWorker) {}

  /**
   * Inflate a batch of grains: on worker threads when they have been enabled (enableWorkers), the
   * batch is large enough to pay for the trip and inflates slowly (inflatesFast); otherwise here.
   * The results are the same either way.
   */
  batch(jobs: readonly InflateJob[]): Promise<InflateResults> {
    if (jobs.length < WORKER_MIN_GRAINS) return Promise.resolve(this.inline(jobs));
    if (!this.pool) return Promise.resolve(this.inflateHere(jobs));
    return this.pool.run(jobs);
  }

  /** Inflate every job on this thread, with this Inflation's reused context. */
  inline(jobs: readonly InflateJob[]): InflateResults {
    this.inlineDecoder ??= createChunkDecoder(zlibModule());
    return inflateInline(jobs, this.inlineDecoder);
  }

  /** Inflate a large batch on this thread, and count it (inflatingHereSince). */
  private inflateHere(jobs: readonly InflateJob[]): InflateResults {
    this.largeBatchesHere++;
    this.latestBatchHere = true;
    return this.inline(jobs);
  }

  /** A mark to give inflatingHereSince later. */
  hereCount(): number {
    return this.largeBatchesHere;
  }

  /**
   * Whether this thread is busy inflating: since `mark` (hereCount() at the start of a copy) it
   * has inflated large batches itself, and the latest one stayed here (fast grains do; slow ones
   * go to workers once they are up). Such a copy writes on a thread of its own rather than hold
   * this one (restore/write.ts writeChunk).
   */
  inflatingHereSince(mark: number): boolean {
    return this.latestBatchHere && this.largeBatchesHere !== mark;
  }

  /**
   * Let large batches of slowly inflating grains go to worker threads from now on; the workers
   * start when such a batch first needs one. `keepFast` false sends every large batch (tests).
   */
  enableWorkers(keepFast = true): InflatePool {
    this.pool ??= new InflatePool(this.spawn, keepFast, (jobs) => this.inflateHere(jobs), () => (this.latestBatchHere = false));
    this.pool.keepFast = keepFast;
    return this.pool;
  }

  /** How many inflate workers are running now (for tests and diagnostics). */
  get workersRunning(): number {
    return this.pool?.running ?? 0;
  }

  /** Stop the workers; later batches are inflated here until workers are enabled again. */
  close(): void {
    this.pool?.close();
    this.pool = undefined;
  }
}
