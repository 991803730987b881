/**
 * The tapped catalog equals the post-pass catalog of the finished file, byte for byte: streams fed
 * in chunks of any size (nothing read back), and blocks in any order (what passed before it was
 * known to be wanted read back from the finished disk).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CatalogTap } from '../../src/catalog/tap/index.js';
import { GrtError } from '../../src/errors.js';
import { tapImages, type TapImage } from './images.js';

let images: TapImage[];
beforeAll(async () => {
  images = await tapImages();
}, 60_000);

async function tapStream(stream: Uint8Array, chunkSizes: readonly number[]): Promise<CatalogTap> {
  const tap = new CatalogTap();
  for (let at = 0, i = 0; at < stream.length; i++) {
    const size = chunkSizes[i % chunkSizes.length]!;
    await tap.write(stream.subarray(at, at + size));
    at += size;
  }
  return tap;
}

const readBackFrom = (disk: Uint8Array) => async (offset: number, length: number) => disk.slice(offset, offset + length);

describe('CatalogTap over a stream', () => {
  it('gives the post-pass catalog of every image, reading nothing back', async () => {
    for (const image of images) {
      const tap = await tapStream(image.stream, [64 * 1024]);
      expect(tap.pendingReadBack(), image.name).toEqual([]);
      const summary = await tap.finish(undefined);
      expect(Buffer.from(summary.bytes!).equals(Buffer.from(image.catalog)), image.name).toBe(true);
      expect(summary.readBackBytes).toBe(0);
      // Memory is the metadata kept, not the disk (the small test disks are mostly metadata).
      expect(summary.keptBytes, image.name).toBeLessThan(Math.max(image.disk.length / 2, 2 * 1024 * 1024));
    }
  });

  it('gives the same catalog whatever the chunk sizes', async () => {
    const vmdks = images.filter((i) => i.kind === 'vmdk');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: vmdks.length - 1 }), fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 8 }), async (which, sizes) => {
        const image = vmdks[which]!;
        const summary = await (await tapStream(image.stream, sizes)).finish(undefined);
        expect(Buffer.from(summary.bytes!).equals(Buffer.from(image.catalog))).toBe(true);
      }),
      { numRuns: 12 },
    );
  });

  it('writes the catalog to a file', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const path = join(mkdtempSync(join(tmpdir(), 'grt-tap-out-')), 'backup.grtc');
    const image = images[0]!;
    const summary = await (await tapStream(image.stream, [1 << 20])).finish(path);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(image.catalog))).toBe(true);
    expect(summary.volumes.map((v) => v.fs)).toEqual(['ntfs']);
  });
});

describe('CatalogTap over blocks in any order', () => {
  it('gives the post-pass catalog, reading back what passed before it was wanted', async () => {
    const raws = images.filter((i) => i.kind === 'raw');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: raws.length - 1 }),
        fc.integer({ min: 9, max: 17 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        async (which, sizeLog, seed) => {
          const image = raws[which]!;
          const blockBytes = 2 ** sizeLog;
          const order = Array.from({ length: Math.ceil(image.disk.length / blockBytes) }, (_, i) => i);
          // A seeded Fisher-Yates shuffle: fast-check shrinks the seed.
          let state = seed;
          for (let i = order.length - 1; i > 0; i--) {
            state = (state * 1103515245 + 12345) % 2 ** 31;
            const j = state % (i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          const tap = new CatalogTap({ capacity: image.disk.length });
          for (const block of order) await tap.writeAt(block * blockBytes, image.disk.subarray(block * blockBytes, (block + 1) * blockBytes));
          const summary = await tap.finish(undefined, { readBack: readBackFrom(image.disk) });
          expect(Buffer.from(summary.bytes!).equals(Buffer.from(image.catalog))).toBe(true);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('blocks in order need nothing read back', async () => {
    const image = images.find((i) => i.kind === 'raw')!;
    const tap = new CatalogTap({ capacity: image.disk.length });
    for (let at = 0; at < image.disk.length; at += 65536) await tap.writeAt(at, image.disk.subarray(at, at + 65536));
    const summary = await tap.finish(undefined);
    expect(Buffer.from(summary.bytes!).equals(Buffer.from(image.catalog))).toBe(true);
    expect(summary.readBackBytes).toBe(0);
  });

  it('names what it is missing when nothing can be read back', async () => {
    const image = images.find((i) => i.kind === 'raw')!;
    const tap = new CatalogTap({ capacity: image.disk.length });
    // Back to front: the MFT passes before the boot sector that locates it.
    for (let at = image.disk.length - 65536; at >= 0; at -= 65536) await tap.writeAt(at, image.disk.subarray(at, at + 65536));
    const error = await tap.finish(undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrtError);
    expect((error as GrtError).code).toBe('MISSING_DATA');
    expect((error as GrtError).message).toMatch(/read them back/);
  });
});
