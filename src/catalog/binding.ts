/**
 * What ties a catalog to the image it was made from (docs/catalog-format.md §4): the virtual disk's
 * capacity, the VMDK chain's content IDs (CIDs, child first, VMDK technote "The Descriptor File"),
 * the partition layout and each volume's serial number. A restore checks these before trusting
 * disk offsets stored in the catalog.
 */
import { GrtError } from '../errors.js';
import type { NameRule } from '../fs/file-system.js';
import type { DiskSegment } from '../volume/types.js';
import type { ByteReader, ByteWriter } from './varint.js';

export interface CatalogPartition {
  /** Partition number as `listVolumes` numbers it (0 = whole disk). */
  index: number;
  /** Byte offset on the virtual disk. */
  start: number;
  /** Size in bytes. */
  size: number;
  /** File-system kind as the partition layer detected it ('ntfs', 'fat32', ...). */
  fs: string;
  /** File-system serial number, for the volumes catalogued. */
  serial?: string;
}

/** A disk of the image after the first (format 3.1): what it must be for the catalog to apply. */
export interface CatalogDisk {
  capacity: number;
  /** CIDs of the disk's VMDK chain, child first; empty without CIDs. */
  cids: string[];
}

/**
 * A catalogued volume that is not a partition of the first disk (format 3.1): a partition or
 * whole disk of disk 2 on ("D:N"), or an LVM2 logical volume ("VG/LV") with its segments on the
 * disks, so a catalog is refused where the same LV maps to other extents.
 */
export interface CatalogBoundVolume {
  /** The volume id `--info` prints and `--partition` takes. */
  id: string;
  /** Its volume number in the catalog's sections (volume, NAMES, FILES, END). */
  number: number;
  /** Disk number (2 on) of a partition; 0 for a logical volume. */
  disk: number;
  /** Byte offset on its disk (0 for a logical volume). */
  start: number;
  size: number;
  fs: string;
  serial?: string;
  /** A logical volume's segments (volume/types.ts DiskSegment); empty for a partition. */
  segments: DiskSegment[];
}

export interface CatalogBinding {
  /** Virtual disk capacity in bytes. */
  capacity: number;
  /** CIDs of the VMDK chain, child (the file opened) first; empty for images without CIDs. */
  cids: string[];
  partitions: CatalogPartition[];
  /** Disks 2 on of a VM, in order (format 3.1; absent or empty for one disk). */
  disks?: CatalogDisk[];
  /** Volumes not on the first disk (format 3.1). */
  volumes?: CatalogBoundVolume[];
}

/** One catalogued volume as the catalog describes it. */
export interface CatalogVolume {
  /** The volume's number in the catalog: its partition number on the first disk, else CatalogBoundVolume.number. */
  index: number;
  /** The volume id (Volume.id): String(index) on the first disk, else CatalogBoundVolume.id. */
  id: string;
  /** Byte offset of the volume on the virtual disk (layouts are already shifted by it). */
  start: number;
  fs: string;
  serial: string;
  label?: string;
  clusterSize: number;
  /**
   * How names compare (fs/file-system.ts NameRule): 'upcase' through the volume's UPCASE section
   * (NTFS), 'bytes' case-sensitive (ext, XFS). Catalogs before format 3.0 hold NTFS only: 'upcase'.
   */
  nameRule: NameRule['kind'];
  /** Name records (paths), counting every hard link. */
  names: number;
  /** File records (distinct files). */
  files: number;
}

/** Chains, partitions and volumes past these are damage, not disks (VMware chains stay < 32). */
const MAX_CIDS = 4096;
const MAX_PARTITIONS = 4096;
/** A VM has at most some tens of disks (VMware: 4 SCSI controllers × 64 targets, plus SATA/NVMe). */
const MAX_DISKS = 1024;
/** Stripes per segment: LVM allows 128 (volume/lvm/metadata.ts MAX_STRIPES). */
const MAX_STRIPES = 128;
/** Segments of one LV (volume/lvm/metadata.ts MAX_SEGMENTS). */
const MAX_SEGMENTS = 65536;

export function encodeBinding(w: ByteWriter, binding: CatalogBinding): void {
  w.u(binding.capacity);
  w.u(binding.cids.length);
  for (const cid of binding.cids) w.str(cid);
  w.u(binding.partitions.length);
  for (const p of binding.partitions) {
    w.u(p.index);
    w.u(p.start);
    w.u(p.size);
    w.str(p.fs);
    w.u(p.serial === undefined ? 0 : 1);
    if (p.serial !== undefined) w.str(p.serial);
  }
  // Format 3.1: appended, so a 3.0 reader (which stops after the partitions) reads the rest alike.
  const disks = binding.disks ?? [];
  const volumes = binding.volumes ?? [];
  if (disks.length === 0 && volumes.length === 0) return;
  w.u(disks.length);
  for (const d of disks) {
    w.u(d.capacity);
    w.u(d.cids.length);
    for (const cid of d.cids) w.str(cid);
  }
  w.u(volumes.length);
  for (const v of volumes) encodeBoundVolume(w, v);
}

function encodeBoundVolume(w: ByteWriter, v: CatalogBoundVolume): void {
  w.str(v.id);
  w.u(v.number);
  w.u(v.disk);
  w.u(v.start);
  w.u(v.size);
  w.str(v.fs);
  w.u(v.serial === undefined ? 0 : 1);
  if (v.serial !== undefined) w.str(v.serial);
  w.u(v.segments.length);
  for (const segment of v.segments) {
    w.u(segment.start);
    w.u(segment.size);
    w.u(segment.stripeSize);
    w.u(segment.stripes.length);
    for (const stripe of segment.stripes) {
      w.u(stripe.disk);
      w.u(stripe.byteOffset);
    }
  }
}

function decodeBoundVolume(r: ByteReader): CatalogBoundVolume {
  const v: CatalogBoundVolume = { id: r.str(), number: r.u(), disk: r.u(), start: r.u(), size: r.u(), fs: r.str(), segments: [] };
  if (r.bounded(1, 'serial flag')) v.serial = r.str();
  const count = r.bounded(MAX_SEGMENTS, 'segment count');
  for (let i = 0; i < count; i++) {
    const segment: DiskSegment = { start: r.u(), size: r.u(), stripeSize: r.u(), stripes: [] };
    const stripes = r.bounded(MAX_STRIPES, 'stripe count');
    for (let j = 0; j < stripes; j++) segment.stripes.push({ disk: r.u(), byteOffset: r.u() });
    v.segments.push(segment);
  }
  return v;
}

export function decodeBinding(r: ByteReader): CatalogBinding {
  const capacity = r.u();
  const cids = Array.from({ length: r.bounded(MAX_CIDS, 'CID count') }, () => r.str());
  const partitions: CatalogPartition[] = [];
  const count = r.bounded(MAX_PARTITIONS, 'partition count');
  for (let i = 0; i < count; i++) {
    const p: CatalogPartition = { index: r.u(), start: r.u(), size: r.u(), fs: r.str() };
    if (r.bounded(1, 'serial flag')) p.serial = r.str();
    partitions.push(p);
  }
  const binding: CatalogBinding = { capacity, cids, partitions };
  // Format 3.1 appends the other disks and volumes; a binding of one disk ends here.
  if (r.remaining === 0) return binding;
  binding.disks = Array.from({ length: r.bounded(MAX_DISKS, 'disk count') }, () => ({ capacity: r.u(), cids: Array.from({ length: r.bounded(MAX_CIDS, 'CID count') }, () => r.str()) }));
  binding.volumes = Array.from({ length: r.bounded(MAX_PARTITIONS, 'volume count') }, () => decodeBoundVolume(r));
  // Each volume one id and one number, apart from the first disk's partition numbers: a reader finds a volume by either.
  const numbers = new Set(partitions.map((p) => p.index));
  const ids = new Set(partitions.map((p) => String(p.index)));
  for (const v of binding.volumes) {
    if (numbers.has(v.number) || ids.has(v.id)) r.fail('two volumes share a number or an id', v.id);
    numbers.add(v.number);
    ids.add(v.id);
  }
  return binding;
}

/** Volume section: the volume's identity; counts are learned from its chunks and the END section. */
export function encodeVolume(w: ByteWriter, v: Omit<CatalogVolume, 'names' | 'files' | 'id'>): void {
  w.u(v.index);
  w.u(v.start);
  w.str(v.fs);
  w.str(v.serial);
  w.u(v.clusterSize);
  w.u(v.label === undefined ? 0 : 1);
  if (v.label !== undefined) w.str(v.label);
  w.u(NAME_RULES.indexOf(v.nameRule));
}

/** Name rules by their number in a volume section (format 3.0). */
const NAME_RULES: readonly NameRule['kind'][] = ['upcase', 'bytes'];

export function decodeVolume(r: ByteReader, major: number): Omit<CatalogVolume, 'names' | 'files' | 'id'> {
  const v: Omit<CatalogVolume, 'names' | 'files' | 'id'> = { index: r.u(), start: r.u(), fs: r.str(), serial: r.str(), clusterSize: r.u(), nameRule: 'upcase' };
  if (r.bounded(1, 'label flag')) v.label = r.str();
  if (major >= 3) v.nameRule = NAME_RULES[r.bounded(NAME_RULES.length - 1, 'name rule')]!;
  return v;
}

function mismatch(reason: string, expected: unknown, actual: unknown): never {
  throw new GrtError('CATALOG_MISMATCH', reason, { structure: 'catalog binding', expected, actual });
}

/**
 * Throws CATALOG_MISMATCH with a one-line reason unless `actual` (the image being restored from)
 * is the image the catalog was made from. CIDs are compared when both sides have them (raw images
 * have none); every catalogued partition must be present at the same place with the same file
 * system, and its serial must match when both sides know it.
 */
export function checkBinding(catalog: CatalogBinding, actual: CatalogBinding): void {
  checkDisk('disk', catalog, actual);
  (catalog.disks ?? []).forEach((disk, i) => {
    const other = actual.disks?.[i];
    if (!other) mismatch(`disk ${i + 2} is missing (the catalog was made from a VM of ${(catalog.disks?.length ?? 0) + 1} disks)`, disk.capacity, undefined);
    checkDisk(`disk ${i + 2}`, disk, other);
  });
  for (const v of catalog.volumes ?? []) checkBoundVolume(v, actual.volumes?.find((w) => w.id === v.id));
  for (const p of catalog.partitions) {
    const other = actual.partitions.find((q) => q.index === p.index);
    if (!other) mismatch(`partition ${p.index} is missing`, p.start, undefined);
    if (other.start !== p.start) mismatch(`partition ${p.index} starts elsewhere`, p.start, other.start);
    if (other.size !== p.size) mismatch(`partition ${p.index} has another size`, p.size, other.size);
    if (other.fs !== p.fs) mismatch(`partition ${p.index} holds another file system`, p.fs, other.fs);
    if (p.serial !== undefined && other.serial !== undefined && p.serial.toLowerCase() !== other.serial.toLowerCase()) {
      mismatch(`volume ${p.index} serial differs`, p.serial, other.serial);
    }
  }
}

/** Capacity, and the chain's CIDs when both sides have them (raw images have none). */
function checkDisk(name: string, catalog: CatalogDisk, actual: CatalogDisk): void {
  if (catalog.capacity !== actual.capacity) mismatch(`${name} capacity differs`, catalog.capacity, actual.capacity);
  if (catalog.cids.length > 0 && actual.cids.length > 0) {
    const want = catalog.cids.join(',');
    const have = actual.cids.join(',');
    if (want.toLowerCase() !== have.toLowerCase()) mismatch(`${name === 'disk' ? '' : `${name}: `}VMDK chain CIDs differ`, want, have);
  }
}

/** A volume of another disk or an LV: at the same place (or over the same extents), same size, kind and serial. */
function checkBoundVolume(v: CatalogBoundVolume, other: CatalogBoundVolume | undefined): void {
  if (!other) mismatch(`volume ${v.id} is missing`, v.id, undefined);
  if (other.disk !== v.disk || other.start !== v.start) mismatch(`volume ${v.id} starts elsewhere`, `disk ${v.disk} byte ${v.start}`, `disk ${other.disk} byte ${other.start}`);
  if (other.size !== v.size) mismatch(`volume ${v.id} has another size`, v.size, other.size);
  if (other.fs !== v.fs) mismatch(`volume ${v.id} holds another file system`, v.fs, other.fs);
  if (!sameSegments(other.segments, v.segments)) mismatch(`logical volume ${v.id} maps to other extents`, JSON.stringify(v.segments), JSON.stringify(other.segments));
  if (v.serial !== undefined && other.serial !== undefined && v.serial.toLowerCase() !== other.serial.toLowerCase()) {
    mismatch(`volume ${v.id} serial differs`, v.serial, other.serial);
  }
}

function sameSegments(a: readonly DiskSegment[], b: readonly DiskSegment[]): boolean {
  const key = (segments: readonly DiskSegment[]) => segments.map((s) => [s.start, s.size, s.stripeSize, ...s.stripes.flatMap((t) => [t.disk, t.byteOffset])].join(',')).join(';');
  return key(a) === key(b);
}
