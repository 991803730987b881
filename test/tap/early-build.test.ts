/**
 * The early build (catalog/tap/early-build.ts): the catalog built in a worker thread while the
 * stream still passes is the post-pass catalog, byte for byte, for streams and for blocks in any
 * order (reads that passed unkept read back at the end), and a damaged stream fails with the
 * GrtError a build after the stream gives.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CatalogTap, type CatalogTapOptions } from '../../src/catalog/tap/catalog-tap.js';
import { GrtError } from '../../src/errors.js';
import { tapImages, type TapImage } from './images.js';

let images: TapImage[];
beforeAll(async () => {
  images = await tapImages();
}, 60_000);

const readBackFrom = (disk: Uint8Array) => async (offset: number, length: number) => disk.slice(offset, offset + length);

async function tapStream(stream: Uint8Array, options: CatalogTapOptions, chunk = 64 * 1024): Promise<CatalogTap> {
  const tap = new CatalogTap(options);
  for (let at = 0; at < stream.length; at += chunk) await tap.write(stream.subarray(at, at + chunk));
  return tap;
}

/** A seeded shuffle of the block numbers of `disk` (fast-check shrinks the seed). */
function shuffled(count: number, seed: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  let state = seed;
  for (let i = order.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

describe('the early build', () => {
  it('gives the post-pass catalog of every image streamed, built while the stream passed', async () => {
    for (const image of images) {
      const summary = await (await tapStream(image.stream, { earlyBuild: 'always' })).finish(undefined);
      expect(summary.earlyBuild, image.name).toBe(true);
      expect(Buffer.from(summary.bytes!).equals(Buffer.from(image.catalog)), image.name).toBe(true);
      expect(summary.readBackBytes).toBe(0);
    }
  }, 60_000);

  it('is not started for small volumes unless asked, nor when told never', async () => {
    const image = images[0]!;
    expect((await (await tapStream(image.stream, {})).finish(undefined)).earlyBuild).toBe(false);
    expect((await (await tapStream(image.stream, { earlyBuild: 'never' })).finish(undefined)).earlyBuild).toBe(false);
  });

  it('gives the post-pass catalog from blocks in any order, reading back what passed', async () => {
    const raws = images.filter((i) => i.kind === 'raw');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: raws.length - 1 }), fc.integer({ min: 12, max: 17 }), fc.integer({ min: 0, max: 2 ** 31 }), async (which, sizeLog, seed) => {
        const image = raws[which]!;
        const blockBytes = 2 ** sizeLog;
        const tap = new CatalogTap({ capacity: image.disk.length, earlyBuild: 'always' });
        for (const block of shuffled(Math.ceil(image.disk.length / blockBytes), seed)) {
          await tap.writeAt(block * blockBytes, image.disk.subarray(block * blockBytes, (block + 1) * blockBytes));
        }
        const summary = await tap.finish(undefined, { readBack: readBackFrom(image.disk) });
        expect(Buffer.from(summary.bytes!).equals(Buffer.from(image.catalog))).toBe(true);
      }),
      { numRuns: 6 },
    );
  }, 120_000);

  it('reads back what its reads met that passed, and lists it pending before the end', async () => {
    const image = images.find((i) => i.kind === 'raw')!;
    const tap = new CatalogTap({ capacity: image.disk.length, earlyBuild: 'always' });
    // Back to front: the MFT passes before the boot sector that locates it.
    for (let at = image.disk.length - 65536; at >= 0; at -= 65536) await tap.writeAt(at, image.disk.subarray(at, at + 65536));
    const summary = await tap.finish(undefined, { readBack: readBackFrom(image.disk) });
    expect(summary.earlyBuild).toBe(true);
    expect(summary.readBackBytes).toBeGreaterThan(0);
    expect(Buffer.from(summary.bytes!).equals(Buffer.from(image.catalog))).toBe(true);
  }, 60_000);

  it('fails a damaged stream with the error a build after the stream gives', async () => {
    const code = async (stream: Uint8Array, earlyBuild: CatalogTapOptions['earlyBuild']) => {
      try {
        const summary = await (await tapStream(stream, { earlyBuild })).finish(undefined);
        return Buffer.from(summary.bytes!).toString('base64');
      } catch (error) {
        if (error instanceof GrtError) return error.code;
        throw error;
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: images.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 20 }), async (which, edits) => {
        const stream = images[which]!.stream.slice();
        for (const [at, value] of edits) stream[at % Math.min(stream.length, 3 << 20)] = value;
        expect(await code(stream, 'always')).toBe(await code(stream, 'never'));
      }),
      { numRuns: 15 },
    );
  }, 180_000);

  it('refuses in the worker what would pass the memory bound, as a build after the stream does', async () => {
    const image = images.find((i) => i.name === 'ntfs-mbr')!;
    const codes: string[] = [];
    for (const earlyBuild of ['always', 'never'] as const) {
      const tap = new CatalogTap({ capacity: image.disk.length, earlyBuild, maxKeptBytes: 256 * 1024 });
      // Back to front: almost nothing is kept before the hand-off; what is read back at the end is more than the bound.
      for (let at = image.disk.length - 65536; at >= 0; at -= 65536) await tap.writeAt(at, image.disk.subarray(at, at + 65536));
      const error = await tap.finish(undefined, { readBack: readBackFrom(image.disk) }).catch((e: unknown) => e);
      expect(error, earlyBuild).toBeInstanceOf(GrtError);
      codes.push((error as GrtError).code);
    }
    expect(codes).toEqual(['LIMIT_EXCEEDED', 'LIMIT_EXCEEDED']);
  });

  it('stops its worker when the tap is given up', async () => {
    const image = images.find((i) => i.kind === 'raw')!;
    const tap = await tapStream(image.stream.subarray(0, image.stream.length - 65536), { earlyBuild: 'always' });
    expect((tap as unknown as { early: unknown }).early).toBeTypeOf('object');
    await tap.close();
    const error = await tap.finish(undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrtError);
    expect((error as GrtError).code).toBe('USAGE');
  });
});

describe('what the look-ahead waits for', () => {
  it('not $MFTMirr, mid-volume: describing a metafile reads none of its data (the build may start before it passes)', async () => {
    const image = images.find((i) => i.name === 'ntfs-mbr')!;
    const disk = new DataView(image.disk.buffer, image.disk.byteOffset);
    const volumeStart = disk.getUint32(446 + 8, true) * 512;
    const clusterSize = disk.getUint16(volumeStart + 11, true) * disk.getUint8(volumeStart + 13);
    const mirror = volumeStart + Number(disk.getBigUint64(volumeStart + 0x38, true)) * clusterSize;
    const tap = await tapStream(image.stream, { earlyBuild: 'never' });
    const wanted = (tap as unknown as { lookaheads: { wanted: { overlaps(start: number, end: number): unknown[] } } }).lookaheads.wanted;
    expect(wanted.overlaps(mirror, mirror + clusterSize)).toEqual([]);
    expect(Buffer.from((await tap.finish(undefined)).bytes!).equals(Buffer.from(image.catalog))).toBe(true);
  });
});
