/**
 * Backup superblocks for every block size: test-images/ext-64k holds an ext4 volume with 64 KiB
 * blocks whose only backup lies at block 65528 (4 GiB: mke2fs caps blocks per group at 65528).
 * With the primary superblock and descriptor table destroyed, the volume opens from that backup
 * and its files read as the manifest has them.
 */
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { backupSuperblockCandidates } from '../../src/fs/ext/superblock.js';
import { openExt } from '../../src/fs/ext/volume.js';
import { openImage, type Image } from '../../src/image.js';
import type { ByteSource } from '../../src/io/byte-source.js';

const images = join(import.meta.dirname, '../../test-images/ext-64k');
interface Manifest {
  image: string;
  blockSize: number;
  blocksPerGroup: number;
  backupSuperblockByte: number;
  files: Record<string, string>;
}

/** `source` with bytes [from, to) read as zeros: a destroyed region. */
function zeroed(source: ByteSource, from: number, to: number): ByteSource {
  return {
    size: source.size,
    async read(offset, length) {
      const bytes = new Uint8Array(await source.read(offset, length));
      const start = Math.max(from, offset);
      const end = Math.min(to, offset + length);
      if (start < end) bytes.fill(0, start - offset, end - offset);
      return bytes;
    },
  };
}

let manifest: Manifest;
let work: string;
let image: Image;
beforeAll(async () => {
  manifest = JSON.parse(await readFile(join(images, 'manifest.json'), 'utf8')) as Manifest;
  work = await mkdtemp(join(tmpdir(), 'grt-ext-64k-'));
  const vmdk = join(work, manifest.image.replace(/\.gz$/, ''));
  await writeFile(vmdk, gunzipSync(await readFile(join(images, manifest.image))));
  image = await openImage(vmdk);
});
afterAll(async () => {
  await image?.close();
  await rm(work, { recursive: true, force: true });
});

describe('ext4 with 64 KiB blocks', () => {
  it('is among the places searched: group 1 at 65528 blocks of 64 KiB', () => {
    expect(manifest.backupSuperblockByte).toBe(manifest.blocksPerGroup * manifest.blockSize);
    expect(backupSuperblockCandidates(image.layout.volumes[0]!.source.size)).toContainEqual({ blockSize: 65536, offset: manifest.backupSuperblockByte });
  });

  it('opens from its backup superblock when the primary superblock and descriptor table are destroyed', async () => {
    const source = image.layout.volumes[0]!.source;
    const clean = await openExt(source);
    expect(clean.volume.sb.blockSize).toBe(65536);
    // The primary superblock (byte 1024 of block 0) and the descriptor table (block 1).
    const damaged = zeroed(source, 1024, 2 * manifest.blockSize);
    // Cut before the backup, the damaged volume has no superblock left.
    await expect(openExt({ ...damaged, size: manifest.backupSuperblockByte })).rejects.toBeInstanceOf(GrtError);
    const fs = await openExt(damaged);
    expect(fs.volume.warnings.some((w) => w.message.includes(`using the backup at byte ${manifest.backupSuperblockByte}`))).toBe(true);
    for (const [path, sha256] of Object.entries(manifest.files)) {
      const stream = await fs.openStream(path);
      expect(createHash('sha256').update(await stream.read(0, stream.size)).digest('hex'), path).toBe(sha256);
    }
  });
});
