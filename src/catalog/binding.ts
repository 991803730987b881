/**
 * What ties a catalog to the image it was made from (docs/catalog-format.md §4): the virtual disk's
 * capacity, the VMDK chain's content IDs (CIDs, child first, VMDK technote "The Descriptor File"),
 * the partition layout and each volume's serial number. A restore checks these before trusting
 * disk offsets stored in the catalog.
 */
import { GrtError } from '../errors.js';
import type { NameRule } from '../fs/file-system.js';
import type { DiskSegment } from '../volume/types.js';
import { list, optional, record, text, uint } from './field-codec.js';
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

/** A logical volume's segment; each stripe's disk and byte offset on it. */
const SEGMENT = record<DiskSegment>({
  start: uint,
  size: uint,
  stripeSize: uint,
  stripes: list(record<DiskSegment['stripes'][number]>({ disk: uint, byteOffset: uint }), MAX_STRIPES, 'stripe count'),
});

const PARTITION = record<CatalogPartition>({ index: uint, start: uint, size: uint, fs: text, serial: optional(text, 'serial flag') });

const CIDS = list(text, MAX_CIDS, 'CID count');

/** The binding of format 3.0: the first disk and its partitions. */
const FIRST_DISK = record<Pick<CatalogBinding, 'capacity' | 'cids' | 'partitions'>>({ capacity: uint, cids: CIDS, partitions: list(PARTITION, MAX_PARTITIONS, 'partition count') });

const DISK = record<CatalogDisk>({ capacity: uint, cids: CIDS });

const BOUND_VOLUME = record<CatalogBoundVolume>({
  id: text,
  number: uint,
  disk: uint,
  start: uint,
  size: uint,
  fs: text,
  serial: optional(text, 'serial flag'),
  segments: list(SEGMENT, MAX_SEGMENTS, 'segment count'),
});

/** Format 3.1 appends these, so a 3.0 reader (which stops after the partitions) reads the rest alike. */
const OTHER_DISKS = record<Required<Pick<CatalogBinding, 'disks' | 'volumes'>>>({ disks: list(DISK, MAX_DISKS, 'disk count'), volumes: list(BOUND_VOLUME, MAX_PARTITIONS, 'volume count') });

export function encodeBinding(w: ByteWriter, binding: CatalogBinding): void {
  FIRST_DISK.write(w, binding);
  const disks = binding.disks ?? [];
  const volumes = binding.volumes ?? [];
  if (disks.length > 0 || volumes.length > 0) OTHER_DISKS.write(w, { disks, volumes });
}

export function decodeBinding(r: ByteReader): CatalogBinding {
  const binding: CatalogBinding = FIRST_DISK.read(r);
  // A binding of one disk ends after the partitions.
  if (r.remaining === 0) return binding;
  Object.assign(binding, OTHER_DISKS.read(r));
  // Each volume one id and one number, apart from the first disk's partition numbers: a reader finds a volume by either.
  const numbers = new Set(binding.partitions.map((p) => p.index));
  const ids = new Set(binding.partitions.map((p) => String(p.index)));
  for (const v of binding.volumes!) {
    if (numbers.has(v.number) || ids.has(v.id)) r.fail('two volumes share a number or an id', v.id);
    numbers.add(v.number);
    ids.add(v.id);
  }
  return binding;
}

/** A volume section's head as the catalog stores it (counts come from its chunks and the END section). */
type VolumeHead = Omit<CatalogVolume, 'names' | 'files' | 'id'>;

/** Volume section: the volume's identity, then (format 3.0) its name rule. */
const VOLUME_HEAD = record<Omit<VolumeHead, 'nameRule'>>({ index: uint, start: uint, fs: text, serial: text, clusterSize: uint, label: optional(text, 'label flag') });

/** Name rules by their number in a volume section (format 3.0). */
const NAME_RULES: readonly NameRule['kind'][] = ['upcase', 'bytes'];

export function encodeVolume(w: ByteWriter, v: VolumeHead): void {
  VOLUME_HEAD.write(w, v);
  w.u(NAME_RULES.indexOf(v.nameRule));
}

export function decodeVolume(r: ByteReader, major: number): VolumeHead {
  const head = VOLUME_HEAD.read(r);
  // Catalogs before format 3.0 hold NTFS only.
  const nameRule = major >= 3 ? NAME_RULES[r.bounded(NAME_RULES.length - 1, 'name rule')]! : 'upcase';
  return { ...head, nameRule };
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
