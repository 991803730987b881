import { LRUCache } from 'lru-cache';
import type { ByteSource } from './byte-source.js';
import { checkRange, copyOut, readInto, type HostCopy } from './byte-source.js';

export interface CacheStats {
  /** Blocks served from the cache. */
  hits: number;
  /** Blocks read from the underlying source. */
  misses: number;
  /** Reads passed straight through because they were large. */
  bypassed: number;
}

/** Default block size: one default VMDK grain (128 sectors). */
export const DEFAULT_CACHE_BLOCK_BYTES = 64 * 1024;

export interface CachedSourceOptions {
  /** Block size in bytes (a power of two). Default 64 KiB: one default VMDK grain. */
  blockSize?: number;
  /** How many blocks to keep. Default 256 (16 MiB with the default block size). */
  maxBlocks?: number;
  /**
   * Reads at least this long skip the cache: bulk file data is read once, and copying it through
   * the cache would only evict metadata. Default: 4 blocks.
   */
  bypassBytes?: number;
}

/**
 * An LRU block cache over any source, for metadata that is read again and again (grain tables,
 * MFT records, index nodes). Concurrent reads of the same missing block share one underlying read.
 */
export class CachedSource implements ByteSource {
  readonly size: number;
  readonly blockSize: number;
  readonly stats: CacheStats = { hits: 0, misses: 0, bypassed: 0 };
  private readonly bypassBytes: number;
  private readonly blocks: LRUCache<number, Uint8Array>;
  private readonly pending = new Map<number, Promise<Uint8Array>>();

  constructor(readonly inner: ByteSource, options: CachedSourceOptions = {}) {
    this.size = inner.size;
    this.blockSize = options.blockSize ?? DEFAULT_CACHE_BLOCK_BYTES;
    if (!Number.isInteger(Math.log2(this.blockSize))) throw new RangeError('blockSize must be a power of two');
    this.bypassBytes = options.bypassBytes ?? 4 * this.blockSize;
    this.blocks = new LRUCache({ max: Math.max(1, options.maxBlocks ?? 256) });
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length, 'cached source');
    if (length === 0) return new Uint8Array(0);
    if (length >= this.bypassBytes) {
      this.stats.bypassed++;
      return this.inner.read(offset, length);
    }
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((offset + length - 1) / this.blockSize);
    if (first === last) {
      const block = await this.block(first);
      const start = offset - first * this.blockSize;
      return block.subarray(start, start + length);
    }
    const out = new Uint8Array(length);
    const blocks = await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.block(first + i)));
    let written = 0;
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i]!;
      const start = i === 0 ? offset - first * this.blockSize : 0;
      const take = Math.min(block.length - start, length - written);
      out.set(block.subarray(start, start + take), written);
      written += take;
    }
    return out;
  }

  /** Large reads go straight from the inner source into `target`; small ones copy out of the cache. */
  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, 'cached source');
    if (target.length >= this.bypassBytes) {
      this.stats.bypassed++;
      await readInto(this.inner, offset, target);
    } else if (target.length > 0) {
      target.set(await this.read(offset, target.length));
    }
  }

  /** Straight from the inner source, like a large read: file data never goes through the cache. */
  async copyOut(offset: number, length: number, copy: HostCopy): Promise<number> {
    checkRange(this, offset, length, 'cached source');
    return copyOut(this.inner, offset, length, copy);
  }

  private block(index: number): Promise<Uint8Array> {
    const cached = this.blocks.get(index);
    if (cached) {
      this.stats.hits++;
      return Promise.resolve(cached);
    }
    const inFlight = this.pending.get(index);
    if (inFlight) {
      this.stats.hits++;
      return inFlight;
    }
    this.stats.misses++;
    const start = index * this.blockSize;
    const promise = this.inner.read(start, Math.min(this.blockSize, this.size - start)).then(
      (bytes) => {
        this.pending.delete(index);
        this.blocks.set(index, bytes);
        return bytes;
      },
      (error: unknown) => {
        this.pending.delete(index);
        throw error;
      },
    );
    this.pending.set(index, promise);
    return promise;
  }

  async close(): Promise<void> {
    this.blocks.clear();
    await this.inner.close?.();
  }
}
