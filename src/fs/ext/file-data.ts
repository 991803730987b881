/**
 * A file's bytes as a ByteSource: its block runs read through the BlockReader (so replayed journal
 * blocks apply), holes and unwritten extents as zeros, inline data from memory.
 */
import type { ByteSource, HostCopy } from '../../io/byte-source.js';
import { checkRange } from '../../io/byte-source.js';
import type { BlockReader } from './block-reader.js';
import type { BlockRun } from './block-runs.js';

/** Largest single read from the volume for one piece of a file: bounds a hostile run's buffer. */
const MAX_READ_BYTES = 8 * 1024 * 1024;
/**
 * Pieces read at once: a fragmented directory or file is many small runs, and reading them one
 * after another waits out one I/O round trip each (most of listing a 100,000-file volume). 16
 * keeps the file source's thread pool busy without queueing a whole file's runs.
 */
const CONCURRENT_PIECES = 16;

interface Piece {
  /** Where the piece goes in the output. */
  outOffset: number;
  length: number;
  firstBlock: number;
  blockCount: number;
  /** Bytes of the first block before the piece. */
  skip: number;
}

export class BlockFileSource implements ByteSource {
  constructor(private readonly reader: BlockReader, private readonly runs: BlockRun[], readonly size: number, private readonly name: string) {}

  /** The run holding `logicalBlock` (binary search: runs are in logical order, without gaps). */
  private runAt(logicalBlock: number): number {
    let low = 0;
    let high = this.runs.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.runs[middle]!.logicalBlock <= logicalBlock) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length, this.name);
    const out = new Uint8Array(length);
    await this.fill(offset, out);
    return out;
  }

  /** Fill `target` in place: whole-block pieces are read straight into it (a restore's reused buffers). */
  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, this.name);
    await this.fill(offset, target);
  }

  /**
   * A run within one block run of the file, as the BlockReader hands it over (up to a replayed
   * block; a replayed block's journal copy); none from a hole, which reads as zeros.
   */
  async copyOut(offset: number, length: number, copy: HostCopy): Promise<number> {
    checkRange(this, offset, length, this.name);
    if (length === 0 || this.runs.length === 0) return 0;
    const blockSize = this.reader.blockSize;
    const run = this.runs[this.runAt(Math.floor(offset / blockSize))]!;
    const runStart = run.logicalBlock * blockSize;
    const runEnd = runStart + run.count * blockSize;
    if (run.physicalBlock === null || offset < runStart || offset >= runEnd) return 0;
    return this.reader.copyOut(run.physicalBlock * blockSize + offset - runStart, Math.min(length, runEnd - offset), copy);
  }

  /** Bytes `[offset, offset + out.length)` into `out`: the mapped pieces read, holes zeroed. */
  private async fill(offset: number, out: Uint8Array): Promise<void> {
    const pieces = this.pieces(offset, out.length);
    const blockSize = this.reader.blockSize;
    let mapped = 0;
    for (const piece of pieces) {
      out.fill(0, mapped, piece.outOffset);
      mapped = piece.outOffset + piece.length;
    }
    out.fill(0, mapped);
    for (let i = 0; i < pieces.length; i += CONCURRENT_PIECES) {
      await Promise.all(pieces.slice(i, i + CONCURRENT_PIECES).map(async (piece) => {
        const target = out.subarray(piece.outOffset, piece.outOffset + piece.length);
        // A piece of whole blocks (all but the ends of an unaligned read) needs no buffer of its own.
        if (piece.skip === 0 && piece.length === piece.blockCount * blockSize) return this.reader.blocksInto(piece.firstBlock, target);
        const bytes = await this.reader.blocks(piece.firstBlock, piece.blockCount);
        target.set(bytes.subarray(piece.skip, piece.skip + piece.length));
      }));
    }
  }

  /** The mapped pieces of `[offset, offset + length)`, in order; holes are left out (they read as zeros). */
  private pieces(offset: number, length: number): Piece[] {
    const pieces: Piece[] = [];
    const blockSize = this.reader.blockSize;
    let position = offset;
    let index = this.runs.length > 0 ? this.runAt(Math.floor(offset / blockSize)) : 0;
    while (position < offset + length && index < this.runs.length) {
      const run = this.runs[index]!;
      const runStart = run.logicalBlock * blockSize;
      const runEnd = runStart + run.count * blockSize;
      if (position >= runEnd) {
        index++;
        continue;
      }
      const pieceEnd = Math.min(runEnd, offset + length, position + MAX_READ_BYTES);
      if (run.physicalBlock !== null) {
        const firstBlock = Math.floor((position - runStart) / blockSize);
        const lastBlock = Math.ceil((pieceEnd - runStart) / blockSize);
        const skip = position - runStart - firstBlock * blockSize;
        pieces.push({ outOffset: position - offset, length: pieceEnd - position, firstBlock: run.physicalBlock + firstBlock, blockCount: lastBlock - firstBlock, skip });
      }
      position = pieceEnd;
    }
    return pieces;
  }
}
