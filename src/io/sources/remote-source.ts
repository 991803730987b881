/**
 * An object read over HTTP(S) as a ByteSource. Small reads go through a block cache (so metadata —
 * descriptor, grain directory, MFT records — is fetched once); reads asked for in the same turn of
 * the event loop that touch or adjoin are sent as one range; a large read is split into parts read
 * several at a time.
 */
import { GrtError } from '../../errors.js';
import type { ByteSource } from '../byte-source.js';
import { checkRange } from '../byte-source.js';
import { CachedSource } from '../cached-source.js';
import type { OpenedSource } from '../source-opener.js';
import { getRange, type Agents, type Pinned, type RangeTarget } from './http-range.js';

/** Cache block: one default VMDK grain, and the size of the probe made at open. */
export const REMOTE_BLOCK_BYTES = 64 * 1024;
/** Block cache per object, in MiB: the metadata of a large NTFS volume fits. */
export const DEFAULT_REMOTE_CACHE_MIB = 32;
/** A large read is cut into parts of this size: big enough to amortise a round trip. */
export const PART_BYTES = 4 * 1024 * 1024;
/** Parts of one large read in flight at once: enough to fill a link with some latency. */
export const PARALLEL_RANGES = 4;
/** Adjacent reads are merged only up to this size: one merged range must not become a bulk download. */
export const MAX_COALESCED_BYTES = PART_BYTES;

/** Requests and bytes one object's reads cost: what the benchmarks and tests report. */
export interface RemoteStats {
  requests: number;
  bytes: number;
}

export interface RemoteSourceOptions {
  cacheMiB?: number;
  /** The counters to add this object's requests and bytes to (an opener's totals); default its own. */
  stats?: RemoteStats;
  /** What an earlier opening of the same location pinned: reopened, it must still be that object. */
  pinned?: Pinned;
}

/** One ranged request: into `into` when given (exactly `length` bytes). */
type Fetch = (offset: number, length: number, into?: Uint8Array) => Promise<Uint8Array>;

interface Waiting {
  offset: number;
  length: number;
  resolve(bytes: Uint8Array): void;
  reject(error: unknown): void;
}

/** The uncached side: ranges fetched as asked, same-turn neighbours merged, large reads in parts. */
class RangeReader implements ByteSource {
  private queue: Waiting[] = [];

  constructor(
    readonly size: number,
    private readonly fetch: Fetch,
    /** The bytes the probe at open fetched: reads inside them cost no request. */
    private readonly head: Uint8Array,
  ) {}

  read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length, 'remote object');
    if (length === 0) return Promise.resolve(new Uint8Array(0));
    if (offset + length <= this.head.length) return Promise.resolve(this.head.subarray(offset, offset + length));
    if (length > PART_BYTES) return this.readParts(offset, new Uint8Array(length));
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) queueMicrotask(() => this.flush());
      this.queue.push({ offset, length, resolve, reject });
    });
  }

  /** A bulk read straight into the caller's buffer: no queue (bulk reads need no merging), no copy. */
  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, 'remote object');
    const length = target.length;
    if (length === 0) return;
    if (offset + length <= this.head.length) target.set(this.head.subarray(offset, offset + length));
    else if (length > PART_BYTES) await this.readParts(offset, target);
    else await this.fetch(offset, length, target);
  }

  /** Send the reads queued this turn, neighbours merged into one range each. */
  private flush(): void {
    const waiting = this.queue.sort((a, b) => a.offset - b.offset);
    this.queue = [];
    let group: Waiting[] = [];
    let groupEnd = 0;
    const send = (): void => {
      if (group.length === 0) return;
      const members = group;
      const start = members[0]!.offset;
      this.fetch(start, groupEnd - start).then(
        (bytes) => members.forEach((w) => w.resolve(bytes.subarray(w.offset - start, w.offset - start + w.length))),
        (error: unknown) => members.forEach((w) => w.reject(error)),
      );
    };
    for (const w of waiting) {
      const start = group[0]?.offset ?? w.offset;
      if (group.length > 0 && (w.offset > groupEnd || Math.max(groupEnd, w.offset + w.length) - start > MAX_COALESCED_BYTES)) {
        send();
        group = [];
      }
      groupEnd = group.length === 0 ? w.offset + w.length : Math.max(groupEnd, w.offset + w.length);
      group.push(w);
    }
    send();
  }

  /** PART_BYTES at a time, PARALLEL_RANGES in flight, each straight into its place in `out`. */
  private async readParts(offset: number, out: Uint8Array): Promise<Uint8Array> {
    const length = out.length;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < length) {
        const at = next;
        next += PART_BYTES;
        const part = Math.min(PART_BYTES, length - at);
        await this.fetch(offset + at, part, out.subarray(at, at + part));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_RANGES, Math.ceil(length / PART_BYTES)) }, worker));
    return out;
  }
}

/** An opened remote object: its pinned identity, its cache, its counters. */
export class RemoteSource implements OpenedSource {
  readonly size: number;
  readonly identity = undefined;
  readonly stats: RemoteStats;
  /** The size and validators every answer is checked against. */
  readonly pinned: Pinned;
  private readonly cached: CachedSource;
  private closed = false;

  private constructor(readonly location: string, pinned: Pinned, fetch: Fetch, stats: RemoteStats, head: Uint8Array, cacheMiB: number) {
    this.size = pinned.size;
    this.pinned = pinned;
    this.stats = stats;
    const maxBlocks = Math.max(1, Math.floor((cacheMiB * 1024 * 1024) / REMOTE_BLOCK_BYTES));
    this.cached = new CachedSource(new RangeReader(pinned.size, fetch, head), { blockSize: REMOTE_BLOCK_BYTES, maxBlocks });
  }

  /**
   * Open `target`: one ranged GET of the first block gives the size, the validators to pin and the
   * block itself (a descriptor or sparse header is read from it without a second request).
   */
  static async open(agents: Agents, target: RangeTarget, options: RemoteSourceOptions = {}): Promise<RemoteSource> {
    const stats: RemoteStats = options.stats ?? { requests: 0, bytes: 0 };
    const first = await probe(agents, target, stats, options.pinned);
    const pinned = first.pinned;
    const fetch: Fetch = async (offset, length, into) => {
      stats.requests++;
      const result = await getRange(agents, target, offset, length, pinned, into);
      stats.bytes += result.bytes.length;
      if (into && result.bytes !== into) into.set(result.bytes);
      return result.bytes;
    };
    return new RemoteSource(target.location, pinned, fetch, stats, first.bytes, options.cacheMiB ?? DEFAULT_REMOTE_CACHE_MIB);
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new GrtError('IO_ERROR', `${this.location} is closed`, { path: this.location }));
    return this.cached.read(offset, length);
  }

  /** Bulk reads go straight from the response into `target` (CachedSource passes them through). */
  readInto(offset: number, target: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new GrtError('IO_ERROR', `${this.location} is closed`, { path: this.location }));
    return this.cached.readInto(offset, target);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.cached.close();
  }
}

/** The first block (the whole object when smaller): size and validators to pin. */
async function probe(agents: Agents, target: RangeTarget, stats: RemoteStats, pinned: Pinned | undefined): Promise<{ bytes: Uint8Array; pinned: Pinned }> {
  stats.requests++;
  const length = pinned ? Math.min(REMOTE_BLOCK_BYTES, pinned.size) : REMOTE_BLOCK_BYTES;
  const first = await getRange(agents, target, 0, length, pinned);
  stats.bytes += first.bytes.length;
  return first;
}
