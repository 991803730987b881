/**
 * The catalog tapped from the backup stream: fed the bytes a backup product writes (a raw disk or
 * a streamOptimized VMDK, front to back; or disk blocks in any order, as changed-block tracking
 * delivers them), it keeps only the metadata a catalog reads, found by looking ahead as the stream
 * passes (look-ahead.ts; a file system's own part: fs/stream-lookahead.ts, fs/ntfs/tap-lookahead.ts), and at the end builds the catalog with the same code a
 * post-pass over the finished file runs, over the bytes it kept. Memory: the kept metadata.
 *
 * Metadata the stream passed before the tap knew it was wanted (an $MFT fragment earlier on the
 * disk than record 0; any block of an out-of-order stream that arrived before what points to it)
 * is read back at the end through the caller's `readBack`, or reported as missing.
 */
import { rm } from 'node:fs/promises';
import { GrtError } from '../../errors.js';
import { imageOfDisks } from '../../image.js';
import type { DiskInfo } from '../../vmdk/disk.js';
import { sniffVmdkFile, SECTOR_BYTES } from '../../vmdk/sparse-header.js';
import { buildImageCatalog, type ImageCatalogSummary } from '../for-image.js';
import type { BuildOptions } from '../build.js';
import { EarlyBuild, EARLY_BUILD_MIN_BYTES, type EarlyBuildMode } from './early-build.js';
import { KeptBytes } from './kept-bytes.js';
import { Lookaheads } from './look-ahead.js';
import { RangeSet, type ByteRange } from './ranges.js';
import { PassedBytes, TapDisk } from './tap-disk.js';
import { VmdkStreamDecoder } from './vmdk-stream.js';

/**
 * Default bound on kept metadata. An MFT takes 1 KiB per file: 1 GiB keeps a volume of a million
 * files; a stream claiming more is refused rather than allowed to take the host's memory.
 */
export const DEFAULT_MAX_KEPT_BYTES = 1024 * 1024 * 1024;
/** Ranges named in a MISSING_DATA message (pendingReadBack lists them all). */
const MESSAGE_RANGES = 8;

export interface CatalogTapOptions {
  /** Disk capacity in bytes: needed for `writeAt` blocks; a raw stream's is its length (checked when given). */
  capacity?: number;
  /** CIDs of the VMDK chain being written (child first), for the binding of `writeAt` blocks. */
  cids?: string[];
  /** Most bytes of metadata to keep (DEFAULT_MAX_KEPT_BYTES). */
  maxKeptBytes?: number;
  /** Build the catalog in a worker thread while the stream still passes, once the look-ahead is done ('auto'; early-build.ts). */
  earlyBuild?: EarlyBuildMode;
}

/** Reads `length` bytes of the finished virtual disk at `diskOffset` (e.g. from the file `tee` wrote). */
export type ReadBack = (diskOffset: number, length: number) => Promise<Uint8Array>;

export interface TapFinishOptions extends BuildOptions {
  readBack?: ReadBack;
}

export interface TapSummary extends ImageCatalogSummary {
  /** Bytes of metadata kept from the stream. */
  keptBytes: number;
  /** Bytes read back through `readBack`. */
  readBackBytes: number;
  /** Whether the catalog was built while the stream passed (in a worker thread), not after it. */
  earlyBuild: boolean;
}

/** The stream's form, once known. */
type Feed = 'undecided' | 'raw' | 'vmdk' | 'blocks';

export class CatalogTap {
  private readonly kept: KeptBytes;
  /** Disk ranges delivered so far. */
  private readonly seen = new RangeSet('delivered');
  private feed: Feed = 'undecided';
  /** Stream bytes before the form is known (less than a sector). */
  private head = new Uint8Array(0);
  /** Raw stream: bytes so far. VMDK stream: end of the furthest grain so far. */
  private position = 0;
  /** VMDK stream: grains came in increasing order so far (a gap below `position` is then a hole). */
  private inOrder = true;
  private decoder: VmdkStreamDecoder | undefined;
  private lookaheads: Lookaheads | undefined;
  /** The build under way in a worker (started), or why there is none yet (waiting) or will be none (declined). */
  private early: EarlyBuild | 'waiting' | 'declined' = 'waiting';
  /** Closed (close, a failed write, or finish): it takes no more bytes. */
  private closed = false;

  constructor(private readonly options: CatalogTapOptions = {}) {
    if (options.capacity !== undefined && !(Number.isSafeInteger(options.capacity) && options.capacity > 0)) {
      throw new GrtError('USAGE', 'CatalogTap capacity must be a positive safe integer', { actual: options.capacity });
    }
    this.kept = new KeptBytes(options.maxKeptBytes ?? DEFAULT_MAX_KEPT_BYTES);
  }

  /** Bytes of the stream in order: a raw disk or a streamOptimized VMDK (told by its first sector). */
  async write(bytes: Uint8Array): Promise<void> {
    return this.closingOnError(() => this.writeStream(bytes));
  }

  private async writeStream(bytes: Uint8Array): Promise<void> {
    if (this.feed === 'blocks') throw new GrtError('USAGE', 'a CatalogTap takes either a stream (write) or blocks (writeAt), not both');
    if (this.feed === 'undecided') {
      const joined = new Uint8Array(this.head.length + bytes.length);
      joined.set(this.head);
      joined.set(bytes, this.head.length);
      if (joined.length < SECTOR_BYTES) {
        this.head = joined;
        return;
      }
      this.head = new Uint8Array(0);
      this.decide(joined.subarray(0, SECTOR_BYTES));
      bytes = joined;
    }
    if (this.decoder) return this.decoder.push(bytes);
    const at = this.position;
    this.position += bytes.length;
    if (this.options.capacity !== undefined && this.position > this.options.capacity) {
      throw new GrtError('OUT_OF_RANGE', 'the raw stream is longer than the capacity given', { structure: 'catalog tap', expected: this.options.capacity, actual: this.position });
    }
    await this.deliver(at, bytes);
  }

  /** Disk bytes at `diskOffset`, in any order (changed-block tracking); `capacity` must be given. */
  async writeAt(diskOffset: number, bytes: Uint8Array): Promise<void> {
    return this.closingOnError(() => this.writeBlock(diskOffset, bytes));
  }

  private async writeBlock(diskOffset: number, bytes: Uint8Array): Promise<void> {
    const capacity = this.options.capacity;
    if (capacity === undefined) throw new GrtError('USAGE', 'CatalogTap.writeAt needs the disk capacity (options.capacity)');
    if (this.feed !== 'blocks' && this.feed !== 'undecided') throw new GrtError('USAGE', 'a CatalogTap takes either a stream (write) or blocks (writeAt), not both');
    if (!Number.isSafeInteger(diskOffset) || diskOffset < 0 || diskOffset + bytes.length > capacity) {
      throw new GrtError('OUT_OF_RANGE', `a block of ${bytes.length} bytes at ${diskOffset} is outside the disk`, { structure: 'catalog tap', expected: capacity, actual: diskOffset });
    }
    if (this.feed === 'undecided') {
      this.feed = 'blocks';
      this.startLookahead(capacity);
    }
    await this.deliver(diskOffset, bytes);
  }

  private decide(first: Uint8Array): void {
    const kind = sniffVmdkFile(first);
    if (kind === 'cowd' || kind === 'sesparse') throw new GrtError('UNSUPPORTED', `a ${kind === 'cowd' ? 'vmfsSparse' : 'seSparse'} stream: catalog it after the backup`, { structure: 'catalog tap' });
    if (kind !== 'kdmv') {
      this.feed = 'raw';
      this.startLookahead(this.options.capacity);
      return;
    }
    this.feed = 'vmdk';
    this.decoder = new VmdkStreamDecoder({
      start: async (identity) => {
        this.startLookahead(identity.capacity);
        // The partition table look-ahead runs now, so the first grains are wanted before they pass.
        await this.lookaheads!.afterKept([]);
      },
      wants: async (diskOffset, length) => {
        if (diskOffset < this.position) this.inOrder = false;
        // In order, nothing below this grain is still to come: a look-ahead waiting on a hole there
        // reads zeros and goes on, and may want this very grain.
        this.position = Math.max(this.position, diskOffset);
        if (typeof this.early !== 'object') await this.lookaheads!.afterKept([]);
        return this.lookaheads!.wanted.overlaps(diskOffset, diskOffset + length).length > 0;
      },
      grain: async (diskOffset, length, bytes) => {
        this.position = Math.max(this.position, diskOffset + length);
        if (bytes) return this.deliver(diskOffset, bytes);
        this.seen.add(diskOffset, diskOffset + length);
        this.afterDelivered();
      },
    });
  }

  private startLookahead(capacity: number | undefined): void {
    const probeDisk = new TapDisk(this.kept, this.diskInfo(capacity ?? provisionalCapacity()), (gap) => this.probeGap(gap));
    this.lookaheads = new Lookaheads(probeDisk, this.kept, (range) => this.settled(range));
  }

  /** Whether no byte of `range` is still awaited from the stream (kept, passed, or a hole). */
  private settled(range: ByteRange): boolean {
    return this.kept.held.gaps(range.start, range.end).every((gap) => !this.toCome(gap));
  }

  /** Whether the unkept `gap` is still to come: not delivered, and not a hole an in-order VMDK stream went past. */
  private toCome(gap: ByteRange): boolean {
    if (this.seen.overlaps(gap.start, gap.end).length > 0) return false;
    return !(this.feed === 'vmdk' && this.inOrder && gap.end <= this.position);
  }

  /** While the stream runs: a gap already delivered passed unkept; one still to come is awaited (zeros for now). */
  private probeGap(gap: ByteRange): void {
    const passed = this.seen.overlaps(gap.start, gap.end)[0];
    if (passed) throw new PassedBytes(passed);
    if (this.toCome(gap)) this.lookaheads!.awaiting(gap);
  }

  /**
   * Disk bytes in hand: keep what is wanted, let the look-aheads want more of them, then note them
   * delivered. Once the early build runs, the look-aheads are done: what is kept is what its reads ask for.
   */
  private async deliver(diskOffset: number, bytes: Uint8Array): Promise<void> {
    const end = diskOffset + bytes.length;
    const lookaheads = this.lookaheads!;
    for (;;) {
      const stored: ByteRange[] = [];
      for (const piece of lookaheads.wanted.overlaps(diskOffset, end)) {
        for (const gap of this.kept.held.gaps(piece.start, piece.end)) {
          this.kept.store(gap.start, bytes.subarray(gap.start - diskOffset, gap.end - diskOffset));
          stored.push(gap);
        }
      }
      if (typeof this.early === 'object' || !(await lookaheads.afterKept(stored))) break;
    }
    this.seen.add(diskOffset, end);
    this.afterDelivered();
  }

  /** After bytes were delivered: start the early build when it can, or answer its reads. */
  private afterDelivered(): void {
    if (this.early === 'waiting') this.startEarlyBuild();
    else if (this.early !== 'declined') this.early.answer();
  }

  /** Start the build in a worker once the look-ahead is done and nothing it wants is still to come. */
  private startEarlyBuild(): void {
    const mode = this.options.earlyBuild ?? 'auto';
    const lookaheads = this.lookaheads!;
    if (mode === 'never') {
      this.early = 'declined';
      return;
    }
    if (!lookaheads.done((range) => this.settled(range))) return;
    const heldBytes = this.kept.held.all().reduce((n, r) => n + r.end - r.start, 0);
    const capacity = this.decoder?.identity?.capacity ?? this.options.capacity ?? provisionalCapacity();
    const started =
      mode === 'always' || heldBytes >= EARLY_BUILD_MIN_BYTES
        ? EarlyBuild.start(this.kept, this.options.maxKeptBytes ?? DEFAULT_MAX_KEPT_BYTES, this.diskInfo(capacity), {
            want: (range) => lookaheads.want(range.start, range.end),
            settled: (range) => this.settled(range),
            passed: (range) => this.passed(range),
          })
        : undefined;
    this.early = started ?? 'declined';
  }

  /** The parts of `range` that were delivered but not kept. */
  private passed(range: ByteRange): ByteRange[] {
    return this.kept.held.gaps(range.start, range.end).flatMap((g) => this.seen.overlaps(g.start, g.end));
  }

  /**
   * Ranges that passed unkept so far, wanted by the look-ahead or read by the early build: what
   * `finish` will read back. Reads the build has not reached yet (and, without an early build,
   * reads no look-ahead foresaw) are found only by `finish`.
   */
  pendingReadBack(): ByteRange[] {
    const wanted = this.lookaheads?.wanted;
    if (!wanted) return [];
    const ranges = new RangeSet('pending');
    for (const range of [...wanted.all().flatMap((w) => this.passed(w)), ...(typeof this.early === 'object' ? this.early.pendingReadBack() : [])]) ranges.add(range.start, range.end);
    return ranges.all();
  }

  /** Stop the early build's worker thread, if any: for a tap given up before `finish` (a failed write stops it too). */
  async close(): Promise<void> {
    this.closed = true;
    const early = this.early;
    this.early = 'declined';
    if (typeof early === 'object') await early.close();
  }

  private async closingOnError(write: () => Promise<void>): Promise<void> {
    this.refuseClosed();
    try {
      await write();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  private diskInfo(capacity: number): DiskInfo {
    const identity = this.decoder?.identity;
    const cids = identity ? [identity.cid] : (this.options.cids ?? []);
    const chain = cids.length > 0 ? cids.map((cid) => ({ path: '-', ...(cid !== undefined ? { cid } : {}) })) : [{ path: '-' }];
    if (identity?.createType !== undefined) Object.assign(chain[0]!, { createType: identity.createType });
    return { path: '-', format: identity ? 'vmdk' : 'raw', capacity, ddb: {}, extents: [], chain, warnings: [...(this.decoder?.warnings ?? [])] };
  }

  /**
   * Build the catalog (to `path`, or as bytes in the summary) from the bytes kept, reading back
   * what passed unkept through `options.readBack`. Without it, MISSING_DATA names those ranges.
   */
  async finish(path: string | undefined, options: TapFinishOptions = {}): Promise<TapSummary> {
    this.refuseClosed();
    try {
      return await this.finishBuild(path, options);
    } finally {
      await this.close();
    }
  }

  private async finishBuild(path: string | undefined, options: TapFinishOptions): Promise<TapSummary> {
    if (this.feed === 'undecided' && this.head.length > 0) {
      const head = this.head;
      this.head = new Uint8Array(0);
      this.feed = 'raw';
      this.startLookahead(this.options.capacity);
      this.position = head.length;
      await this.deliver(0, head);
    }
    if (this.feed === 'undecided') throw new GrtError('TRUNCATED', 'the stream is empty', { structure: 'catalog tap' });
    if (this.decoder && !this.decoder.ended) throw new GrtError('MISSING_DATA', 'the VMDK stream ended before its end-of-stream marker', { structure: 'catalog tap' });
    const capacity = this.decoder ? this.decoder.identity!.capacity : this.feed === 'raw' ? this.position : this.options.capacity!;
    if (this.feed === 'raw' && this.options.capacity !== undefined && capacity !== this.options.capacity) {
      throw new GrtError('TRUNCATED', 'the raw stream is shorter than the capacity given', { structure: 'catalog tap', expected: this.options.capacity, actual: capacity });
    }
    const known = this.pendingReadBack();
    if (!options.readBack && known.length > 0) throw this.missingError(known);
    const missing = new RangeSet('missing');
    let readBackBytes = 0;
    // A gap of the finished disk: what a complete stream never carried is a zero (an unwritten grain); the rest is read back.
    const fetch = async (gap: ByteRange): Promise<void> => {
      const pieces = this.feed === 'blocks' ? [gap] : this.seen.overlaps(gap.start, gap.end);
      for (const piece of pieces) {
        if (!options.readBack) {
          missing.add(piece.start, piece.end);
          continue;
        }
        const bytes = await options.readBack(piece.start, piece.end - piece.start);
        if (!(bytes instanceof Uint8Array) || bytes.length !== piece.end - piece.start) {
          throw new GrtError('TRUNCATED', 'readBack returned another number of bytes than asked', { structure: 'catalog tap', offset: piece.start, expected: piece.end - piece.start, actual: (bytes as Uint8Array | undefined)?.length });
        }
        this.kept.store(piece.start, bytes);
        readBackBytes += bytes.length;
      }
    };
    let built: { summary: ImageCatalogSummary; keptBytes: number };
    const early = this.early;
    try {
      built =
        typeof early === 'object'
          ? await early.finish(this.diskInfo(capacity), path, async (range) => {
              for (const gap of this.kept.held.gaps(range.start, range.end)) await fetch(gap);
            }, options)
          : await this.postPass(capacity, path, fetch, options);
    } catch (error) {
      if (missing.count > 0 && error instanceof GrtError) throw this.missingError(missing.all());
      throw error;
    }
    if (missing.count > 0) {
      if (path !== undefined) await rm(path, { force: true });
      throw this.missingError(missing.all());
    }
    return { ...built.summary, keptBytes: built.keptBytes, readBackBytes, earlyBuild: typeof early === 'object' };
  }

  /** The catalog built here, after the stream, with the code a post-pass runs over the kept bytes. */
  private async postPass(capacity: number, path: string | undefined, fetch: (gap: ByteRange) => Promise<void>, options: BuildOptions): Promise<{ summary: ImageCatalogSummary; keptBytes: number }> {
    const image = await imageOfDisks([new TapDisk(this.kept, this.diskInfo(capacity), fetch)]);
    try {
      return { summary: await buildImageCatalog(image, path, options), keptBytes: this.kept.bytes };
    } finally {
      await image.close();
    }
  }

  private refuseClosed(): void {
    if (this.closed) throw new GrtError('USAGE', 'the catalog tap is closed (finished, failed or given up)', { structure: 'catalog tap' });
  }

  private missingError(ranges: ByteRange[]): GrtError {
    const bytes = ranges.reduce((n, r) => n + r.end - r.start, 0);
    const shown = ranges.slice(0, MESSAGE_RANGES).map((r) => `${r.start}+${r.end - r.start}`).join(', ');
    const others = [...(this.lookaheads?.postPassVolumes ?? [])];
    const why = others.length > 0 ? `; volume ${others.join(', ')} needs a post-pass (the tap looks ahead in NTFS only)` : '';
    return new GrtError(
      'MISSING_DATA',
      `the stream passed ${ranges.length} metadata range(s) (${bytes} bytes: ${shown}${ranges.length > MESSAGE_RANGES ? ', ...' : ''}) before the tap knew it needed them${why}; read them back from the finished image`,
      { structure: 'catalog tap' },
    );
  }
}

/** A raw stream's size until it ends: the largest disk a ByteSource may be, so no look-ahead read is refused. */
function provisionalCapacity(): number {
  return Math.floor(Number.MAX_SAFE_INTEGER / 4096) * 4096;
}
