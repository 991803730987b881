/** Fuzz target for the XFS reader: the committed XFS volumes, damaged around their metadata. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MemorySource } from '../../src/io/memory-source.js';
import { parseSuperblock, inodeToByte } from '../../src/fs/xfs/superblock.js';
import { openXfs } from '../../src/fs/xfs/volume.js';
import type { FuzzTarget } from './target-kit.js';
import { exerciseFs } from './targets-fs.js';

const VOLUMES = ['v5-4k', 'v4-1k', 'v5-2k-i1024'];
/** Inodes aimed at: the root's chunk of 64 (mkfs.xfs -p writes the first files into it). */
const INODES_AIMED_AT = 64;
/** Blocks after the root inode chunk, where mkfs.xfs -p put the first directory and symlink blocks. */
const BLOCKS_AIMED_AT = 64;

/**
 * The volumes as decompressed, per worker: inflating 48 MiB costs more CPU than a case's whole
 * walk, and a worker runs many cases. Cases never change these bytes (mutateFiles damages a copy,
 * the reader writes nothing).
 */
const inflated = new Map<string, Promise<Uint8Array>>();

async function volumeBytes(root: string, name: string): Promise<Uint8Array> {
  let bytes = inflated.get(name);
  if (!bytes) {
    bytes = readFile(join(root, 'test-images/xfs', `${name}.img.gz`)).then((gz) => new Uint8Array(gunzipSync(gz)));
    inflated.set(name, bytes);
  }
  return bytes;
}

export const realXfsTarget: FuzzTarget = {
  name: 'xfs-real',
  async generate(rng, ctx) {
    const name = rng.pick(VOLUMES);
    const bytes = await volumeBytes(ctx.root, name);
    const sb = parseSuperblock(bytes, bytes.length);
    const chunk = inodeToByte(sb, sb.rootInode);
    const chunkEnd = chunk + INODES_AIMED_AT * sb.inodeSize;
    const file = 'xfs.img';
    const regions = [
      { file, start: 0, length: 512 },
      { file, start: chunk, length: INODES_AIMED_AT * sb.inodeSize },
      { file, start: chunkEnd, length: BLOCKS_AIMED_AT * sb.blockSize },
    ];
    return { files: new Map([[file, bytes]]), main: file, hints: { records: { file, start: chunk, count: INODES_AIMED_AT, size: sb.inodeSize }, regions } };
  },
  async run(input, _ctx, rng) {
    const fs = await openXfs(new MemorySource(input.files.get(input.main)!, input.main));
    return exerciseFs(fs, rng);
  },
};
