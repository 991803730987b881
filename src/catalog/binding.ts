/**
 * What ties a catalog to the image it was made from (docs/catalog-format.md §4): the virtual disk's
 * capacity, the VMDK chain's content IDs (CIDs, child first, VMDK technote "The Descriptor File"),
 * the partition layout and each volume's serial number. A restore checks these before trusting
 * disk offsets stored in the catalog.
 */
import { GrtError } from '../errors.js';
import type { NameRule } from '../fs/file-system.js';
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

export interface CatalogBinding {
  /** Virtual disk capacity in bytes. */
  capacity: number;
  /** CIDs of the VMDK chain, child (the file opened) first; empty for images without CIDs. */
  cids: string[];
  partitions: CatalogPartition[];
}

/** One catalogued volume as the catalog describes it. */
export interface CatalogVolume {
  index: number;
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
  return { capacity, cids, partitions };
}

/** Volume section: the volume's identity; counts are learned from its chunks and the END section. */
export function encodeVolume(w: ByteWriter, v: Omit<CatalogVolume, 'names' | 'files'>): void {
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

export function decodeVolume(r: ByteReader, major: number): Omit<CatalogVolume, 'names' | 'files'> {
  const v: Omit<CatalogVolume, 'names' | 'files'> = { index: r.u(), start: r.u(), fs: r.str(), serial: r.str(), clusterSize: r.u(), nameRule: 'upcase' };
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
  if (catalog.capacity !== actual.capacity) mismatch('disk capacity differs', catalog.capacity, actual.capacity);
  if (catalog.cids.length > 0 && actual.cids.length > 0) {
    const want = catalog.cids.join(',');
    const have = actual.cids.join(',');
    if (want.toLowerCase() !== have.toLowerCase()) mismatch('VMDK chain CIDs differ', want, have);
  }
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
