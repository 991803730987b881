/** The committed ext test volumes (test-images/ext) and their manifest, for the ext tests. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { MemorySource } from '../../src/io/memory-source.js';

export const EXT_IMAGES = new URL('../../test-images/ext/', import.meta.url).pathname;

export interface ManifestEntry {
  path: string;
  inode: number;
  /** fls type letter: r file, d directory, l symlink, p fifo. */
  fls: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  links: number;
  /** [seconds as stored (u32), *_extra as stored or null]. */
  mtime: [number, number | null];
  atime: [number, number | null];
  ctime: [number, number | null];
  crtime?: [number, number | null];
  sha256?: string;
  target?: string;
  xattrSizes?: Record<string, number>;
}

export interface ManifestVolume {
  file: string;
  size: number;
  sha256: string;
  entries: ManifestEntry[];
}

export const manifest: { volumes: ManifestVolume[] } = JSON.parse(readFileSync(`${EXT_IMAGES}manifest.json`, 'utf-8'));

export function volumeBytes(file: string): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(`${EXT_IMAGES}${file}`)));
}

export function volumeSource(file: string): MemorySource {
  return new MemorySource(volumeBytes(file), file);
}

/** A stored [seconds, extra] pair as nanoseconds since 1970 (the kernel's decoding). */
export function storedTimeNs([seconds, extra]: [number, number | null]): bigint {
  const signed = BigInt(seconds | 0);
  if (extra === null) return signed * 1_000_000_000n;
  return (signed + (BigInt(extra & 3) << 32n)) * 1_000_000_000n + BigInt(extra >>> 2);
}
