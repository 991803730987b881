/**
 * Kernel copies from a catalog's disk set (catalog/disk-space.ts diskSetSource): a run on disk 2
 * of a two-disk image is handed to the kernel by that disk's file, like a run of a one-disk image;
 * a run the layout sends across the boundary between the disks (damage) still reads right.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diskSetSource } from '../../src/catalog/disk-space.js';
import { FileSource } from '../../src/io/file-source.js';
import { randomBytes } from '../helpers/random-bytes.js';
import { countingNative, GRAIN, layoutOf, restoreLayout, tempFiles } from './kernel-copy-helpers.js';

const { fresh } = tempFiles('grt-kernel-copy-set-');

async function twoDisks(grains: [number, number]) {
  const contents = grains.map((count, i) => randomBytes(count * GRAIN, 40 + i));
  const files = await Promise.all(
    contents.map((content, i) => {
      const path = fresh(`disk${i + 1}.raw`);
      writeFileSync(path, content);
      return FileSource.open(path);
    }),
  );
  return { contents, files, set: diskSetSource(files), close: () => Promise.all(files.map((f) => f.close())) };
}

describe('kernel copies from a disk set', () => {
  it('copies runs on either disk by the kernel, bit-exact', async () => {
    const { contents, set, close } = await twoDisks([16, 32]);
    try {
      // Grains 4..11 of disk 1, then grains 2..21 of disk 2 (disk-set grains 18..37).
      const layout = layoutOf([{ diskGrain: 4, grains: 8, hole: false }, { diskGrain: 16 + 2, grains: 20, hole: false }], 28 * GRAIN);
      const { native, copied } = countingNative();
      const { bytes } = await restoreLayout(set, layout, native, fresh);
      expect(Buffer.compare(bytes, Buffer.concat([contents[0]!.subarray(4 * GRAIN, 12 * GRAIN), contents[1]!.subarray(2 * GRAIN, 22 * GRAIN)]))).toBe(0);
      expect(copied.bytes).toBe(28 * GRAIN);
    } finally {
      await close();
    }
  });

  it('a run across the boundary between the disks is cut there, every byte right', async () => {
    const { contents, set, close } = await twoDisks([16, 16]);
    try {
      const layout = layoutOf([{ diskGrain: 12, grains: 8, hole: false }], 8 * GRAIN);
      const { native, copied } = countingNative();
      const { bytes } = await restoreLayout(set, layout, native, fresh);
      expect(Buffer.compare(bytes, Buffer.concat([contents[0]!.subarray(12 * GRAIN), contents[1]!.subarray(0, 4 * GRAIN)]))).toBe(0);
      expect(copied.bytes).toBe(8 * GRAIN);
    } finally {
      await close();
    }
  });
});
