/**
 * The committed qemu-img image set (test-images/qemu, made by its make.sh): every single-file
 * sparse image, and the sparse extents of a split image read end to end, hash to the raw disk.
 * Chains and descriptors are the disk layer's tests.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../src/io/file-source.js';
import { openSparseExtent } from '../../src/vmdk/sparse-extent.js';
import { sniffVmdkFile } from '../../src/vmdk/sparse-header.js';
import { parentIsZero, readAll } from './helpers.js';

const dir = resolve(__dirname, '../../test-images/qemu');
const manifestPath = join(dir, 'manifest.json');

interface ManifestImage {
  file: string;
  files: string[];
  subformat: string;
  virtualSize: number;
  rawSha256: string | null;
  chain?: unknown;
}

const images: ManifestImage[] = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as { images: ManifestImage[] }).images : [];

describe.skipIf(images.length === 0)('test-images/qemu', () => {
  const candidates = images.filter((image) => image.rawSha256 && !image.chain && /Sparse|streamOptimized/.test(image.subformat));
  for (const image of candidates) {
    it(`${image.file} (${image.subformat}) reads to the raw disk's sha256`, async () => {
      const hash = createHash('sha256');
      let total = 0;
      for (const name of image.files) {
        const source = await FileSource.open(join(dir, name));
        try {
          if (sniffVmdkFile(await source.read(0, Math.min(512, source.size))) !== 'kdmv') continue; // a descriptor file
          const opened = await openSparseExtent(source, { path: name });
          expect(opened.warnings).toEqual([]);
          hash.update(await readAll(opened.extent, parentIsZero));
          total += opened.extent.size;
        } finally {
          await source.close();
        }
      }
      expect(total).toBe(image.virtualSize);
      expect(hash.digest('hex')).toBe(image.rawSha256);
    });
  }
});
