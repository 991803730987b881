/**
 * The restore engine: everything a restore keeps between files and between calls — the inflate
 * workers (through an Inflation, which the disks read are opened with: `openImage(path,
 * { inflation: engine.inflation })`), the writer thread, the temp-name tag and counter, and the pool
 * of chunk buffers. A caller that restores often (a backup service) creates one (createEngine),
 * passes it to every call (`restore({ engine })`, exportDisk, streamTo) and closes it when done;
 * a call given none makes its own and closes it before returning.
 */
import { randomBytes } from 'node:crypto';
import { pageAlignedBuffer } from '../io/aligned-buffer.js';
import type { VirtualDisk } from '../vmdk/disk.js';
import { Inflation } from '../vmdk/inflate-pool.js';
import { loadNativeCopy, type NativeCopy } from './native-copy.js';
import { WriteThread, type SpawnWriter } from './write-thread.js';

/**
 * Bytes read from the image per request. Larger chunks gain nothing (with page-aligned buffers
 * and 64 KiB writes, 512 KiB to 4 MiB restore 1 GiB alike within noise) and risk the buffer a
 * pread fills on one core and a write empties on the other falling out of cache; below 512 KiB
 * the per-chunk cost (promises, layout lookups) shows.
 */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * Chunks read ahead of the one being written. A streamOptimized chunk is read (its compressed
 * records), inflated on a worker, then written, and a worker's reply waits while the main thread
 * writes (round trip ~1 ms against ~0.3 ms of inflating): with one chunk ahead the main thread
 * idled 250 ms of a 512 MiB restore. Measured on that restore, alternating: 2 ahead 0.63–0.70 s,
 * 4 ahead 0.57–0.66 s; the 1 GiB flat restore was no worse. Costs a 1 MiB buffer each.
 */
export const READ_AHEAD_CHUNKS = 4;

/**
 * Files of at most one chunk that a restore copies at once (restore.ts; larger files go alone),
 * so their image reads (and inflate round trips) overlap: 3,000 files of 4–22 KiB from a sparse
 * disk took 1.25 s one at a time, 0.9–1.1 s eight at a time. Each holds one chunk buffer.
 */
export const FILES_IN_FLIGHT = 8;

/**
 * Chunk buffers kept between copies: a restore of many files copies one after another, and a new
 * mapping per file (shared WebAssembly memory) cost ~35 µs and was reclaimed late — 10,000 small
 * files peaked 20–35 MiB higher. At most this many are kept (one large copy's worth, or one per
 * small file in flight), each CHUNK_BYTES.
 */
const POOLED_BUFFERS = Math.max(READ_AHEAD_CHUNKS + 1, FILES_IN_FLIGHT);

export interface EngineOptions {
  /** Where grains are inflated; default: one of the engine's own, stopped when it closes. */
  inflation?: Inflation;
  /** Starts the writer thread; tests give writers that fail. */
  spawnWriter?: SpawnWriter;
  /** The kernel copies (native-copy.ts); default: the addon if it loads. null: none, every byte read and written here. */
  nativeCopy?: NativeCopy | null;
}

export class Engine {
  readonly inflation: Inflation;
  /** Where chunks go that should not hold the calling thread (write-thread.ts). */
  readonly writeThread: WriteThread;
  /**
   * Temp names are this engine's random tag and a counter: unguessable to another process, and
   * distinct within this one. (A random draw per file cost ~15 µs — randomBytes calls getpid and
   * the CSPRNG each time — a tenth of a small file's restore.) O_EXCL still refuses any clash.
   */
  private readonly tempTag = randomBytes(6).toString('hex');
  private tempCounter = 0;
  private readonly pooledBuffers: Uint8Array[] = [];
  /** Made here (not given): its workers stop with the engine. */
  private readonly ownsInflation: boolean;
  /** The kernel-copy addon: undefined until first asked for, null when absent or disabled. */
  private native: NativeCopy | null | undefined;

  constructor(options: EngineOptions = {}) {
    this.native = options.nativeCopy;
    this.ownsInflation = options.inflation === undefined;
    this.inflation = options.inflation ?? new Inflation();
    this.writeThread = new WriteThread(options.spawnWriter);
  }

  /** The kernel copies (kernel-copy.ts), loaded at the first copy; undefined without the addon. */
  nativeCopy(): NativeCopy | undefined {
    if (this.native === undefined) this.native = loadNativeCopy() ?? null;
    return this.native ?? undefined;
  }

  /** A fresh temp-name tag: this engine's random tag and its next count. */
  nextTempTag(): string {
    return `${this.tempTag}${(this.tempCounter++).toString(16)}`;
  }

  /**
   * A buffer of at least `bytes`. Page-aligned: the kernel's copies out of the page cache run ~4×
   * faster into them (aligned-buffer.ts). Shared: inflate workers write compressed grains straight
   * into them (vmdk/inflate-pool.ts).
   */
  takeChunkBuffer(bytes: number): Uint8Array {
    if (bytes <= CHUNK_BYTES) return this.pooledBuffers.pop() ?? pageAlignedBuffer(CHUNK_BYTES, { shared: true });
    return pageAlignedBuffer(bytes, { shared: true });
  }

  returnChunkBuffer(buffer: Uint8Array): void {
    if (buffer.length === CHUNK_BYTES && this.pooledBuffers.length < POOLED_BUFFERS) this.pooledBuffers.push(buffer);
  }

  /**
   * Get ready to read `disk` (opened with this engine's `inflation`): on a disk with compressed
   * grains, grains that inflate slowly and large reads' WOF chunks (fs/ntfs/wof.ts) go to worker
   * threads (started when first needed). Not on other disks: a listing or a small restore is as
   * fast without them and leaner (vmdk/inflate-pool.ts, "Opt-in"), and a WOF restore from a sparse
   * disk measured slower with them on the 2-core VM (bench/wof-restore.mjs: 256 MiB LZX 3.8 s
   * wall and 204 MiB with workers, 2.8 s and 99 MiB without).
   */
  prepareFor(disk: VirtualDisk | undefined): void {
    if (hasCompressedGrains(disk)) this.inflation.enableWorkers();
  }

  /**
   * Stop the writer thread and drop the pooled buffers; stop the inflate workers when the engine
   * made its Inflation (one it was given is the caller's to close).
   */
  async close(): Promise<void> {
    this.pooledBuffers.length = 0;
    if (this.ownsInflation) this.inflation.close();
    await this.writeThread.close();
  }
}

export function createEngine(options: EngineOptions = {}): Engine {
  return new Engine(options);
}

/** Whether any disk of the chain (a delta over a streamOptimized base too) holds compressed grains. */
export function hasCompressedGrains(disk: VirtualDisk | undefined): boolean {
  for (let link = disk; link; link = link.parent) {
    if (link.info.extents.some((extent) => extent.format === 'streamOptimized')) return true;
  }
  return false;
}

/** Run `work` with `given`, or with an engine of its own that is closed afterwards. */
export async function withEngine<T>(given: Engine | undefined, work: (engine: Engine) => Promise<T>): Promise<T> {
  if (given) return work(given);
  const engine = createEngine();
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
}
