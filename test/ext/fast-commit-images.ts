/** The ext4 fast-commit test volume (test-images/ext-fastcommit), its e2fsck manifest and damaged variants. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const FOLDER = new URL('../../test-images/ext-fastcommit/', import.meta.url).pathname;
export const FAST_COMMIT_IMAGE = 'ext4-fastcommit.img';

export interface FastCommitEntry {
  path: string;
  inode: number;
  /** i_mode with the type bits. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  links: number;
  /** [seconds as stored, *_extra as stored]. */
  mtime: [number, number];
  atime: [number, number];
  ctime: [number, number];
  sha256?: string;
}

export interface FastCommitManifest {
  /** Byte offsets of the two fast-commit blocks make.sh wrote. */
  fastCommitBlocks: number[];
  entries: FastCommitEntry[];
  variants: Record<string, { damage: { fastCommitBlock: number; offset: number; u32le: number }; e2fsck: string[]; entries: FastCommitEntry[] }>;
}

export const fastCommitManifest: FastCommitManifest = JSON.parse(readFileSync(`${FOLDER}manifest.json`, 'utf-8'));

export function fastCommitBytes(): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(`${FOLDER}${FAST_COMMIT_IMAGE}.gz`)));
}

/** The image damaged as make.sh's variant `name` (fastcommit.py VARIANTS). */
export function withVariant(name: string): Uint8Array {
  const bytes = fastCommitBytes();
  const { fastCommitBlock, offset, u32le } = fastCommitManifest.variants[name]!.damage;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(fastCommitManifest.fastCommitBlocks[fastCommitBlock]! + offset, u32le, true);
  return bytes;
}
