/**
 * Reads whole blocks of an ext volume, through the journal overlay when the journal was replayed:
 * a block a committed transaction rewrote is read from its journal copy, never from its home
 * location, and the image is never written. Recently read metadata blocks are kept (LRU).
 */
import { LRUCache } from 'lru-cache';
import { GrtError } from '../../errors.js';
import { copyOut, readInto, type ByteSource, type HostCopy } from '../../io/byte-source.js';
import { firstAtOrAfter } from '../../util/sorted.js';

/**
 * Metadata bytes kept (32 MiB): a walk reads each inode table block once per directory whose
 * children live there, in hash order for htree directories; 100k inodes of 256 bytes fit.
 */
const CACHED_BYTES = 32 * 1024 * 1024;

/** Where the replayed copy of a block lives: a volume block of the journal, maybe escaped. */
export interface OverlayBlock {
  /** Volume block number holding the journal's copy. */
  journalBlockNumber: number;
  /** jbd2 JBD2_FLAG_ESCAPE: the first 4 bytes were the journal magic, stored as zeros. */
  escaped: boolean;
}

export class BlockReader {
  private readonly cache: LRUCache<number, Uint8Array>;
  /** Home block number → its copy in the journal (empty until a replay fills it). */
  overlay = new Map<number, OverlayBlock>();
  /** The overlay's home block numbers, ascending, and the overlay (and its size) they were taken from. */
  private sorted: { of: Map<number, OverlayBlock>; size: number; blocks: number[] } | undefined;

  constructor(readonly source: ByteSource, readonly blockSize: number, readonly blockCount: number) {
    this.cache = new LRUCache({ max: Math.max(16, CACHED_BYTES / blockSize) });
  }

  private check(blockNumber: number, count: number, structure: string): void {
    if (!Number.isSafeInteger(blockNumber) || blockNumber < 0 || count < 0 || blockNumber + count > this.blockCount) {
      throw new GrtError('OUT_OF_RANGE', `block ${blockNumber} (+${count}) is outside the volume of ${this.blockCount} blocks`, {
        structure, offset: Number.isSafeInteger(blockNumber) ? blockNumber * this.blockSize : undefined, space: 'volume',
      });
    }
  }

  /**
   * One block (cached; callers must not modify it). On a miss, `readAhead` blocks from it are
   * read in one go and cached (inode tables: the neighbours are read next).
   */
  async block(blockNumber: number, structure = 'ext block', readAhead = 1): Promise<Uint8Array> {
    this.check(blockNumber, 1, structure);
    const hit = this.cache.get(blockNumber);
    if (hit) return hit;
    const count = Math.max(1, Math.min(readAhead, this.blockCount - blockNumber));
    const bytes = await this.readHome(blockNumber, count);
    for (let i = count - 1; i >= 0; i--) this.cache.set(blockNumber + i, bytes.subarray(i * this.blockSize, (i + 1) * this.blockSize));
    return bytes.subarray(0, this.blockSize);
  }

  /** `count` consecutive blocks, uncached (file data), with replayed blocks patched in. */
  async blocks(blockNumber: number, count: number, structure = 'ext data'): Promise<Uint8Array> {
    this.check(blockNumber, count, structure);
    return this.readHome(blockNumber, count);
  }

  /**
   * `target.length / blockSize` consecutive blocks read straight into `target` (file data: no
   * buffer of its own, no copy), with replayed blocks patched in.
   */
  async blocksInto(blockNumber: number, target: Uint8Array, structure = 'ext data'): Promise<void> {
    const count = target.length / this.blockSize;
    this.check(blockNumber, count, structure);
    await readInto(this.source, blockNumber * this.blockSize, target);
    await this.patchReplayed(blockNumber, target);
  }

  /** The home block numbers a replayed transaction rewrote, ascending (for binary searches). */
  replayedBlocks(): readonly number[] {
    if (this.sorted?.of !== this.overlay || this.sorted.size !== this.overlay.size) {
      this.sorted = { of: this.overlay, size: this.overlay.size, blocks: [...this.overlay.keys()].sort((a, b) => a - b) };
    }
    return this.sorted.blocks;
  }

  /**
   * ByteSource.copyOut over the volume's bytes as this reader gives them: from a block no replayed
   * transaction rewrote, the run up to the next replayed block, handed to the source as it lies;
   * from a replayed block, the rest of its journal copy, unless the copy is escaped (its first 4
   * bytes are patched, so it is read). Nothing past the volume: that read gives the error.
   */
  async copyOut(byteOffset: number, length: number, copy: HostCopy): Promise<number> {
    const blockNumber = Math.floor(byteOffset / this.blockSize);
    if (length <= 0 || !Number.isSafeInteger(byteOffset) || byteOffset < 0 || blockNumber >= this.blockCount) return 0;
    const inBlock = byteOffset - blockNumber * this.blockSize;
    const replayed = this.overlay.get(blockNumber);
    if (replayed) {
      if (replayed.escaped) return 0;
      return copyOut(this.source, replayed.journalBlockNumber * this.blockSize + inBlock, Math.min(length, this.blockSize - inBlock), copy);
    }
    const blocks = this.replayedBlocks();
    const next = blocks[firstAtOrAfter(blocks, blockNumber)] ?? this.blockCount;
    return copyOut(this.source, byteOffset, Math.min(length, Math.min(next, this.blockCount) * this.blockSize - byteOffset), copy);
  }

  /** Bytes at a volume byte offset that is not block-aligned (the superblock, group descriptors). */
  async bytes(byteOffset: number, length: number): Promise<Uint8Array> {
    const first = Math.floor(byteOffset / this.blockSize);
    const last = Math.floor((byteOffset + length - 1) / this.blockSize);
    const span = await this.blocks(first, last - first + 1, 'ext metadata');
    const start = byteOffset - first * this.blockSize;
    return span.subarray(start, start + length);
  }

  private async readHome(blockNumber: number, count: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(count * this.blockSize);
    await readInto(this.source, blockNumber * this.blockSize, bytes);
    await this.patchReplayed(blockNumber, bytes);
    return bytes;
  }

  /** Blocks of `bytes` (from `blockNumber` on) that a replayed transaction rewrote, replaced by their journal copy. */
  private async patchReplayed(blockNumber: number, bytes: Uint8Array): Promise<void> {
    if (this.overlay.size === 0) return;
    const count = bytes.length / this.blockSize;
    for (let i = 0; i < count; i++) {
      const replayed = this.overlay.get(blockNumber + i);
      if (!replayed) continue;
      const copy = await this.source.read(replayed.journalBlockNumber * this.blockSize, this.blockSize);
      bytes.set(copy, i * this.blockSize);
      // NOTE: jbd2 escapes a data block starting with its magic by zeroing those 4 bytes.
      if (replayed.escaped) bytes.set([0xc0, 0x3b, 0x39, 0x98], i * this.blockSize);
    }
  }

  /** Forget cached blocks (after the overlay changed). */
  clear(): void {
    this.cache.clear();
  }
}
