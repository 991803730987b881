/**
 * Synthetic NTFS 3.1 volume builder: lays out the metadata files (records 0–11, 12–15 reserved in
 * use, 16–23 reserved free, user files from 24), the user tree, and writes one image. The metadata
 * files' places are in system-layout.ts, the records' names and index keys in record-shapes.ts.
 */

import { ATTR, type AttributeSpec } from './attributes.js';
import { buildListedRecords, splitExtents } from './attribute-list.js';
import { align } from './bytes.js';
import { ClusterAllocator, layoutStream, type ClusterWrite } from './data-layout.js';
import { indexRootValue, COLLATION_FILE_NAME } from './index-btree.js';
import { buildRecord, emptyRecord, firstAttributeOffset, RECORD_IN_USE, RECORD_IS_DIRECTORY, RECORD_IS_VIEW_INDEX } from './record.js';
import { RecordShapes } from './record-shapes.js';
import { RESIDENT_DEFAULT_MAX, type NtfsSpec } from './spec.js';
import {
  attachSystemStreams,
  contiguous,
  geometryOf,
  layoutSystemFiles,
  layoutVolumeEnd,
  LOGFILE_BYTES,
  MFT_EXTENSION_RECORD,
  type Geometry,
  type SystemLayout,
  type VolumeEnd,
} from './system-layout.js';
import { bootSector } from './system-files.js';
import { buildTree, ROOT_RECORD, type Node } from './tree.js';

/** Room a small non-resident $DATA takes in a record: 0x48 header and a few runs. */
const NON_RESIDENT_ESTIMATE = 0x70;
/** Records 12–15: reserved, marked in use with no attributes. */
const RESERVED_IN_USE = [12, 13, 14, 15];
/** $Secure's record: a view index, flagged so. */
const SECURE_RECORD = 9;

export interface BuiltNtfs {
  image: Uint8Array;
  sectorSize: number;
  clusterSize: number;
  recordSize: number;
  totalClusters: number;
  mftLcn: number;
  /** MFT record number of every user path ('/' is the root), for reader tests. */
  records: Map<string, number>;
}

export function buildNtfs(spec: NtfsSpec): Uint8Array {
  return buildNtfsVolume(spec).image;
}

export function buildNtfsVolume(spec: NtfsSpec): BuiltNtfs {
  const g = geometryOf(spec);
  const clusters = new ClusterAllocator();
  const { metaNodes, userNodes, allNodes, nextRecord } = buildTree(spec);
  const sys = layoutSystemFiles(spec, g, clusters, nextRecord);
  attachSystemStreams(metaNodes, sys, g.clusterSize);
  const shapes = new RecordShapes(g, allNodes);
  for (const node of userNodes) layoutUserData(node, g, shapes, clusters);
  layoutIndexes(allNodes.filter((n) => n.isDir), g, shapes, clusters);
  const end = layoutVolumeEnd(spec, g, sys, clusters, metaNodes);

  const image = writeSystemAreas(spec, g, sys, end, clusters, allNodes);
  const { records, mftBitmap } = buildRecords(spec, g, sys, end, shapes, allNodes, image);
  writeMft(g, sys, records, mftBitmap, image);

  const recordsByPath = new Map<string, number>([['/', ROOT_RECORD]]);
  for (const n of userNodes) recordsByPath.set(n.path, n.record);
  const { sectorSize, clusterSize, recordSize } = g;
  return { image, sectorSize, clusterSize, recordSize, totalClusters: end.totalClusters, mftLcn: sys.mftRuns[0].lcn!, records: recordsByPath };
}

/**
 * A user file's streams: resident by default when small, but streams that would overflow the
 * record move out to clusters, largest first, as NTFS does.
 */
function layoutUserData(node: Node, g: Geometry, shapes: RecordShapes, clusters: ClusterAllocator): void {
  if (node.spec?.kind !== 'file') return;
  const f = node.spec;
  const wantsClusters = f.compressed || f.fragmented || (f.sparseRanges ?? []).length > 0 || f.initializedSize !== undefined;
  const streams = [
    { name: '', data: f.data, resident: f.resident ?? (!wantsClusters && f.data.length <= RESIDENT_DEFAULT_MAX), forced: f.resident !== undefined || wantsClusters },
    ...(f.streams ?? []).map((s) => ({ name: s.name, data: s.data, resident: s.data.length <= RESIDENT_DEFAULT_MAX, forced: false })),
  ];
  const recordBytes = () =>
    firstAttributeOffset(g.recordSize) + 8 + (f.attributeList ? 0 : shapes.attributesBytes(shapes.baseAttributes(node))) +
    streams.reduce((sum, s) => sum + (s.resident ? align(0x18 + 2 * s.name.length, 8) + align(s.data.length, 8) : NON_RESIDENT_ESTIMATE + 2 * s.name.length), 0);
  while (recordBytes() > g.recordSize) {
    const movable = streams.filter((s) => s.resident && !s.forced && s.data.length > 0).sort((a, b) => b.data.length - a.data.length)[0];
    if (!movable) throw new Error(`${node.path}: its attributes do not fit in a ${g.recordSize}-byte record`);
    movable.resident = false;
  }
  for (const s of streams) {
    const options = s.name === ''
      ? { resident: s.resident, sparseRanges: f.sparseRanges, fragmented: f.fragmented, compressed: f.compressed, initializedSize: f.initializedSize }
      : { resident: s.resident };
    node.streams.push({ name: s.name, layout: layoutStream(s.data, options, clusters, g.clusterSize, s.name ? `${node.path}:${s.name}` : node.path) });
  }
}

/** Directory indexes: the shape depends only on key lengths, so size them now, fill them later. */
function layoutIndexes(dirs: Node[], g: Geometry, shapes: RecordShapes, clusters: ClusterAllocator): void {
  for (const dir of dirs) {
    const blocks = shapes.indexOf(dir).blocks.length;
    if (blocks > 0) {
      dir.indexBlocks = blocks;
      dir.indexLcn = clusters.alloc(Math.ceil((blocks * g.blockSize) / g.clusterSize));
    }
  }
}

/** The image with its boot sectors, $LogFile, $AttrDef, $UpCase, every stream's clusters and $Bitmap. */
function writeSystemAreas(spec: NtfsSpec, g: Geometry, sys: SystemLayout, end: VolumeEnd, clusters: ClusterAllocator, allNodes: Node[]): Uint8Array {
  const cs = g.clusterSize;
  const totalSectors = end.totalClusters * (cs / g.sectorSize);
  const image = new Uint8Array((totalSectors + 1) * g.sectorSize);
  const writeAt = (lcn: number, bytes: Uint8Array) => image.set(bytes, lcn * cs);
  const boot = bootSector({
    sectorSize: g.sectorSize,
    clusterSize: cs,
    recordSize: g.recordSize,
    indexBlockSize: g.blockSize,
    totalSectors,
    mftLcn: sys.mftRuns[0].lcn!,
    mftMirrLcn: sys.mirror.lcn,
    serial: spec.serial ?? 0x1234_5678_9abc_def0n,
  });
  image.set(boot, 0);
  image.set(boot, totalSectors * g.sectorSize); // backup: the sector after the last cluster
  image.fill(0xff, sys.log.lcn * cs, sys.log.lcn * cs + LOGFILE_BYTES); // an empty (clean) $LogFile
  writeAt(sys.attrDef.lcn, sys.attrDef.value);
  writeAt(sys.upcase.lcn, sys.upcase.value);
  const writes: ClusterWrite[] = [];
  for (const n of allNodes) for (const s of n.streams) if (s.layout.kind === 'nonResident') writes.push(...s.layout.writes);
  for (const w of writes) writeAt(w.lcn, w.bytes);
  const bitmap = new Uint8Array(end.bitmap.bytes);
  for (const [lcn, count] of clusters.used) for (let c = lcn; c < lcn + count; c++) bitmap[c >> 3] |= 1 << (c & 7);
  writeAt(end.bitmap.lcn, bitmap);
  return image;
}

/** Every node's record (and extension record), its index blocks written into `image`, and the MFT bitmap. */
function buildRecords(spec: NtfsSpec, g: Geometry, sys: SystemLayout, end: VolumeEnd, shapes: RecordShapes, allNodes: Node[], image: Uint8Array) {
  const records = new Map<number, Uint8Array>();
  const mftBitmap = new Uint8Array(sys.mftBitmap.bytes);
  const setRecord = (number: number, bytes: Uint8Array) => {
    records.set(number, bytes);
    mftBitmap[number >> 3] |= 1 << (number & 7);
  };
  for (const r of RESERVED_IN_USE) setRecord(r, emptyRecord(g.recordSize, r, r, RECORD_IN_USE));
  for (const n of allNodes) {
    const attrs = [...shapes.baseAttributes(n), ...n.extra];
    if (n.isDir) attrs.push(...directoryIndex(n, g, shapes, image));
    const dataAttrs: AttributeSpec[] = n.streams.map((s) =>
      s.layout.kind === 'resident'
        ? { type: ATTR.DATA, name: s.name, resident: { value: s.layout.value } }
        : { type: ATTR.DATA, name: s.name, nonResident: s.layout.value },
    );
    const flags = RECORD_IN_USE | (n.isDir ? RECORD_IS_DIRECTORY : 0) | (n.record === SECURE_RECORD ? RECORD_IS_VIEW_INDEX : 0);
    const base = { recordSize: g.recordSize, recordNumber: n.record, sequence: n.sequence, flags, linkCount: n.links.length };
    const extension = n.extensionRecord ?? (n.record === 0 && spec.mftAttributeList ? MFT_EXTENSION_RECORD : undefined);
    if (extension === undefined) {
      setRecord(n.record, buildRecord({ ...base, attributes: [...attrs, ...dataAttrs] }));
      continue;
    }
    // Attribute list: the data streams (or $MFT's second extent) go to the extension record.
    let inBase = attrs;
    let inExtension = dataAttrs;
    if (n.record === 0) {
      const [first, second] = splitExtents(end.mftValue, sys.mftRuns);
      inBase = [...attrs, { type: ATTR.DATA, name: '', nonResident: first }];
      inExtension = [{ type: ATTR.DATA, name: '', nonResident: second }];
    }
    const [baseRecord, extensionRecord] = buildListedRecords({ ...base, attributes: inBase }, extension, inExtension);
    setRecord(n.record, baseRecord);
    setRecord(extension, extensionRecord);
  }
  return { records, mftBitmap };
}

/** A directory's $I30 attributes; its INDX blocks, if any, are written into `image` at the place layoutIndexes chose. */
function directoryIndex(dir: Node, g: Geometry, shapes: RecordShapes, image: Uint8Array): AttributeSpec[] {
  const built = shapes.indexOf(dir);
  const attrs: AttributeSpec[] = [
    { type: ATTR.INDEX_ROOT, name: '$I30', resident: { value: indexRootValue(ATTR.FILE_NAME, COLLATION_FILE_NAME, g.blockSize, g.clustersPerBlockField, built) } },
  ];
  if (built.blocks.length === 0) return attrs;
  const lcn = dir.indexLcn!;
  if (built.blocks.length !== dir.indexBlocks) throw new Error(`index of ${dir.path} changed shape`);
  const blockBytes = built.blocks.length * g.blockSize;
  built.blocks.forEach((block, i) => image.set(block, lcn * g.clusterSize + i * g.blockSize));
  attrs.push({ type: ATTR.INDEX_ALLOCATION, name: '$I30', nonResident: contiguous(lcn, Math.ceil(blockBytes / g.clusterSize), blockBytes, g.clusterSize) });
  const bits = new Uint8Array(align(Math.ceil(built.blocks.length / 8), 8));
  for (let i = 0; i < built.blocks.length; i++) bits[i >> 3] |= 1 << (i & 7);
  attrs.push({ type: ATTR.BITMAP, name: '$I30', resident: { value: bits } });
  return attrs;
}

/** The MFT (every record formatted, free ones too) over its runs, its bitmap and the mirror. */
function writeMft(g: Geometry, sys: SystemLayout, records: Map<number, Uint8Array>, mftBitmap: Uint8Array, image: Uint8Array): void {
  const cs = g.clusterSize;
  const mftBytes = new Uint8Array(sys.recordCount * g.recordSize);
  for (let r = 0; r < sys.recordCount; r++) mftBytes.set(records.get(r) ?? emptyRecord(g.recordSize, r), r * g.recordSize);
  let vcn = 0;
  for (const run of sys.mftRuns) {
    image.set(mftBytes.subarray(vcn * cs, (vcn + run.length) * cs), run.lcn! * cs);
    vcn += run.length;
  }
  image.set(mftBitmap, sys.mftBitmap.lcn * cs);
  image.set(mftBytes.subarray(0, sys.mirror.bytes), sys.mirror.lcn * cs);
}
