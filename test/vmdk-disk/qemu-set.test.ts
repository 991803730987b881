/**
 * The shared qemu-img image set (test-images/qemu, made and described by its own make.sh and
 * manifest) opened the way users open it: by its descriptor or monolithic file, chains included.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDisk } from '../../src/vmdk/index.js';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../test-images/qemu');
const manifestPath = join(dir, 'manifest.json');

interface ManifestImage {
  file: string;
  virtualSize: number;
  rawSha256: string | null;
  regions: { offset: number; length: number; sha256: string }[];
  chain?: string[];
}

const images: ManifestImage[] = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as { images: ManifestImage[] }).images : [];
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe.skipIf(images.length === 0)('test-images/qemu through openDisk', () => {
  it.each(images.map((i) => [i.file, i] as const))('%s', async (_name, image) => {
    const disk = await openDisk(join(dir, image.file));
    try {
      expect(disk.size).toBe(image.virtualSize);
      expect(disk.info.warnings).toEqual([]);
      expect(disk.info.chain.map((link) => basename(link.path))).toEqual(image.chain ?? [image.file]);
      if (image.rawSha256) expect(sha256(await disk.read(0, disk.size))).toBe(image.rawSha256);
      for (const region of image.regions) expect(sha256(await disk.read(region.offset, region.length))).toBe(region.sha256);
      const map = await disk.map(0, disk.size);
      expect(map.reduce((sum, r) => sum + r.length, 0)).toBe(disk.size);
    } finally {
      await disk.close();
    }
  });
});
