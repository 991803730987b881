/** The committed XFS test volumes (test-images/xfs) and their manifest, for the XFS tests. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { MemorySource } from '../../src/io/memory-source.js';

export const XFS_IMAGES = new URL('../../test-images/xfs/', import.meta.url).pathname;

export interface ManifestEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  kind?: string;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  target?: string;
  /** Link count, where it is not 1 (the hard link pair). */
  links?: number;
  /** Extended attribute name → value length (values are that many 'v's, from xfs_db attr_set). */
  xattrs?: Record<string, number>;
}

export interface ManifestVolume {
  file: string;
  mkfsOptions: string;
  blockSize: number;
  inodeSize: number;
  versionnum: string;
  uuid: string;
  sha256: string;
  repairClean: boolean;
  /** Data fork format ('1 (local)', '2 (extents)', '3 (btree)') of each directory and big.bin. */
  forks: Record<string, { inode: number; format: string; nextents: number }>;
  /** Inode numbers (from xfs_db ls) of the root's children and /sub's. */
  inodes: Record<string, number>;
}

export const manifest: { time: string; entries: ManifestEntry[]; volumes: ManifestVolume[] } = JSON.parse(readFileSync(`${XFS_IMAGES}manifest.json`, 'utf-8'));

export function volumeBytes(file: string): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(`${XFS_IMAGES}${file}`)));
}

export function volumeSource(file: string): MemorySource {
  return new MemorySource(volumeBytes(file), file);
}
