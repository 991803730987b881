/**
 * A data stream's layout (where its bytes are on the volume) and a ByteSource that reads a
 * stream from its layout alone — the same function serves live reads and catalog restores.
 *
 * Sources: libyal libfsntfs "Compression" notes and [MS-XCA] 2.5 for compression units: a
 * compressed attribute is cut into units of 2^exponent clusters (16 usually); a unit whose runs
 * cover all its clusters is stored as is, a unit with no clusters is zeros, any other unit holds
 * LZNT1 data in its allocated clusters followed by sparse padding.
 */
import { GrtError } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { checkRange, readInto } from '../../io/byte-source.js';
import type { StreamLayout } from '../file-system.js';
import { ATTR_FLAG_COMPRESSED_MASK, ATTR_FLAG_ENCRYPTED, type Attribute } from './attribute.js';
import { decompressLznt1, MAX_LZNT1_OUTPUT } from './lznt1.js';
import { append } from '../../util/append.js';

type LayoutRun = StreamLayout['runs'][number];

/** Compressed units kept decoded, so sequential small reads decode each unit once. */
const DECODED_UNITS_KEPT = 2;

/**
 * The layout of one attribute: a resident value, or the extents (all records' pieces, sorted by
 * first VCN) of a non-resident one. EFS-encrypted data is refused (ENCRYPTED). `partial` accepts
 * extents that stop before the data size (the layout then ends where they end). `residentView`:
 * a resident value is handed over as the view into the record it is, not copied (a scan, whose
 * caller copies what it keeps: a copy per small file was ~2% of a 100k-file catalog build).
 */
export function buildLayout(extents: Attribute[], clusterSize: number, structure: string, partial = false, residentView = false): StreamLayout {
  const first = extents[0];
  // A record without the attribute (e.g. a damaged $UpCase with no $DATA) reaches here with none.
  if (!first) throw new GrtError('BAD_ATTRIBUTE', 'stream attribute missing', { structure });
  const name = first.name;
  if ((first.flags & ATTR_FLAG_ENCRYPTED) !== 0) {
    throw new GrtError('ENCRYPTED', 'stream is EFS-encrypted', { structure });
  }
  if (first.value) {
    // A copy unless asked for a view: the value is a view into a record (or a whole MFT chunk during a scan).
    return { name, size: first.value.length, initializedSize: first.value.length, encoding: 'resident', resident: residentView ? first.value : first.value.slice(), runs: [] };
  }
  const head = first.nonResident!;
  if (head.startVcn !== 0) throw new GrtError('BAD_ATTRIBUTE', 'first extent of the stream is missing', { structure, expected: 0, actual: head.startVcn });
  const compressed = (first.flags & ATTR_FLAG_COMPRESSED_MASK) !== 0 && head.compressionUnitExponent > 0;
  let runs: LayoutRun[] | undefined; // grown by append (util/append.ts): most layouts hold one run
  let nextVcn = 0;
  for (const extent of extents) {
    const nr = extent.nonResident;
    if (!nr) throw new GrtError('BAD_ATTRIBUTE', 'resident and non-resident pieces in one stream', { structure });
    if (nr.startVcn !== nextVcn) {
      throw new GrtError('BAD_RUNLIST', 'stream extents are not contiguous', { structure, expected: nextVcn, actual: nr.startVcn });
    }
    nextVcn = nr.lastVcn + 1;
    for (const run of nr.runs) {
      const piece: LayoutRun = { streamOffset: run.vcn * clusterSize, sourceOffset: run.lcn === null ? null : run.lcn * clusterSize, length: run.clusterCount * clusterSize };
      const last = runs?.[runs.length - 1];
      // Coalesce: adjacent runs contiguous on disk (or both holes) become one read.
      if (last && last.streamOffset + last.length === piece.streamOffset &&
          ((last.sourceOffset === null && piece.sourceOffset === null) ||
           (last.sourceOffset !== null && piece.sourceOffset !== null && last.sourceOffset + last.length === piece.sourceOffset))) {
        last.length += piece.length;
      } else {
        runs = append(runs, piece);
      }
    }
  }
  // A partial layout (bootstrapping $MFT from its first extents) covers only what the runs map.
  const size = partial ? Math.min(head.dataSize, nextVcn * clusterSize) : head.dataSize;
  if (nextVcn * clusterSize < size) {
    throw new GrtError('BAD_RUNLIST', 'runs cover less than the data size', { structure, expected: size, actual: nextVcn * clusterSize });
  }
  const layout: StreamLayout = { name, size, initializedSize: Math.min(head.initializedSize, size), encoding: compressed ? 'lznt1' : 'raw', runs: runs ?? [] };
  if (compressed) layout.compressionUnit = clusterSize * 2 ** head.compressionUnitExponent;
  return layout;
}

/** Check a layout (possibly from a catalog) against the source before reading through it. */
function checkLayout(source: ByteSource, layout: StreamLayout): void {
  const bad = (detail: string, actual?: unknown): GrtError => new GrtError('BAD_RUNLIST', detail, { structure: `stream layout ${JSON.stringify(layout.name)}`, actual });
  if (!Number.isSafeInteger(layout.size) || layout.size < 0) throw bad('size out of range', layout.size);
  if (layout.encoding === 'resident') {
    if (!layout.resident || layout.resident.length < layout.size) throw bad('resident data missing or short');
    return;
  }
  if (layout.encoding === 'lznt1') {
    // One unit is one decompressLznt1 call: its output bound is the unit bound (Windows uses 16 clusters).
    const unit = layout.compressionUnit ?? 0;
    if (!Number.isSafeInteger(unit) || unit <= 0 || unit > MAX_LZNT1_OUTPUT || unit % 4096 !== 0) throw bad('compression unit out of range', unit);
  }
  let expected = 0;
  for (const run of layout.runs) {
    if (run.streamOffset !== expected || !Number.isSafeInteger(run.length) || run.length <= 0) throw bad('runs not contiguous', run.streamOffset);
    if (run.sourceOffset !== null && (!Number.isSafeInteger(run.sourceOffset) || run.sourceOffset < 0 || run.sourceOffset + run.length > source.size)) {
      throw new GrtError('MISSING_DATA', 'run lies past the end of the source', { structure: 'stream layout', offset: run.sourceOffset, expected: source.size });
    }
    expected += run.length;
  }
  if (expected < layout.size) throw bad('runs cover less than the size', expected);
}

/** Index of the run holding stream byte `offset` (runs are contiguous from 0). */
export function findRun(runs: readonly LayoutRun[], offset: number): number {
  let low = 0;
  let high = runs.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (runs[mid]!.streamOffset <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Source byte offset of stream byte `at` (for messages); undefined in a hole or past the runs. */
export function sourceOffsetAt(runs: readonly LayoutRun[], at: number): number | undefined {
  const run = runs[findRun(runs, at)];
  return run && run.sourceOffset !== null && run.streamOffset <= at && at < run.streamOffset + run.length ? run.sourceOffset + at - run.streamOffset : undefined;
}

/**
 * Fill `out` with stream bytes [offset, offset+out.length) of a raw run map, straight from the
 * source into `out`; holes are zeros. Pieces contiguous on disk were coalesced when the layout was
 * built: one source read each, all in flight together.
 */
async function readRaw(source: ByteSource, runs: readonly LayoutRun[], offset: number, out: Uint8Array): Promise<void> {
  const reads: Promise<void>[] = [];
  const end = offset + out.length;
  for (let i = findRun(runs, offset); i < runs.length && runs[i]!.streamOffset < end; i++) {
    const run = runs[i]!;
    const from = Math.max(offset, run.streamOffset);
    const to = Math.min(end, run.streamOffset + run.length);
    if (to <= from) continue;
    const target = out.subarray(from - offset, to - offset);
    if (run.sourceOffset === null) target.fill(0);
    else reads.push(readInto(source, run.sourceOffset + from - run.streamOffset, target));
  }
  await Promise.all(reads);
}

export function openLayoutStream(source: ByteSource, layout: StreamLayout): ByteSource {
  checkLayout(source, layout);
  const size = layout.size;
  const valid = Math.min(layout.initializedSize, size);
  const name = `stream ${JSON.stringify(layout.name)}`;
  /** A stream reader from `fill`, which writes all of its target (zeros past the valid length). */
  const stream = (fill: (offset: number, target: Uint8Array) => Promise<void>): ByteSource => ({
    size,
    async read(offset, length) {
      checkRange({ size }, offset, length, name);
      const out = new Uint8Array(length);
      await fill(offset, out);
      return out;
    },
    async readInto(offset, target) {
      checkRange({ size }, offset, target.length, name);
      await fill(offset, target);
    },
  });
  if (layout.encoding === 'resident') {
    const data = layout.resident!;
    return {
      ...stream(async (offset, target) => target.set(data.subarray(offset, offset + target.length))),
      read: async (offset, length) => (checkRange({ size }, offset, length, name), data.subarray(offset, offset + length)),
    };
  }
  const runs = layout.runs;
  if (layout.encoding === 'raw') {
    const fill = async (offset: number, target: Uint8Array): Promise<void> => {
      const validBytes = Math.max(0, Math.min(target.length, valid - offset));
      if (validBytes > 0) await readRaw(source, runs, offset, target.subarray(0, validBytes));
      target.fill(0, validBytes);
    };
    return {
      ...stream(fill),
      async read(offset, length) {
        checkRange({ size }, offset, length, name);
        const end = offset + length;
        const run = runs[findRun(runs, offset)];
        // Common case: the whole read lies in one allocated run → hand back the source's bytes.
        if (length > 0 && end <= valid && run && run.sourceOffset !== null && end <= run.streamOffset + run.length) {
          return source.read(run.sourceOffset + offset - run.streamOffset, length);
        }
        const out = new Uint8Array(length);
        await fill(offset, out);
        return out;
      },
    };
  }
  const unitSize = layout.compressionUnit!;
  const decoded: { index: number; bytes: Uint8Array }[] = [];
  const unit = async (index: number): Promise<Uint8Array> => {
    const hit = decoded.find((u) => u.index === index);
    if (hit) return hit.bytes;
    const start = index * unitSize;
    let allocated = 0;
    for (let i = findRun(runs, start); i < runs.length && runs[i]!.streamOffset < start + unitSize; i++) {
      const run = runs[i]!;
      if (run.sourceOffset !== null) allocated += Math.min(start + unitSize, run.streamOffset + run.length) - Math.max(start, run.streamOffset);
    }
    const bytes = new Uint8Array(unitSize);
    if (allocated === unitSize) {
      await readRaw(source, runs, start, bytes);
    } else if (allocated > 0) {
      // The allocated clusters come first in the unit; sparse padding follows.
      const packed = new Uint8Array(unitSize);
      await readRaw(source, runs, start, packed);
      bytes.set(decompressLznt1(packed.subarray(0, allocated), unitSize));
    }
    decoded.push({ index, bytes });
    if (decoded.length > DECODED_UNITS_KEPT) decoded.shift();
    return bytes;
  };
  return stream(async (offset, target) => {
    const end = Math.min(offset + target.length, valid);
    let pos = offset;
    while (pos < end) {
      const index = Math.floor(pos / unitSize);
      const within = pos - index * unitSize;
      const take = Math.min(unitSize - within, end - pos);
      target.set((await unit(index)).subarray(within, within + take), pos - offset);
      pos += take;
    }
    target.fill(0, Math.max(0, pos - offset));
  });
}
