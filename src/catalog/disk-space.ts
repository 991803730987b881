/**
 * The address space a catalog's layouts point into (docs/catalog-format.md §4.2): the disks of the
 * image one after another, disk 1 first, so a byte of disk 1 keeps its own offset (catalogs of one
 * disk read as they always have) and byte b of disk D is at the sum of the capacities of disks
 * 1 … D−1, plus b. The binding records every capacity, so a catalog's offsets mean the same bytes
 * whenever the binding check passes.
 *
 * A partition's layouts shift by one number. A logical volume's runs go through its segments
 * (volume/types.ts DiskSegment; LVM2 striping as lv-source.ts reads it, after the kernel's
 * dm-stripe): one run of the file system may cross chunk, stripe and segment boundaries and
 * becomes one run per piece, pieces adjacent in the disk space merged again.
 */
import { GrtError } from '../errors.js';
import type { StreamLayout } from '../fs/file-system.js';
import type { ByteSource } from '../io/byte-source.js';
import { ConcatSource } from '../io/concat-source.js';
import { stripeAt } from '../volume/lvm/lv-source.js';
import type { DiskSegment } from '../volume/types.js';
import type { LayoutError } from './encode.js';

/**
 * Runs one stream may map to through an LV. A file system's own run list is bounded by its
 * volume; striping multiplies it by the chunks a run covers. A million runs (a 64 GiB file on
 * 64 KiB chunks) keeps one record's encoding within a few MiB; past that the stream is stored as a
 * refusal (its bytes are still read from the image).
 */
export const MAX_MAPPED_RUNS = 1 << 20;

/** Where each disk starts in the disk set's address space. */
export function diskBases(capacities: readonly number[]): number[] {
  const bases: number[] = [];
  let next = 0;
  for (const capacity of capacities) {
    bases.push(next);
    next += capacity;
  }
  if (!Number.isSafeInteger(next)) throw new GrtError('OUT_OF_RANGE', 'the disks together pass 2^53 bytes', { structure: 'disk set', actual: next });
  return bases;
}

/**
 * The disks of an image as one ByteSource in that address space (disk 1 itself when alone): the
 * disks end to end, so a run of a catalog, which lies on one disk, is handed to the kernel by that
 * disk (ByteSource.copyOut); a read across a boundary (damage) is split there, never wrong.
 */
export function diskSetSource(disks: readonly ByteSource[]): ByteSource {
  if (disks.length === 1) return disks[0]!;
  diskBases(disks.map((d) => d.size)); // the same refusal past 2^53 bytes as a catalog's binding gets
  return new ConcatSource(disks, 'disk set');
}

type Run = StreamLayout['runs'][number];

/**
 * A layout in LV byte offsets as runs of the disk set (`bases`: diskBases of the image), or the
 * refusal a catalog stores for it when it maps to too many runs or past the LV.
 */
export function mapThroughSegments(layout: StreamLayout, segments: readonly DiskSegment[], bases: readonly number[]): StreamLayout | LayoutError {
  if (layout.encoding === 'resident') return layout;
  const sorted = [...segments].sort((a, b) => a.start - b.start);
  const runs: Run[] = [];
  try {
    for (const run of layout.runs) {
      if (run.sourceOffset === null) runs.push(run);
      else mapRun(run, sorted, bases, runs);
      if (runs.length > MAX_MAPPED_RUNS) {
        throw new GrtError('LIMIT_EXCEEDED', `stream maps to more than ${MAX_MAPPED_RUNS} runs on the disks`, { structure: 'catalog layout' });
      }
    }
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    return { name: layout.name, error: { code: error.code, message: error.message } };
  }
  return { ...layout, runs };
}

/** Appends the pieces of one data run, merging a piece with the previous run when they touch. */
function mapRun(run: Run, segments: readonly DiskSegment[], bases: readonly number[], out: Run[]): void {
  let lvOffset = run.sourceOffset!;
  let streamOffset = run.streamOffset;
  let left = run.length;
  while (left > 0) {
    const piece = locate(segments, lvOffset);
    const base = bases[piece.disk - 1];
    if (base === undefined) throw new GrtError('NOT_FOUND', `logical volume segment on disk ${piece.disk}, which the image lacks`, { structure: 'catalog layout' });
    const length = Math.min(left, piece.run);
    const sourceOffset = base + piece.byteOffset;
    const previous = out[out.length - 1];
    if (previous && previous.sourceOffset !== null && previous.streamOffset + previous.length === streamOffset && previous.sourceOffset + previous.length === sourceOffset) {
      out[out.length - 1] = { ...previous, length: previous.length + length };
    } else {
      out.push({ streamOffset, length, sourceOffset });
    }
    lvOffset += length;
    streamOffset += length;
    left -= length;
  }
}

/** The disk, disk byte offset and contiguous length from LV byte `at` (lv-source.ts locate, in disk terms). */
function locate(segments: readonly DiskSegment[], at: number): { disk: number; byteOffset: number; run: number } {
  let low = 0;
  let high = segments.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (segments[middle]!.start <= at) low = middle;
    else high = middle - 1;
  }
  const segment = segments[low];
  if (!segment || at < segment.start || at >= segment.start + segment.size || segment.stripes.length === 0) {
    throw new GrtError('OUT_OF_RANGE', `logical volume byte ${at} lies in no segment`, { structure: 'catalog layout', offset: at, space: 'volume' });
  }
  const { stripe, stripeOffset, run } = stripeAt(segment, at - segment.start);
  const placed = segment.stripes[stripe]!;
  return { disk: placed.disk, byteOffset: placed.byteOffset + stripeOffset, run };
}
