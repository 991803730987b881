/**
 * Where a stream's bytes go: resident, or clusters described by runs — plain, sparse,
 * fragmented, LZNT1-compressed (16-cluster compression units, libfsntfs notes on compressed
 * data runs) and with an initialized size below the data size.
 */

import { compressLznt1 } from '../lznt1-compress.js';
import { ATTR_FLAG_COMPRESSED, ATTR_FLAG_SPARSE, type NonResidentValue, type Run } from './attributes.js';

export const COMPRESSION_UNIT_LOG = 4;
const UNIT_CLUSTERS = 1 << COMPRESSION_UNIT_LOG;
/** Written past the initialized size on disk, so a reader that ignores it shows junk. */
export const JUNK_BYTE = 0xee;

/** Hands out clusters in increasing order; skipped clusters stay free. */
export class ClusterAllocator {
  next = 0;
  readonly used: [number, number][] = [];
  alloc(count: number): number {
    const lcn = this.next;
    if (count > 0) this.used.push([lcn, count]);
    this.next += count;
    return lcn;
  }
  skip(count: number): void {
    this.next += count;
  }
}

export interface ClusterWrite {
  lcn: number;
  bytes: Uint8Array;
}

export type StreamLayout =
  | { kind: 'resident'; value: Uint8Array }
  | { kind: 'nonResident'; value: NonResidentValue; writes: ClusterWrite[] };

export interface LayoutOptions {
  resident: boolean;
  sparseRanges?: [number, number][];
  fragmented?: boolean;
  compressed?: boolean;
  initializedSize?: number;
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function pushRun(runs: Run[], run: Run, mergeReal: boolean): void {
  const last = runs[runs.length - 1];
  if (last && last.lcn === null && run.lcn === null) last.length += run.length;
  else if (mergeReal && last && last.lcn !== null && run.lcn !== null && last.lcn + last.length === run.lcn) last.length += run.length;
  else runs.push({ ...run });
}

export function layoutStream(data: Uint8Array, options: LayoutOptions, clusters: ClusterAllocator, clusterSize: number, what: string): StreamLayout {
  if (options.resident || data.length === 0) return { kind: 'resident', value: data };
  if (options.compressed) return layoutCompressed(data, options, clusters, clusterSize, what);
  const clusterCount = Math.ceil(data.length / clusterSize);
  const hole = new Uint8Array(clusterCount);
  for (const [start, length] of options.sparseRanges ?? []) {
    const end = start + length;
    if (start % clusterSize !== 0 || (end % clusterSize !== 0 && end !== data.length) || end > data.length || length <= 0) {
      throw new Error(`${what}: sparse range [${start}, ${length}] is not cluster-aligned inside the data`);
    }
    if (!isZero(data.subarray(start, end))) throw new Error(`${what}: data inside sparse range [${start}, ${length}] is not zero`);
    hole.fill(1, start / clusterSize, Math.ceil(end / clusterSize));
  }
  const initializedSize = options.initializedSize ?? data.length;
  if (initializedSize > data.length || initializedSize < 0) throw new Error(`${what}: initializedSize past the data size`);
  if (!isZero(data.subarray(initializedSize))) throw new Error(`${what}: data past initializedSize is not zero`);

  // Segments of real clusters between holes, each maybe cut into pieces.
  const runs: Run[] = [];
  const writes: ClusterWrite[] = [];
  let realClusters = 0;
  let vcn = 0;
  while (vcn < clusterCount) {
    let end = vcn;
    while (end < clusterCount && hole[end] === hole[vcn]) end++;
    const length = end - vcn;
    if (hole[vcn]) {
      pushRun(runs, { length, lcn: null }, true);
    } else {
      realClusters += length;
      const pieceLength = options.fragmented ? Math.max(1, Math.ceil(length / 4)) : length;
      const pieces: [number, number][] = []; // [vcn, length]
      for (let at = vcn; at < end; at += pieceLength) pieces.push([at, Math.min(pieceLength, end - at)]);
      // Fragmented: allocate with a free cluster between pieces, the last piece first, so the
      // later pieces get the lower clusters and LCN deltas go backwards too.
      const lcns = new Array<number>(pieces.length);
      const order = pieces.map((_, i) => i);
      if (options.fragmented) order.reverse();
      for (const i of order) {
        lcns[i] = clusters.alloc(pieces[i][1]);
        if (options.fragmented) clusters.skip(1);
      }
      pieces.forEach(([pieceVcn, n], i) => {
        const lcn = lcns[i];
        pushRun(runs, { length: n, lcn }, !options.fragmented);
        const bytes = new Uint8Array(n * clusterSize);
        const from = pieceVcn * clusterSize;
        bytes.set(data.subarray(from, Math.min(from + bytes.length, data.length)));
        if (initializedSize < from + bytes.length) bytes.fill(JUNK_BYTE, Math.max(0, initializedSize - from));
        writes.push({ lcn, bytes });
      });
    }
    vcn = end;
  }
  const sparse = (options.sparseRanges ?? []).length > 0;
  const value: NonResidentValue = {
    runs,
    lowestVcn: 0,
    highestVcn: clusterCount - 1,
    allocatedSize: clusterCount * clusterSize,
    dataSize: data.length,
    initializedSize,
    compressionUnit: 0,
    flags: sparse ? ATTR_FLAG_SPARSE : 0,
  };
  if (sparse) value.compressedSize = realClusters * clusterSize;
  return { kind: 'nonResident', value, writes };
}

function layoutCompressed(data: Uint8Array, options: LayoutOptions, clusters: ClusterAllocator, clusterSize: number, what: string): StreamLayout {
  if (clusterSize > 4096) throw new Error(`${what}: NTFS compresses only with clusters of at most 4096 bytes`);
  if (options.initializedSize !== undefined && options.initializedSize !== data.length) {
    throw new Error(`${what}: the builder does not combine compression with initializedSize`);
  }
  for (const [start, length] of options.sparseRanges ?? []) {
    if (!isZero(data.subarray(start, start + length))) throw new Error(`${what}: data inside sparse range is not zero`);
  }
  const unitBytes = UNIT_CLUSTERS * clusterSize;
  const units = Math.ceil(data.length / unitBytes);
  const runs: Run[] = [];
  const writes: ClusterWrite[] = [];
  let realClusters = 0;
  for (let unit = 0; unit < units; unit++) {
    const slice = data.subarray(unit * unitBytes, Math.min((unit + 1) * unitBytes, data.length));
    if (isZero(slice)) {
      pushRun(runs, { length: UNIT_CLUSTERS, lcn: null }, false);
      continue;
    }
    // As Windows does (seen in the ntfs-ramslack fixture): the last unit is compressed whole,
    // zero tail too; after the chunks come a 0 header and slack (junk here) no one may decode.
    const whole = new Uint8Array(unitBytes);
    whole.set(slice);
    const compressed = compressLznt1(whole);
    const needed = Math.ceil(compressed.length / clusterSize);
    if (needed < UNIT_CLUSTERS) {
      const lcn = clusters.alloc(needed);
      const stored = new Uint8Array(needed * clusterSize).fill(JUNK_BYTE);
      stored.set(compressed);
      // Windows ends the chunks with a 0 header when it fits (TSK needs it to stop before slack).
      if (compressed.length + 2 <= stored.length) stored.fill(0, compressed.length, compressed.length + 2);
      writes.push({ lcn, bytes: stored });
      pushRun(runs, { length: needed, lcn }, false);
      pushRun(runs, { length: UNIT_CLUSTERS - needed, lcn: null }, false);
      realClusters += needed;
    } else {
      const lcn = clusters.alloc(UNIT_CLUSTERS);
      writes.push({ lcn, bytes: slice });
      pushRun(runs, { length: UNIT_CLUSTERS, lcn }, false);
      realClusters += UNIT_CLUSTERS;
    }
    if (options.fragmented) clusters.skip(1);
  }
  return {
    kind: 'nonResident',
    writes,
    value: {
      runs,
      lowestVcn: 0,
      highestVcn: units * UNIT_CLUSTERS - 1,
      allocatedSize: units * unitBytes,
      dataSize: data.length,
      initializedSize: data.length,
      compressedSize: realClusters * clusterSize,
      compressionUnit: COMPRESSION_UNIT_LOG,
      flags: ATTR_FLAG_COMPRESSED,
    },
  };
}
