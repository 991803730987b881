/**
 * A logical volume as a ByteSource: each byte of the LV found through its segments on the PVs.
 * Source: LVM2 lib/striped/striped.c and the kernel's dm-stripe target (drivers/md/dm-stripe.c
 * stripe_map_sector): within a striped segment, chunk c (stripe_size sectors) lies on stripe
 * c mod n, at chunk floor(c / n) of that stripe's area. A linear segment is one stripe.
 */
import { GrtError } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { checkRange, copyOut, readInto, unzeroedBytes, type HostCopy } from '../../io/byte-source.js';

/** Where one stripe of a segment lies. */
export interface MappedStripe {
  source: ByteSource;
  /** Byte offset of the stripe's first byte in `source`. */
  byteOffset: number;
}

/** One segment in bytes: the LV range it covers and where its stripes are. */
export interface MappedSegment {
  /** Byte offset of the segment in the LV. */
  start: number;
  /** Size in bytes; a multiple of stripeSize × stripes when striped. */
  size: number;
  /** Chunk size in bytes (ignored with one stripe). */
  stripeSize: number;
  stripes: MappedStripe[];
}

export class LogicalVolumeSource implements ByteSource {
  readonly size: number;
  private readonly segments: MappedSegment[];

  /** `segments` in any order; they must tile [0, size) and each stripe must fit in its source. */
  constructor(segments: readonly MappedSegment[], private readonly name = 'logical volume') {
    this.segments = [...segments].sort((a, b) => a.start - b.start);
    let next = 0;
    for (const segment of this.segments) {
      checkSegment(segment, next, name);
      next = segment.start + segment.size;
    }
    this.size = next;
  }

  /** A buffer not zeroed first: the segments tile the LV, so readInto writes every byte. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length, this.name);
    const out = unzeroedBytes(length);
    await this.readInto(offset, out);
    return out;
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, this.name);
    let done = 0;
    while (done < target.length) {
      const at = offset + done;
      const segment = this.segmentAt(at);
      const { source, byteOffset, run } = locate(segment, at - segment.start);
      const length = Math.min(run, target.length - done);
      await readInto(source, byteOffset, target.subarray(done, done + length));
      done += length;
    }
  }

  /** A run within one stripe chunk (a linear segment: within the segment) of one PV. */
  async copyOut(offset: number, length: number, copy: HostCopy): Promise<number> {
    checkRange(this, offset, length, this.name);
    if (length === 0) return 0;
    const segment = this.segmentAt(offset);
    const { source, byteOffset, run } = locate(segment, offset - segment.start);
    return copyOut(source, byteOffset, Math.min(run, length), copy);
  }

  /** The segment holding LV byte `at` (binary search; the segments tile the LV). */
  private segmentAt(at: number): MappedSegment {
    let low = 0;
    let high = this.segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.segments[middle]!.start <= at) low = middle;
      else high = middle - 1;
    }
    return this.segments[low]!;
  }
}

/** Where segment byte `within` lies, and how many bytes from there stay contiguous on that stripe. */
function locate(segment: MappedSegment, within: number): { source: ByteSource; byteOffset: number; run: number } {
  const { stripe, stripeOffset, run } = stripeAt(segment, within);
  const placed = segment.stripes[stripe]!;
  return { source: placed.source, byteOffset: placed.byteOffset + stripeOffset, run };
}

/**
 * Which stripe of a segment holds segment byte `within`, at which offset of that stripe's area,
 * and how many bytes from there stay contiguous on it: chunk c on stripe c mod n, at chunk
 * floor(c / n) of that stripe (dm-stripe stripe_map_sector); one stripe is linear.
 */
export function stripeAt(segment: { size: number; stripeSize: number; stripes: readonly unknown[] }, within: number): { stripe: number; stripeOffset: number; run: number } {
  const count = segment.stripes.length;
  if (count === 1) return { stripe: 0, stripeOffset: within, run: segment.size - within };
  const chunk = Math.floor(within / segment.stripeSize);
  const inChunk = within - chunk * segment.stripeSize;
  return { stripe: chunk % count, stripeOffset: Math.floor(chunk / count) * segment.stripeSize + inChunk, run: segment.stripeSize - inChunk };
}

function checkSegment(segment: MappedSegment, expectedStart: number, name: string): void {
  const fail = (detail: string) => new GrtError('BAD_TABLE', detail, { structure: name, offset: segment.start, space: 'volume' });
  const { start, size, stripeSize, stripes } = segment;
  if (start !== expectedStart) throw fail(`segments leave a gap or overlap at byte ${expectedStart}`);
  if (!Number.isSafeInteger(size) || size <= 0 || !Number.isSafeInteger(start + size)) throw fail(`segment size ${size} is not a positive safe integer`);
  if (stripes.length === 0) throw fail('segment has no stripes');
  const perStripe = size / stripes.length;
  if (stripes.length > 1 && (!Number.isSafeInteger(stripeSize) || stripeSize <= 0 || size % (stripeSize * stripes.length) !== 0)) {
    throw fail(`segment of ${size} bytes is not whole chunks of ${stripeSize} bytes on ${stripes.length} stripes`);
  }
  for (const stripe of stripes) {
    if (!Number.isSafeInteger(stripe.byteOffset) || stripe.byteOffset < 0 || stripe.byteOffset + perStripe > stripe.source.size) {
      throw fail(`a stripe of ${perStripe} bytes at ${stripe.byteOffset} runs past its PV of ${stripe.source.size} bytes`);
    }
  }
}
