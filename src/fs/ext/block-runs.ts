/**
 * A file's logical blocks mapped to volume blocks, as the extent tree or the indirect block map
 * gives them: runs in logical order, holes as `physicalBlock: null`.
 */
import { GrtError } from '../../errors.js';

export interface BlockRun {
  logicalBlock: number;
  /** First volume block, or null for a hole (and for an unwritten extent: it reads as zeros). */
  physicalBlock: number | null;
  count: number;
}

/**
 * Runs one file may have: 2^20 runs of at least one block each. A file more fragmented than that
 * is refused (LIMIT_EXCEEDED) rather than mapped into unbounded memory.
 */
export const MAX_RUNS = 1 << 20;

/** Collects runs in logical order, merging neighbours. */
export class RunBuilder {
  readonly runs: BlockRun[] = [];

  constructor(private readonly structure: string) {}

  add(logicalBlock: number, physicalBlock: number | null, count: number): void {
    const last = this.runs[this.runs.length - 1];
    if (last && last.logicalBlock + last.count === logicalBlock) {
      const follows = last.physicalBlock === null ? physicalBlock === null : physicalBlock === last.physicalBlock + last.count;
      if (follows) {
        last.count += count;
        return;
      }
    }
    if (this.runs.length >= MAX_RUNS) {
      throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_RUNS} block runs`, { structure: this.structure });
    }
    this.runs.push({ logicalBlock, physicalBlock, count });
  }
}
