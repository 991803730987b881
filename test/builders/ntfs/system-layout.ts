/**
 * Where the NTFS metadata files go on a synthetic volume: $Boot at LCN 0, $MFT (one or two
 * extents), its bitmap, $MFTMirr, $LogFile, $AttrDef and $UpCase first; $Bitmap, $BadClus:$Bad
 * and the $MFT's own attribute values once the volume's size is known.
 * Layout facts from the libfsntfs format notes (metadata files, MFT mirror size) and the checks
 * ntfs-3g applies on mount (minimum $LogFile size, $MFTMirr comparison); see VERIFIED.md.
 */

import { ATTR, type AttributeSpec, type NonResidentValue, type Run } from './attributes.js';
import { ByteWriter, align, utf16le } from './bytes.js';
import type { ClusterAllocator, StreamLayout } from './data-layout.js';
import { buildIndex, indexRootValue, COLLATION_NTOFS_SECURITY_HASH, COLLATION_NTOFS_ULONG } from './index-btree.js';
import type { NtfsSpec } from './spec.js';
import { FIRST_USER_RECORD, type Node } from './tree.js';
import { attrDefTable } from './system-files.js';
import { upcaseBytes } from './upcase.js';

export const MFT_EXTENSION_RECORD = 16;
export const BOOT_FILE_BYTES = 8192;
/** ntfs-3g refuses a $LogFile below 2 restart pages + 48 record pages of 4 KiB. */
export const LOGFILE_BYTES = 256 * 1024;
const SPARE_RECORDS = 8;
/** Free clusters left at the end of the volume unless the spec says otherwise. */
const DEFAULT_FREE_CLUSTERS = 16;

export interface Geometry {
  sectorSize: number;
  clusterSize: number;
  recordSize: number;
  blockSize: number;
  vcnUnit: number;
  clustersPerBlockField: number;
}

export function geometryOf(spec: NtfsSpec): Geometry {
  const sectorSize = spec.sectorSize ?? 512;
  const clusterSize = spec.clusterSize ?? 4096;
  const recordSize = spec.recordSize ?? (sectorSize === 4096 ? 4096 : 1024);
  const blockSize = spec.indexBlockSize ?? 4096;
  const pow2 = (n: number) => Number.isInteger(Math.log2(n));
  if (!pow2(clusterSize) || clusterSize < sectorSize || clusterSize > 2 * 1024 * 1024) throw new Error(`bad cluster size ${clusterSize}`);
  if (recordSize < sectorSize) throw new Error('records must be at least one sector');
  return {
    sectorSize,
    clusterSize,
    recordSize,
    blockSize,
    vcnUnit: clusterSize <= blockSize ? clusterSize : 512,
    clustersPerBlockField: clusterSize <= blockSize ? blockSize / clusterSize : blockSize / 512,
  };
}

/** A non-resident value of `clusterCount` clusters from `lcn`, all of it initialized. */
export function contiguous(lcn: number | null, clusterCount: number, dataSize: number, clusterSize: number): NonResidentValue {
  return {
    runs: [{ length: clusterCount, lcn }],
    lowestVcn: 0,
    highestVcn: clusterCount - 1,
    allocatedSize: clusterCount * clusterSize,
    dataSize,
    initializedSize: dataSize,
    compressionUnit: 0,
    flags: 0,
  };
}

/** A placed area: its first cluster, cluster count and byte length. */
export interface Area {
  lcn: number;
  clusters: number;
  bytes: number;
}

export interface SystemLayout {
  recordCount: number;
  mftRuns: Run[];
  mftFirstClusters: number;
  mftBitmap: Area;
  mirror: Area;
  log: Area;
  attrDef: Area & { value: Uint8Array };
  upcase: Area & { value: Uint8Array };
}

/** Places the metadata files that come before user data, in mkntfs's order. */
export function layoutSystemFiles(spec: NtfsSpec, g: Geometry, clusters: ClusterAllocator, nextRecord: number): SystemLayout {
  const cs = g.clusterSize;
  const place = (bytes: number): Area => {
    const count = Math.ceil(bytes / cs);
    return { lcn: clusters.alloc(count), clusters: count, bytes };
  };
  const mirrorRecords = cs <= 4 * g.recordSize ? 4 : cs / g.recordSize;
  const recordsPerCluster = Math.max(1, cs / g.recordSize);
  let recordCount = Math.max(nextRecord + SPARE_RECORDS, mirrorRecords, FIRST_USER_RECORD + SPARE_RECORDS);
  recordCount = align(recordCount, Math.max(recordsPerCluster, 8));
  const mftClusters = (recordCount * g.recordSize) / cs;
  clusters.alloc(Math.ceil(BOOT_FILE_BYTES / cs)); // $Boot at LCN 0
  // With an attribute list, $MFT's second extent lives elsewhere; the first must hold record 16.
  const mftFirstClusters = spec.mftAttributeList ? Math.ceil(((MFT_EXTENSION_RECORD + 1) * g.recordSize) / cs) : mftClusters;
  if (spec.mftAttributeList && mftFirstClusters >= mftClusters) recordCount += Math.max(recordsPerCluster, 8);
  const mftRuns: Run[] = [{ length: mftFirstClusters, lcn: clusters.alloc(mftFirstClusters) }];
  const mftBitmap = place(align(Math.ceil(recordCount / 8), 8));
  const mirror = place(mirrorRecords * g.recordSize);
  const log = place(LOGFILE_BYTES);
  const attrDefValue = attrDefTable();
  const attrDef = { ...place(attrDefValue.length), value: attrDefValue };
  const upcaseValue = upcaseBytes();
  const upcase = { ...place(upcaseValue.length), value: upcaseValue };
  return { recordCount, mftRuns, mftFirstClusters, mftBitmap, mirror, log, attrDef, upcase };
}

/** The unnamed streams of $MFTMirr, $LogFile, $Volume, $AttrDef, $Boot, $BadClus, $UpCase and $Secure:$SDS. */
export function attachSystemStreams(metaNodes: Node[], sys: SystemLayout, clusterSize: number): void {
  const simple = (area: Area, lcn = area.lcn): StreamLayout => ({
    kind: 'nonResident',
    writes: [],
    value: contiguous(lcn, area.clusters, area.bytes, clusterSize),
  });
  const empty = (): StreamLayout => ({ kind: 'resident', value: new Uint8Array(0) });
  metaNodes[1].streams.push({ name: '', layout: simple(sys.mirror) });
  metaNodes[2].streams.push({ name: '', layout: simple(sys.log) });
  metaNodes[4].streams.push({ name: '', layout: simple(sys.attrDef) });
  metaNodes[7].streams.push({ name: '', layout: simple({ lcn: 0, clusters: Math.ceil(BOOT_FILE_BYTES / clusterSize), bytes: BOOT_FILE_BYTES }) });
  metaNodes[10].streams.push({ name: '', layout: simple(sys.upcase) });
  metaNodes[3].streams.push({ name: '', layout: empty() });
  metaNodes[8].streams.push({ name: '', layout: empty() });
  metaNodes[9].streams.push({ name: '$SDS', layout: empty() });
}

export interface VolumeEnd {
  totalClusters: number;
  bitmap: Area;
  mftValue: NonResidentValue;
}

/**
 * After user data and indexes: $MFT's second extent (with an attribute list), then $Bitmap last —
 * its size depends on the volume size, which includes itself — and the attributes that need the
 * final size ($BadClus:$Bad, $MFT's $DATA and $BITMAP, $Volume's name and information, $Secure's views).
 */
export function layoutVolumeEnd(spec: NtfsSpec, g: Geometry, sys: SystemLayout, clusters: ClusterAllocator, metaNodes: Node[]): VolumeEnd {
  const cs = g.clusterSize;
  const mftTotalClusters = (sys.recordCount * g.recordSize) / cs;
  if (spec.mftAttributeList) {
    clusters.skip(1);
    const rest = mftTotalClusters - sys.mftFirstClusters;
    sys.mftRuns.push({ length: rest, lcn: clusters.alloc(rest) });
  }
  const freeClusters = spec.freeClusters ?? DEFAULT_FREE_CLUSTERS;
  let bitmapClusters = 1;
  for (;;) {
    const total = clusters.next + bitmapClusters + freeClusters;
    const need = Math.ceil(align(Math.ceil(total / 8), 8) / cs);
    if (need <= bitmapClusters) break;
    bitmapClusters = need;
  }
  const bitmapLcn = clusters.alloc(bitmapClusters);
  clusters.skip(freeClusters);
  const totalClusters = clusters.next;
  const bitmap = { lcn: bitmapLcn, clusters: bitmapClusters, bytes: align(Math.ceil(totalClusters / 8), 8) };
  metaNodes[6].streams.push({ name: '', layout: { kind: 'nonResident', writes: [], value: contiguous(bitmap.lcn, bitmap.clusters, bitmap.bytes, cs) } });
  const bad = contiguous(null, totalClusters, totalClusters * cs, cs);
  metaNodes[8].streams.push({ name: '$Bad', layout: { kind: 'nonResident', writes: [], value: bad } });
  const mftBytes = sys.recordCount * g.recordSize;
  const mftValue: NonResidentValue = { ...contiguous(0, mftTotalClusters, mftBytes, cs), runs: sys.mftRuns };
  metaNodes[0].streams.push({ name: '', layout: { kind: 'nonResident', writes: [], value: mftValue } });
  const { mftBitmap } = sys;
  metaNodes[0].extra.push({ type: ATTR.BITMAP, name: '', nonResident: contiguous(mftBitmap.lcn, mftBitmap.clusters, mftBitmap.bytes, cs) });
  metaNodes[3].extra.push({ type: ATTR.VOLUME_NAME, name: '', resident: { value: utf16le(spec.volumeLabel ?? 'GRT') } });
  const volumeInfo = new ByteWriter(12);
  volumeInfo.u8(8, 3); // NTFS 3.1
  volumeInfo.u8(9, 1);
  metaNodes[3].extra.push({ type: ATTR.VOLUME_INFORMATION, name: '', resident: { value: volumeInfo.bytes } });
  const emptyView = (name: string, collation: number): AttributeSpec => ({
    type: ATTR.INDEX_ROOT,
    name,
    resident: { value: indexRootValue(0, collation, g.blockSize, g.clustersPerBlockField, buildIndex([], 1 << 30, g)) },
  });
  metaNodes[9].extra.push(emptyView('$SDH', COLLATION_NTOFS_SECURITY_HASH), emptyView('$SII', COLLATION_NTOFS_ULONG));
  return { totalClusters, bitmap, mftValue };
}
