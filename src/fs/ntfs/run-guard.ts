/**
 * Checks a data stream's layout against the volume before its bytes are handed out: the clusters a
 * file owns exist once on the volume, so a stream whose runs claim more than the volume holds, map
 * one cluster twice, or reach into $MFT or the boot sector is damage (cross-linked runs), and
 * reading it would amplify a small image into a huge output or hand out other files' metadata.
 *
 * Sources: libyal libfsntfs "Data runs" and "Metadata files" notes: record 0 ($MFT) owns the MFT
 * clusters, record 7 ($Boot) owns the boot sector at cluster 0 (its backup is in the last sector,
 * past the clusters any run may name); no other file's runs map them.
 */
import { GrtError } from '../../errors.js';
import type { StreamLayout } from '../file-system.js';
import type { Mft } from './mft.js';

/** $MFT and $Boot: the records that own the clusters guarded here. */
const MFT_RECORD = 0;
const BOOT_RECORD = 7;

interface ByteRange {
  start: number;
  end: number;
}

interface ReservedRange extends ByteRange {
  owner: 'the boot sector' | '$MFT';
}

export class RunGuard {
  /** Clusters no other file may map, sorted by start, merged. */
  private readonly reserved: ReservedRange[];

  /**
   * `volumeSize`: bytes of the volume's clusters; `mftRuns`: $MFT's layout runs; the boot sector
   * is cluster 0 (`clusterSize` bytes).
   */
  constructor(private readonly volumeSize: number, clusterSize: number, mftRuns: StreamLayout['runs']) {
    const ranges: ReservedRange[] = [{ start: 0, end: clusterSize, owner: 'the boot sector' }];
    for (const run of mftRuns) if (run.sourceOffset !== null) ranges.push({ start: run.sourceOffset, end: run.sourceOffset + run.length, owner: '$MFT' });
    this.reserved = merge(ranges);
  }

  /** The guard of an opened MFT's volume. */
  static of(mft: Mft): RunGuard {
    return new RunGuard(mft.boot.volumeSize, mft.boot.clusterSize, mft.layout.runs);
  }

  /** Throws BAD_RUNLIST when the layout of a stream of MFT record `record` is cross-linked. */
  check(layout: StreamLayout, record: number, structure: string): void {
    let allocated = 0;
    let mappedRuns = 0;
    for (const run of layout.runs) {
      if (run.sourceOffset === null) continue;
      allocated += run.length;
      mappedRuns++;
    }
    if (mappedRuns === 0) return;
    if (allocated > this.volumeSize) {
      throw new GrtError('BAD_RUNLIST', 'runs allocate more clusters than the volume holds', { structure, expected: this.volumeSize, actual: allocated });
    }
    // Sorted by disk offset in a copy: layout.runs stays in stream order.
    const mapped = layout.runs.filter((run) => run.sourceOffset !== null) as { sourceOffset: number; length: number }[];
    if (mapped.length > 1) {
      mapped.sort((x, y) => x.sourceOffset - y.sourceOffset);
      for (let i = 1; i < mapped.length; i++) {
        const previous = mapped[i - 1]!;
        if (mapped[i]!.sourceOffset < previous.sourceOffset + previous.length) {
          throw new GrtError('BAD_RUNLIST', 'runs map the same clusters twice (cross-linked)', { structure, offset: mapped[i]!.sourceOffset, space: 'volume' });
        }
      }
    }
    if (record === MFT_RECORD || record === BOOT_RECORD) return;
    for (const run of mapped) {
      const range = { start: run.sourceOffset, end: run.sourceOffset + run.length };
      const hit = this.overlapping(range);
      if (hit) throw new GrtError('BAD_RUNLIST', `runs overlap ${hit.owner} (cross-linked)`, { structure, offset: Math.max(range.start, hit.start), space: 'volume' });
    }
  }

  /** The first reserved range `range` overlaps, if any (binary search: $MFT may have many runs). */
  private overlapping(range: ByteRange): ReservedRange | undefined {
    // Reserved ranges are disjoint and sorted, so their ends are sorted too: find the first that
    // ends after range.start; it overlaps when it also starts before range.end.
    let low = 0;
    let high = this.reserved.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.reserved[mid]!.end <= range.start) low = mid + 1;
      else high = mid;
    }
    const candidate = this.reserved[low];
    return candidate && candidate.start < range.end ? candidate : undefined;
  }
}

/** Sorted by start, touching ranges of one owner joined ($MFT's runs are often contiguous). */
function merge(ranges: ReservedRange[]): ReservedRange[] {
  ranges.sort((a, b) => a.start - b.start);
  const out: ReservedRange[] = [];
  for (const range of ranges) {
    const last = out[out.length - 1];
    if (last && last.owner === range.owner && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else out.push({ ...range });
  }
  return out;
}
