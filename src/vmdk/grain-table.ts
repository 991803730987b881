/**
 * The read/map engine every grained extent shares (hosted sparse, streamOptimized, COWD, seSparse):
 * a two-level map (grain directory → grain tables → grains), tables loaded lazily into a bounded
 * LRU, and reads that merge neighbouring grains into as few file reads as the layout allows.
 *
 * Each format decodes its own tables into a GrainTableView: a function from a grain's index within
 * its table to a location code, so the hot loop below is plain arithmetic with no allocation.
 * Sources: VMware "Virtual Disk Format 5.0" technote, "Grain Directories and Grain Tables".
 */
import { LRUCache } from 'lru-cache';
import { GrtError } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { checkRange, copyOut, readInto, type HostCopy } from '../io/byte-source.js';
import type { Extent, ExtentRange, ParentRead, RangeState } from './extent.js';

/** Location codes; a non-negative code is the byte offset in the file of the grain (or its marker). */
export const GRAIN_PARENT = -1; // not held here: the parent's bytes (zeros without a parent)
export const GRAIN_ZERO = -2; // held as "all zeros" without data
export const GRAIN_MISSING = -3; // should be here but the file lost it (truncated streamOptimized)
export const GRAIN_BAD = -4; // the table entry is damaged (points outside the file, bad type bits)

export type GrainTableView = (indexInTable: number) => number;

/** A whole table of one kind: unallocated GD entries, or GD entries we could not trust. */
export const ALL_PARENT: GrainTableView = () => GRAIN_PARENT;
export const ALL_BAD: GrainTableView = () => GRAIN_BAD;

/** A table of one kind is handled in one step, so a huge empty extent costs one step per table. */
function isWholeTable(view: GrainTableView): boolean {
  return view === ALL_PARENT || view === ALL_BAD;
}

/** Grain tables kept decoded; 64 × the largest table (seSparse, 32 KiB) stays at 2 MiB. */
export const DEFAULT_TABLE_CACHE = 64;
/**
 * One file read never exceeds this: a large request over contiguous grains is split, so the
 * temporary buffer a read allocates stays bounded whatever the caller asks for.
 */
export const MAX_COALESCED_READ_BYTES = 8 * 1024 * 1024;
/**
 * Pieces of one read (file reads, compressed grains) in flight at once: enough to keep the libuv
 * threadpool (4 threads; inflate runs there too) busy on every core, few enough that buffers for
 * pieces not yet copied out stay small (16 × (compressed + inflated grain)).
 */
const MAX_PIECES_IN_FLIGHT = 16;

/** One grain a read wants: bytes [inGrain, inGrain + target.length) of grain `grainIndex`. */
export interface CompressedGrainRequest {
  grainIndex: number;
  /** Where the grain's record (marker + compressed bytes) starts in the file. */
  recordOffset: number;
  target: Uint8Array;
  inGrain: number;
}

/**
 * Bytes of compressed grains read and inflated as one batch: a 1 MiB restore chunk is one batch
 * (16 or 17 grains of 64 KiB), one file read and one trip to an inflate worker (inflate-pool.ts).
 */
const COMPRESSED_BATCH_BYTES = 1024 * 1024;

export interface GrainedExtentOptions {
  file: ByteSource;
  path: string;
  /** The extent's size in bytes (capacity × 512). */
  sizeBytes: number;
  grainBytes: number;
  grainsPerTable: number;
  /** Decode grain table `tableIndex` (validate its entries against the file size here). */
  loadTable(tableIndex: number): Promise<GrainTableView>;
  /** Where a grain's map entry lies in the file, for the error when it cannot be read (tableEntryOffsets). */
  entryOffset?(grainIndex: number): number;
  /**
   * For compressed extents: fill each request's target from its grain, whose record starts at the
   * grain's location. When absent, a non-negative location is raw grain data.
   */
  readCompressedGrains?(requests: readonly CompressedGrainRequest[]): Promise<void>;
  tableCacheSize?: number;
}

const RUN_NONE = 0;
const RUN_DATA = 1;
const RUN_ZERO = 2;
const RUN_PARENT = 3;

/**
 * GrainedExtentOptions.entryOffset for a two-level map: the grain's entry in its table, or the
 * directory entry when `tableOffset` gives none (the directory entry itself is what is damaged).
 */
export function tableEntryOffsets(
  map: { grainsPerTable: number; directoryOffset: number; directoryEntryBytes: number; tableEntryBytes: number },
  tableOffset: (tableIndex: number) => number | undefined,
): (grainIndex: number) => number {
  return (grainIndex) => {
    const tableIndex = Math.floor(grainIndex / map.grainsPerTable);
    const table = tableOffset(tableIndex);
    if (table === undefined) return map.directoryOffset + tableIndex * map.directoryEntryBytes;
    return table + (grainIndex - tableIndex * map.grainsPerTable) * map.tableEntryBytes;
  };
}

/** A location code that cannot be read as the error it stands for (MISSING_DATA or BAD_TABLE). */
function unreadable(options: GrainedExtentOptions, grainIndex: number, location: number): GrtError {
  const sector = (grainIndex * options.grainBytes) / 512;
  const entryOffset = options.entryOffset?.(grainIndex);
  const at = entryOffset === undefined ? { path: options.path } : { offset: entryOffset, space: 'file' as const, path: options.path };
  return location === GRAIN_MISSING
    ? new GrtError('MISSING_DATA', `grain ${grainIndex} (extent sector ${sector}) is not in the file: it was cut short`, { structure: 'grain', ...at })
    : new GrtError('BAD_TABLE', `grain table entry for grain ${grainIndex} (extent sector ${sector}) is damaged or points past the end of the file`, { structure: 'grain table', ...at });
}

/**
 * The state of one GrainedExtent.read: the pending run of grains of one kind, the compressed grains
 * waiting in a batch, and the pieces in flight. One per read, so the per-grain visit is a method
 * call on plain fields, with no allocation.
 */
class GrainRead {
  // The pending run: bytes [runStart, runStart + runLength) of the extent, all of one kind; for
  // data, stored contiguously from runFileOffset.
  private runKind = RUN_NONE;
  private runStart: number;
  private runLength = 0;
  private runFileOffset = 0;
  // Pieces run concurrently, at most MAX_PIECES_IN_FLIGHT at a time, each writing its own part
  // of `out`; pieces are awaited oldest first, so the error reported is the first in disk order,
  // as if the pieces had run one by one.
  private readonly inFlight: Promise<void>[] = [];
  private pieceFailed = false;
  // Compressed grains wait in a batch, read and inflated together (stream-optimized.ts).
  // Counted in bytes wanted, not grains: a read that starts inside a grain wants parts of one
  // grain more than its size in grains, and a batch of that one part alone would not go to a worker.
  private batch: CompressedGrainRequest[] = [];
  private batchBytes = 0;

  constructor(
    private readonly options: GrainedExtentOptions,
    private readonly offset: number,
    private readonly out: Uint8Array,
    private readonly fromParent: ParentRead,
  ) {
    this.runStart = offset;
  }

  private async awaitOldest(): Promise<void> {
    try {
      await this.inFlight.shift();
    } catch (error) {
      this.pieceFailed = true;
      throw error;
    }
  }

  private async start(piece: Promise<void>): Promise<void> {
    piece.catch(() => undefined); // observed in order below: no unhandled rejection meanwhile
    this.inFlight.push(piece);
    if (this.inFlight.length >= MAX_PIECES_IN_FLIGHT) await this.awaitOldest();
  }

  private async flushBatch(): Promise<void> {
    if (this.batch.length === 0) return;
    const requests = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    await this.start(this.options.readCompressedGrains!(requests));
  }

  private async flush(): Promise<void> {
    await this.flushBatch(); // earlier grains' piece first: pieces start in disk order
    const { runKind, runStart, runLength, runFileOffset } = this;
    const { file } = this.options;
    const target = this.out.subarray(runStart - this.offset, runStart - this.offset + runLength);
    if (runKind === RUN_ZERO) target.fill(0);
    else if (runKind === RUN_PARENT) await this.start(this.fromParent(target, runStart));
    else if (runKind === RUN_DATA) {
      if (runFileOffset + runLength > file.size) {
        throw new GrtError('MISSING_DATA', `grain data for extent byte ${runStart} lies beyond the end of the file`, {
          structure: 'grain',
          offset: runFileOffset,
          space: 'file',
          expected: runFileOffset + runLength,
          actual: file.size,
          path: this.options.path,
        });
      }
      await this.start(readInto(file, runFileOffset, target));
    }
    this.runKind = RUN_NONE;
    this.runLength = 0;
  }

  /** Start a run of `kind` at `pos`, ending (flushing) the pending one first. */
  private async newRun(kind: number, pos: number, take: number, fileOffset = 0): Promise<void> {
    if (this.runKind !== RUN_NONE) await this.flush();
    this.runKind = kind;
    this.runStart = pos;
    this.runLength = take;
    this.runFileOffset = fileOffset;
  }

  private async compressedPiece(grain: number, location: number, pos: number, inGrain: number, take: number): Promise<void> {
    if (this.runKind !== RUN_NONE) await this.flush();
    this.batch.push({ grainIndex: grain, recordOffset: location, target: this.out.subarray(pos - this.offset, pos - this.offset + take), inGrain });
    this.batchBytes += take;
    if (this.batchBytes >= COMPRESSED_BATCH_BYTES) await this.flushBatch();
  }

  /** Extends the pending run synchronously; returns a promise only when a run ends or a piece starts. */
  readonly visit = (grain: number, pos: number, inGrain: number, take: number, location: number): Promise<void> | undefined => {
    if (location >= 0 && this.options.readCompressedGrains) return this.compressedPiece(grain, location, pos, inGrain, take);
    if (location >= 0) {
      const fileOffset = location + inGrain;
      if (this.runKind !== RUN_DATA || this.runFileOffset + this.runLength !== fileOffset || this.runLength + take > MAX_COALESCED_READ_BYTES) {
        return this.newRun(RUN_DATA, pos, take, fileOffset);
      }
    } else if (location === GRAIN_ZERO || location === GRAIN_PARENT) {
      const kind = location === GRAIN_ZERO ? RUN_ZERO : RUN_PARENT;
      if (this.runKind !== kind) return this.newRun(kind, pos, take);
    } else {
      throw unreadable(this.options, grain, location);
    }
    this.runLength += take;
    return undefined;
  };

  /** After the last grain: the pending run and batch, then every piece, oldest first. */
  async finish(): Promise<void> {
    if (this.runKind !== RUN_NONE) await this.flush();
    await this.flushBatch();
    while (this.inFlight.length > 0) await this.awaitOldest();
  }

  /**
   * The error to throw for `error`, once every started piece has finished, so none writes into
   * `out` afterwards. An error of the loop itself comes after every piece still in flight: theirs go first.
   */
  async failure(error: unknown): Promise<unknown> {
    const settled = await Promise.allSettled(this.inFlight);
    const earlier = settled.find((result) => result.status === 'rejected');
    return this.pieceFailed || !earlier ? error : earlier.reason;
  }
}

export class GrainedExtent implements Extent {
  readonly size: number;
  private readonly tables: LRUCache<number, Promise<GrainTableView>>;

  constructor(private readonly options: GrainedExtentOptions) {
    this.size = options.sizeBytes;
    this.tables = new LRUCache({ max: Math.max(1, options.tableCacheSize ?? DEFAULT_TABLE_CACHE) });
  }

  private table(tableIndex: number): Promise<GrainTableView> {
    let pending = this.tables.get(tableIndex);
    if (!pending) {
      pending = this.options.loadTable(tableIndex);
      this.tables.set(tableIndex, pending);
      // A failed load is not cached: the next read tries again (and fails the same way).
      pending.catch(() => this.tables.delete(tableIndex));
    }
    return pending;
  }

  async read(offset: number, out: Uint8Array, fromParent: ParentRead): Promise<void> {
    checkRange(this, offset, out.length, `extent ${this.options.path}`);
    const pending = new GrainRead(this.options, offset, out, fromParent);
    try {
      await this.forEachGrain(offset, offset + out.length, pending.visit);
      await pending.finish();
    } catch (error) {
      throw await pending.failure(error);
    }
  }

  /**
   * The grains from `offset` on that are stored raw one after another in the file, as one run (at
   * most `length` bytes). None for a compressed extent, nor from a grain that is zeroed, a
   * parent's, damaged, or (in part) past the end of the file: reading those gives their bytes or
   * their error.
   */
  async copyOut(offset: number, length: number, copy: HostCopy): Promise<number> {
    checkRange(this, offset, length, `extent ${this.options.path}`);
    const { grainBytes, grainsPerTable, file, readCompressedGrains } = this.options;
    if (readCompressedGrains) return 0;
    const end = offset + length;
    let runFileOffset = -1;
    let runLength = 0;
    let tableIndex = -1;
    let view: GrainTableView = ALL_BAD;
    for (let pos = offset; pos < end; ) {
      const grain = Math.floor(pos / grainBytes);
      if (Math.floor(grain / grainsPerTable) !== tableIndex) {
        tableIndex = Math.floor(grain / grainsPerTable);
        view = await this.table(tableIndex);
      }
      const location = view(grain - tableIndex * grainsPerTable);
      const inGrain = pos - grain * grainBytes;
      if (location < 0 || (runLength > 0 && location + inGrain !== runFileOffset + runLength)) break;
      if (runLength === 0) runFileOffset = location + inGrain;
      const take = Math.min(grainBytes - inGrain, end - pos);
      runLength += take;
      pos += take;
    }
    if (runLength === 0 || runFileOffset + runLength > file.size) return 0;
    return copyOut(file, runFileOffset, runLength, copy);
  }

  /**
   * Walk [offset, end) grain by grain in order, loading each grain table once; a table of one kind
   * (all parent, all damaged) is one step. `visit` gets the grain, the extent byte position, the
   * offset inside the grain, the byte count and the grain's location code; it returns a promise
   * only when it has asynchronous work, so plain grains cost no promise.
   */
  private async forEachGrain(
    offset: number,
    end: number,
    visit: (grain: number, pos: number, inGrain: number, take: number, location: number) => Promise<void> | undefined,
  ): Promise<void> {
    const { grainBytes, grainsPerTable } = this.options;
    let pos = offset;
    while (pos < end) {
      const grainIndex = Math.floor(pos / grainBytes);
      const tableIndex = Math.floor(grainIndex / grainsPerTable);
      const view = await this.table(tableIndex);
      const tableEnd = Math.min(end, (tableIndex + 1) * grainsPerTable * grainBytes);
      const whole = isWholeTable(view);
      for (let grain = grainIndex; pos < tableEnd; grain++) {
        const inGrain = pos - grain * grainBytes;
        const take = whole ? tableEnd - pos : Math.min(grainBytes - inGrain, tableEnd - pos);
        const pending = visit(grain, pos, inGrain, take, view(grain - tableIndex * grainsPerTable));
        if (pending) await pending;
        pos += take;
      }
    }
  }

  /**
   * NOTE: grains lost from a truncated file and grains whose table entry is damaged map as 'data':
   * the extent should hold them, and reading them throws (MISSING_DATA / BAD_TABLE) rather than
   * silently returning the parent's or zero bytes.
   */
  async map(offset: number, length: number): Promise<ExtentRange[]> {
    checkRange(this, offset, length, `extent ${this.options.path}`);
    const ranges: ExtentRange[] = [];
    await this.forEachGrain(offset, offset + length, (_grain, pos, _inGrain, take, location) => {
      const state: RangeState = location === GRAIN_PARENT ? 'parent' : location === GRAIN_ZERO ? 'zero' : 'data';
      const last = ranges[ranges.length - 1];
      if (last && last.state === state) last.length += take;
      else ranges.push({ offset: pos, length: take, state });
      return undefined;
    });
    return ranges;
  }
}
