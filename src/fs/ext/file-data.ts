/**
 * A file's bytes as a ByteSource: its block runs read through the BlockReader (so replayed journal
 * blocks apply), holes and unwritten extents as zeros, inline data from memory.
 */
import type { ByteSource } from '../../io/byte-source.js';
import { checkRange } from '../../io/byte-source.js';
import type { BlockReader } from './block-reader.js';
import type { BlockRun } from './block-runs.js';

/** Largest single read from the volume for one piece of a file: bounds a hostile run's buffer. */
const MAX_READ_BYTES = 8 * 1024 * 1024;

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
        const bytes = await this.reader.blocks(run.physicalBlock + firstBlock, lastBlock - firstBlock);
        const skip = position - runStart - firstBlock * blockSize;
        out.set(bytes.subarray(skip, skip + pieceEnd - position), position - offset);
      }
      position = pieceEnd;
    }
    return out;
  }
}
