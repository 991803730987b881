/**
 * Synthetic NTFS 3.1 volume builder: lays out the metadata files (records 0–11, 12–15 reserved in
 * use, 16–23 reserved free, user files from 24), the user tree, and writes one image.
 * Layout facts from the libfsntfs format notes (metadata files, MFT mirror size) and the checks
 * ntfs-3g applies on mount (minimum $LogFile size, $MFTMirr comparison); see VERIFIED.md.
 */

import { ATTR, fileName, standardInformation, type AttributeSpec, type NonResidentValue, type Run } from './attributes.js';
import { buildListedRecords, splitExtents } from './attribute-list.js';
import { ByteWriter, align, fileReference, utf16le } from './bytes.js';
import { ClusterAllocator, layoutStream, type ClusterWrite, type StreamLayout } from './data-layout.js';
import { buildIndex, indexRootValue, COLLATION_FILE_NAME, COLLATION_NTOFS_SECURITY_HASH, COLLATION_NTOFS_ULONG, type IndexKey } from './index-btree.js';
import { buildRecord, emptyRecord, encodeAttributes, firstAttributeOffset, RECORD_IN_USE, RECORD_IS_DIRECTORY, RECORD_IS_VIEW_INDEX } from './record.js';
import { RESIDENT_DEFAULT_MAX, type NtfsSpec } from './spec.js';
import { buildTree, FIRST_USER_RECORD, ROOT_RECORD, type Link, type Node } from './tree.js';
import { attrDefTable, bootSector } from './system-files.js';
import { compareNtfsNames, upcaseBytes } from './upcase.js';

const MFT_EXTENSION_RECORD = 16;
const BOOT_FILE_BYTES = 8192;
/** ntfs-3g refuses a $LogFile below 2 restart pages + 48 record pages of 4 KiB. */
const LOGFILE_BYTES = 256 * 1024;
const SPARE_RECORDS = 8;
/** Room a small non-resident $DATA takes in a record: 0x48 header and a few runs. */
const NON_RESIDENT_ESTIMATE = 0x70;
const FILE_NAME_INDEX_PRESENT = 0x10000000;

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

interface Geometry {
  sectorSize: number;
  clusterSize: number;
  recordSize: number;
  blockSize: number;
  vcnUnit: number;
  clustersPerBlockField: number;
}

function geometryOf(spec: NtfsSpec): Geometry {
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

export function buildNtfs(spec: NtfsSpec): Uint8Array {
  return buildNtfsVolume(spec).image;
}

export function buildNtfsVolume(spec: NtfsSpec): BuiltNtfs {
  const g = geometryOf(spec);
  const cs = g.clusterSize;
  const clusters = new ClusterAllocator();

  const { metaNodes, userNodes, allNodes, nextRecord } = buildTree(spec);

  // --- Cluster layout -------------------------------------------------------------------------
  const mirrorRecords = cs <= 4 * g.recordSize ? 4 : cs / g.recordSize;
  const recordsPerCluster = Math.max(1, cs / g.recordSize);
  let recordCount = Math.max(nextRecord + SPARE_RECORDS, mirrorRecords, FIRST_USER_RECORD + SPARE_RECORDS);
  recordCount = align(recordCount, Math.max(recordsPerCluster, 8));
  const mftClusters = (recordCount * g.recordSize) / cs;
  const bootClusters = Math.ceil(BOOT_FILE_BYTES / cs);
  clusters.alloc(bootClusters); // $Boot at LCN 0
  // With an attribute list, $MFT's second extent lives elsewhere; the first must hold record 16.
  const mftFirstClusters = spec.mftAttributeList ? Math.ceil(((MFT_EXTENSION_RECORD + 1) * g.recordSize) / cs) : mftClusters;
  if (spec.mftAttributeList && mftFirstClusters >= mftClusters) recordCount += Math.max(recordsPerCluster, 8);
  const mftTotalClusters = (recordCount * g.recordSize) / cs;
  const mftRuns: Run[] = [{ length: mftFirstClusters, lcn: clusters.alloc(mftFirstClusters) }];
  const mftBitmapBytes = align(Math.ceil(recordCount / 8), 8);
  const mftBitmapClusters = Math.ceil(mftBitmapBytes / cs);
  const mftBitmapLcn = clusters.alloc(mftBitmapClusters);
  const mirrorBytes = mirrorRecords * g.recordSize;
  const mirrorClusters = Math.ceil(mirrorBytes / cs);
  const mirrorLcn = clusters.alloc(mirrorClusters);
  const logClusters = Math.ceil(LOGFILE_BYTES / cs);
  const logLcn = clusters.alloc(logClusters);
  const attrDef = attrDefTable();
  const attrDefClusters = Math.ceil(attrDef.length / cs);
  const attrDefLcn = clusters.alloc(attrDefClusters);
  const upcase = upcaseBytes();
  const upcaseClusters = Math.ceil(upcase.length / cs);
  const upcaseLcn = clusters.alloc(upcaseClusters);

  const contiguous = (lcn: number, clusterCount: number, dataSize: number): NonResidentValue => ({
    runs: [{ length: clusterCount, lcn }],
    lowestVcn: 0,
    highestVcn: clusterCount - 1,
    allocatedSize: clusterCount * cs,
    dataSize,
    initializedSize: dataSize,
    compressionUnit: 0,
    flags: 0,
  });
  const simple = (lcn: number, clusterCount: number, dataSize: number): StreamLayout => ({
    kind: 'nonResident',
    writes: [],
    value: contiguous(lcn, clusterCount, dataSize),
  });
  metaNodes[1].streams.push({ name: '', layout: simple(mirrorLcn, mirrorClusters, mirrorBytes) });
  metaNodes[2].streams.push({ name: '', layout: simple(logLcn, logClusters, LOGFILE_BYTES) });
  metaNodes[4].streams.push({ name: '', layout: simple(attrDefLcn, attrDefClusters, attrDef.length) });
  metaNodes[7].streams.push({ name: '', layout: simple(0, bootClusters, BOOT_FILE_BYTES) });
  metaNodes[10].streams.push({ name: '', layout: simple(upcaseLcn, upcaseClusters, upcase.length) });
  metaNodes[3].streams.push({ name: '', layout: { kind: 'resident', value: new Uint8Array(0) } });
  metaNodes[8].streams.push({ name: '', layout: { kind: 'resident', value: new Uint8Array(0) } });
  metaNodes[9].streams.push({ name: '$SDS', layout: { kind: 'resident', value: new Uint8Array(0) } });

  // $FILE_NAME values and index keys (sizes are read when called, so call them late).
  const dirs = [...metaNodes, ...userNodes].filter((n) => n.isDir);
  const fileNameFlags = (n: Node) => n.fileAttributes | (n.isDir ? FILE_NAME_INDEX_PRESENT : 0);
  const unnamedSizes = (n: Node): [number, number] => {
    const layout = n.streams.find((s) => s.name === '')?.layout;
    if (!layout || n.isDir) return [0, 0];
    if (layout.kind === 'resident') return [align(layout.value.length, 8), layout.value.length];
    return [layout.value.allocatedSize, layout.value.dataSize];
  };
  const fileNameValue = (n: Node, link: Link) => {
    const [allocatedSize, dataSize] = unnamedSizes(n);
    return fileName({
      parentReference: fileReference(link.dir.record, link.dir.sequence),
      times: n.times,
      allocatedSize,
      dataSize,
      fileAttributes: fileNameFlags(n),
      name: link.name,
      namespace: link.namespace,
    });
  };
  const entriesOf = (dir: Node): IndexKey[] => {
    const entries: { name: string; key: IndexKey }[] = [];
    for (const n of allNodes) {
      for (const link of n.links) {
        if (link.dir === dir) entries.push({ name: link.name, key: { reference: fileReference(n.record, n.sequence), key: fileNameValue(n, link) } });
      }
    }
    entries.sort((a, b) => compareNtfsNames(a.name, b.name));
    return entries.map((e) => e.key);
  };
  const baseAttributes = (n: Node): AttributeSpec[] => [
    { type: ATTR.STANDARD_INFORMATION, name: '', resident: { value: standardInformation(n.times, n.fileAttributes) } },
    ...n.links.map((link) => ({ type: ATTR.FILE_NAME, name: '', resident: { value: fileNameValue(n, link), indexed: true } })),
  ];
  const attributesBytes = (attrs: AttributeSpec[]) => encodeAttributes(attrs).reduce((sum, a) => sum + a.bytes.length, 0);

  // User data. Resident by default when small, but streams that would overflow the record
  // move out to clusters, largest first, as NTFS does.
  for (const node of userNodes) {
    if (node.spec?.kind !== 'file') continue;
    const f = node.spec;
    const wantsClusters = f.compressed || f.fragmented || (f.sparseRanges ?? []).length > 0 || f.initializedSize !== undefined;
    const streams = [
      { name: '', data: f.data, resident: f.resident ?? (!wantsClusters && f.data.length <= RESIDENT_DEFAULT_MAX), forced: f.resident !== undefined || wantsClusters },
      ...(f.streams ?? []).map((s) => ({ name: s.name, data: s.data, resident: s.data.length <= RESIDENT_DEFAULT_MAX, forced: false })),
    ];
    const recordBytes = () =>
      firstAttributeOffset(g.recordSize) + 8 + (f.attributeList ? 0 : attributesBytes(baseAttributes(node))) +
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
      node.streams.push({ name: s.name, layout: layoutStream(s.data, options, clusters, cs, s.name ? `${node.path}:${s.name}` : node.path) });
    }
  }

  // Directory indexes: the shape depends only on key lengths, so size them now, fill them later.
  /** Bytes INDEX_ALLOCATION (one or two runs) and $BITMAP take in a large directory's record. */
  const LARGE_INDEX_ATTRIBUTES = 0x100;
  const indexOf = (dir: Node) => {
    const entries = entriesOf(dir);
    const fixed = firstAttributeOffset(g.recordSize) + 8 + attributesBytes(baseAttributes(dir)) + 0x40;
    const small = buildIndex(entries, g.recordSize - fixed, g);
    if (small.blocks.length === 0) return small;
    return buildIndex(entries, g.recordSize - fixed - LARGE_INDEX_ATTRIBUTES, g);
  };
  for (const dir of dirs) {
    const blocks = indexOf(dir).blocks.length;
    if (blocks > 0) {
      dir.indexBlocks = blocks;
      dir.indexLcn = clusters.alloc(Math.ceil((blocks * g.blockSize) / cs));
    }
  }

  if (spec.mftAttributeList) {
    clusters.skip(1);
    const rest = mftTotalClusters - mftFirstClusters;
    mftRuns.push({ length: rest, lcn: clusters.alloc(rest) });
  }

  // $Bitmap last: its size depends on the volume size, which includes itself.
  const freeClusters = spec.freeClusters ?? 16;
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
  const bitmapBytes = align(Math.ceil(totalClusters / 8), 8);
  metaNodes[6].streams.push({ name: '', layout: simple(bitmapLcn, bitmapClusters, bitmapBytes) });
  metaNodes[8].streams.push({
    name: '$Bad',
    layout: {
      kind: 'nonResident',
      writes: [],
      value: {
        runs: [{ length: totalClusters, lcn: null }],
        lowestVcn: 0,
        highestVcn: totalClusters - 1,
        allocatedSize: totalClusters * cs,
        dataSize: totalClusters * cs,
        initializedSize: totalClusters * cs,
        compressionUnit: 0,
        flags: 0,
      },
    },
  });
  const mftValue: NonResidentValue = {
    runs: mftRuns,
    lowestVcn: 0,
    highestVcn: mftTotalClusters - 1,
    allocatedSize: mftTotalClusters * cs,
    dataSize: recordCount * g.recordSize,
    initializedSize: recordCount * g.recordSize,
    compressionUnit: 0,
    flags: 0,
  };
  metaNodes[0].streams.push({ name: '', layout: { kind: 'nonResident', writes: [], value: mftValue } });
  metaNodes[0].extra.push({ type: ATTR.BITMAP, name: '', nonResident: contiguous(mftBitmapLcn, mftBitmapClusters, mftBitmapBytes) });
  const label = spec.volumeLabel ?? 'GRT';
  metaNodes[3].extra.push({ type: ATTR.VOLUME_NAME, name: '', resident: { value: utf16le(label) } });
  const volumeInfo = new ByteWriter(12);
  volumeInfo.u8(8, 3);
  volumeInfo.u8(9, 1);
  metaNodes[3].extra.push({ type: ATTR.VOLUME_INFORMATION, name: '', resident: { value: volumeInfo.bytes } });
  const emptyView = (name: string, collation: number): AttributeSpec => ({
    type: ATTR.INDEX_ROOT,
    name,
    resident: { value: indexRootValue(0, collation, g.blockSize, g.clustersPerBlockField, buildIndex([], 1 << 30, g)) },
  });
  metaNodes[9].extra.push(emptyView('$SDH', COLLATION_NTOFS_SECURITY_HASH), emptyView('$SII', COLLATION_NTOFS_ULONG));

  // --- Image ------------------------------------------------------------------------------------
  const spc = cs / g.sectorSize;
  const totalSectors = totalClusters * spc;
  const image = new Uint8Array((totalSectors + 1) * g.sectorSize);
  const writeAt = (lcn: number, bytes: Uint8Array) => image.set(bytes, lcn * cs);
  const boot = bootSector({
    sectorSize: g.sectorSize,
    clusterSize: cs,
    recordSize: g.recordSize,
    indexBlockSize: g.blockSize,
    totalSectors,
    mftLcn: mftRuns[0].lcn!,
    mftMirrLcn: mirrorLcn,
    serial: spec.serial ?? 0x1234_5678_9abc_def0n,
  });
  image.set(boot, 0);
  image.set(boot, totalSectors * g.sectorSize); // backup: the sector after the last cluster
  image.fill(0xff, logLcn * cs, logLcn * cs + LOGFILE_BYTES); // an empty (clean) $LogFile
  writeAt(attrDefLcn, attrDef);
  writeAt(upcaseLcn, upcase);
  const writes: ClusterWrite[] = [];
  for (const n of allNodes) for (const s of n.streams) if (s.layout.kind === 'nonResident') writes.push(...s.layout.writes);
  for (const w of writes) writeAt(w.lcn, w.bytes);

  // Cluster bitmap.
  const bitmap = new Uint8Array(bitmapBytes);
  for (const [lcn, count] of clusters.used) for (let c = lcn; c < lcn + count; c++) bitmap[c >> 3] |= 1 << (c & 7);
  writeAt(bitmapLcn, bitmap);

  // Records.
  const records = new Map<number, Uint8Array>();
  const mftBitmap = new Uint8Array(mftBitmapBytes);
  const setRecord = (number: number, bytes: Uint8Array) => {
    records.set(number, bytes);
    mftBitmap[number >> 3] |= 1 << (number & 7);
  };
  for (let r = 12; r < 16; r++) setRecord(r, emptyRecord(g.recordSize, r, r, RECORD_IN_USE));
  for (const n of allNodes) {
    const attrs = baseAttributes(n);
    const dataAttrs: AttributeSpec[] = n.streams.map((s) =>
      s.layout.kind === 'resident'
        ? { type: ATTR.DATA, name: s.name, resident: { value: s.layout.value } }
        : { type: ATTR.DATA, name: s.name, nonResident: s.layout.value },
    );
    attrs.push(...n.extra);
    if (n.isDir) {
      const built = indexOf(n);
      attrs.push({ type: ATTR.INDEX_ROOT, name: '$I30', resident: { value: indexRootValue(ATTR.FILE_NAME, COLLATION_FILE_NAME, g.blockSize, g.clustersPerBlockField, built) } });
      if (built.blocks.length > 0) {
        const lcn = n.indexLcn!;
        if (built.blocks.length !== n.indexBlocks) throw new Error(`index of ${n.path} changed shape`);
        const blockBytes = built.blocks.length * g.blockSize;
        const clusterCount = Math.ceil(blockBytes / cs);
        built.blocks.forEach((block, i) => image.set(block, lcn * cs + i * g.blockSize));
        attrs.push({ type: ATTR.INDEX_ALLOCATION, name: '$I30', nonResident: contiguous(lcn, clusterCount, blockBytes) });
        const bits = new Uint8Array(align(Math.ceil(built.blocks.length / 8), 8));
        for (let i = 0; i < built.blocks.length; i++) bits[i >> 3] |= 1 << (i & 7);
        attrs.push({ type: ATTR.BITMAP, name: '$I30', resident: { value: bits } });
      }
    }
    const flags = RECORD_IN_USE | (n.isDir ? RECORD_IS_DIRECTORY : 0) | (n.record === 9 ? RECORD_IS_VIEW_INDEX : 0);
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
      const [first, second] = splitExtents(mftValue, mftRuns);
      inBase = [...attrs, { type: ATTR.DATA, name: '', nonResident: first }];
      inExtension = [{ type: ATTR.DATA, name: '', nonResident: second }];
    }
    const [baseRecord, extensionRecord] = buildListedRecords({ ...base, attributes: inBase }, extension, inExtension);
    setRecord(n.record, baseRecord);
    setRecord(extension, extensionRecord);
  }

  // Write the MFT (every record formatted), its bitmap and the mirror.
  const mftBytes = new Uint8Array(recordCount * g.recordSize);
  for (let r = 0; r < recordCount; r++) mftBytes.set(records.get(r) ?? emptyRecord(g.recordSize, r), r * g.recordSize);
  let vcn = 0;
  for (const run of mftRuns) {
    writeAt(run.lcn!, mftBytes.subarray(vcn * cs, (vcn + run.length) * cs));
    vcn += run.length;
  }
  writeAt(mftBitmapLcn, mftBitmap);
  writeAt(mirrorLcn, mftBytes.subarray(0, mirrorBytes));

  const recordsByPath = new Map<string, number>([['/', ROOT_RECORD]]);
  for (const n of userNodes) recordsByPath.set(n.path, n.record);
  return { image, sectorSize: g.sectorSize, clusterSize: cs, recordSize: g.recordSize, totalClusters, mftLcn: mftRuns[0].lcn!, records: recordsByPath };
}
