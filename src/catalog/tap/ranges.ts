/**
 * A set of byte ranges on the virtual disk, kept as sorted, disjoint, non-adjacent half-open
 * intervals: what the tap wants, what it keeps, what the stream has delivered.
 */
import { GrtError } from '../../errors.js';
import { firstAtOrAfter } from '../../util/sorted.js';

/**
 * Intervals one set may hold. Each costs two numbers; a hostile changed-block stream of tiny,
 * scattered blocks could otherwise grow a set without end.
 */
export const MAX_RANGES = 1 << 20;

export interface ByteRange {
  start: number;
  end: number;
}

export class RangeSet {
  private starts: number[] = [];
  private ends: number[] = [];
  /** Grows with every add that changed the set: callers tell "something new" without comparing sets. */
  version = 0;

  constructor(private readonly what: string) {}

  get count(): number {
    return this.starts.length;
  }

  /** Index of the first interval whose end is ≥ `offset` (it may touch or hold `offset`). */
  private firstEndingAtOrAfter(offset: number): number {
    return firstAtOrAfter(this.ends, offset);
  }

  /** Add [start, end); touching and overlapping intervals merge. */
  add(start: number, end: number): void {
    if (end <= start || this.covers(start, end)) return;
    this.version++;
    const first = this.firstEndingAtOrAfter(start);
    let last = first;
    while (last < this.starts.length && this.starts[last]! <= end) last++;
    if (last === first) {
      if (this.starts.length >= MAX_RANGES) {
        throw new GrtError('LIMIT_EXCEEDED', `too many separate ${this.what} ranges`, { structure: 'catalog tap', expected: MAX_RANGES });
      }
      this.starts.splice(first, 0, start);
      this.ends.splice(first, 0, end);
      return;
    }
    const mergedStart = Math.min(start, this.starts[first]!);
    const mergedEnd = Math.max(end, this.ends[last - 1]!);
    this.starts.splice(first, last - first, mergedStart);
    this.ends.splice(first, last - first, mergedEnd);
  }

  /** True when every byte of [start, end) is in the set. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    const i = this.firstEndingAtOrAfter(start + 1);
    return i < this.starts.length && this.starts[i]! <= start && this.ends[i]! >= end;
  }

  /** The parts of [start, end) that are in the set, in order. */
  overlaps(start: number, end: number): ByteRange[] {
    const out: ByteRange[] = [];
    for (let i = this.firstEndingAtOrAfter(start + 1); i < this.starts.length && this.starts[i]! < end; i++) {
      out.push({ start: Math.max(start, this.starts[i]!), end: Math.min(end, this.ends[i]!) });
    }
    return out;
  }

  /** The parts of [start, end) that are not in the set, in order. */
  gaps(start: number, end: number): ByteRange[] {
    const out: ByteRange[] = [];
    let at = start;
    for (const piece of this.overlaps(start, end)) {
      if (piece.start > at) out.push({ start: at, end: piece.start });
      at = piece.end;
    }
    if (at < end) out.push({ start: at, end });
    return out;
  }

  /** Every interval, in order. */
  all(): ByteRange[] {
    return this.starts.map((start, i) => ({ start, end: this.ends[i]! }));
  }
}
