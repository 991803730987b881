/**
 * A data stream's layout (where its bytes are on the volume), built from its attribute's extents.
 * Reading a stream from a layout is fs/layout-stream.ts (the catalog reads through it too).
 *
 * Sources: libyal libfsntfs "Compression" notes and [MS-XCA] 2.5 for compression units: a
 * compressed attribute is cut into units of 2^exponent clusters (16 usually).
 */
import { GrtError } from '../../errors.js';
import type { StreamLayout } from '../file-system.js';
import { ATTR_FLAG_COMPRESSED_MASK, ATTR_FLAG_ENCRYPTED, type Attribute } from './attribute.js';
import { append } from '../../util/append.js';

export { findRun, openLayoutStream, sourceOffsetAt } from '../layout-stream.js';

type LayoutRun = StreamLayout['runs'][number];

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
  const at = { structure, offset: first.byteOffset, space: 'volume' } as const;
  const name = first.name;
  if ((first.flags & ATTR_FLAG_ENCRYPTED) !== 0) {
    throw new GrtError('ENCRYPTED', 'stream is EFS-encrypted', at);
  }
  if (first.value) {
    // A copy unless asked for a view: the value is a view into a record (or a whole MFT chunk during a scan).
    return { name, size: first.value.length, initializedSize: first.value.length, encoding: 'resident', resident: residentView ? first.value : first.value.slice(), runs: [] };
  }
  const head = first.nonResident!;
  if (head.startVcn !== 0) throw new GrtError('BAD_ATTRIBUTE', 'first extent of the stream is missing', { ...at, expected: 0, actual: head.startVcn });
  const compressed = (first.flags & ATTR_FLAG_COMPRESSED_MASK) !== 0 && head.compressionUnitExponent > 0;
  let runs: LayoutRun[] | undefined; // grown by append (util/append.ts): most layouts hold one run
  let nextVcn = 0;
  for (const extent of extents) {
    const nr = extent.nonResident;
    if (!nr) throw new GrtError('BAD_ATTRIBUTE', 'resident and non-resident pieces in one stream', { structure, offset: extent.byteOffset, space: 'volume' });
    if (nr.startVcn !== nextVcn) {
      throw new GrtError('BAD_RUNLIST', 'stream extents are not contiguous', { structure, offset: extent.byteOffset, space: 'volume', expected: nextVcn, actual: nr.startVcn });
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
    throw new GrtError('BAD_RUNLIST', 'runs cover less than the data size', { ...at, expected: size, actual: nextVcn * clusterSize });
  }
  // Allocated clusters beyond the attribute's own allocated size are damage (a cross-linked run
  // list would otherwise multiply the clusters it names).
  const allocated = allocatedBytes(runs);
  if (!partial && allocated > head.allocatedSize) {
    throw new GrtError('BAD_RUNLIST', 'runs allocate more than the allocated size', { ...at, expected: head.allocatedSize, actual: allocated });
  }
  const layout: StreamLayout = { name, size, initializedSize: Math.min(head.initializedSize, size), encoding: compressed ? 'lznt1' : 'raw', runs: runs ?? [] };
  if (compressed) layout.compressionUnit = clusterSize * 2 ** head.compressionUnitExponent;
  return layout;
}

function allocatedBytes(runs: readonly LayoutRun[] | undefined): number {
  let total = 0;
  if (runs) for (const run of runs) if (run.sourceOffset !== null) total += run.length;
  return total;
}
