/**
 * NTFS run lists ("mapping pairs"): how a non-resident attribute's VCNs map to LCNs.
 *
 * Sources: libyal libfsntfs "Data runs" notes; Microsoft's description of mapping pairs. Each run
 * opens with a header byte: low nibble = size of the run length field, high nibble = size of the
 * LCN delta field (0 = sparse run, no clusters on disk). The length is unsigned, the delta is a
 * signed offset from the previous run's LCN. A 0 header byte ends the list.
 */
import { GrtError } from '../../errors.js';
import { append } from '../../util/append.js';

/** One run: `clusterCount` clusters from `vcn`, at `lcn` (null = sparse, reads as zeros). */
export interface Run {
  vcn: number;
  lcn: number | null;
  clusterCount: number;
}

/**
 * At most this many runs per attribute extent: a 64 KiB record cannot hold more than ~32k two-byte
 * runs, and an attribute split over extension records is decoded extent by extent.
 */
export const MAX_RUNS_PER_EXTENT = 65536;

/**
 * Decode the mapping pairs in bytes[start, end). The runs must cover exactly startVcn..lastVcn
 * (VCN continuity) and every allocated run must lie within `clusterCount` clusters of the volume.
 */
export function decodeRunlist(
  bytes: Uint8Array,
  start: number,
  end: number,
  startVcn: number,
  lastVcn: number,
  clusterCount: number,
  structure: string,
  byteOffset: number,
): Run[] {
  let runs: Run[] | undefined; // grown by append (util/append.ts): most lists hold one run
  let pos = start;
  let vcn = startVcn;
  let lcn = 0;
  while (pos < end) {
    const header = bytes[pos]!;
    if (header === 0) break;
    const lengthSize = header & 0x0f;
    const deltaSize = header >> 4;
    if (lengthSize === 0 || lengthSize > 8 || deltaSize > 8 || pos + 1 + lengthSize + deltaSize > end) {
      throw new GrtError('BAD_RUNLIST', 'run header out of range', { structure, offset: byteOffset + pos, space: 'volume', actual: header });
    }
    if (runs && runs.length >= MAX_RUNS_PER_EXTENT) {
      throw new GrtError('LIMIT_EXCEEDED', 'too many runs in one attribute extent', { structure, offset: byteOffset + pos, space: 'volume', expected: MAX_RUNS_PER_EXTENT });
    }
    pos++;
    // Little-endian unsigned length; multiplication keeps it exact up to 2^53.
    let length = 0;
    let scale = 1;
    for (let i = 0; i < lengthSize; i++, scale *= 256) length += bytes[pos + i]! * scale;
    pos += lengthSize;
    if (length === 0 || !Number.isSafeInteger(length)) {
      throw new GrtError('BAD_RUNLIST', 'run length is zero or too large', { structure, offset: byteOffset + pos - lengthSize, space: 'volume', actual: length });
    }
    let runLcn: number | null = null;
    if (deltaSize > 0) {
      let delta = 0;
      scale = 1;
      for (let i = 0; i < deltaSize; i++, scale *= 256) delta += bytes[pos + i]! * scale;
      // Sign-extend from the top bit of the last byte.
      if ((bytes[pos + deltaSize - 1]! & 0x80) !== 0) delta -= scale;
      pos += deltaSize;
      lcn += delta;
      if (!Number.isSafeInteger(lcn) || lcn < 0 || lcn + length > clusterCount) {
        throw new GrtError('BAD_RUNLIST', 'run lies outside the volume', { structure, offset: byteOffset + pos - deltaSize, space: 'volume', expected: clusterCount, actual: lcn });
      }
      runLcn = lcn;
    }
    runs = append(runs, { vcn, lcn: runLcn, clusterCount: length });
    vcn += length;
    if (vcn > lastVcn + 1) {
      throw new GrtError('BAD_RUNLIST', 'runs extend past the last VCN of the extent', { structure, offset: byteOffset + pos, space: 'volume', expected: lastVcn + 1, actual: vcn });
    }
  }
  if (vcn !== lastVcn + 1) {
    throw new GrtError('BAD_RUNLIST', 'runs do not cover the extent', { structure, offset: byteOffset + start, space: 'volume', expected: lastVcn + 1, actual: vcn });
  }
  return runs ?? [];
}
