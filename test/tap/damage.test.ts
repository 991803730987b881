/**
 * A damaged or hostile stream behaves like a damaged image: only GrtErrors, bounded memory.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CatalogTap } from '../../src/catalog/tap/index.js';
import { RangeSet, MAX_RANGES } from '../../src/catalog/tap/ranges.js';
import { GrtError } from '../../src/errors.js';
import { tapImages, type TapImage } from './images.js';

let images: TapImage[];
beforeAll(async () => {
  images = await tapImages();
}, 60_000);

async function outcome(run: () => Promise<unknown>): Promise<GrtError | 'ok'> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (error instanceof GrtError) return error;
    throw error;
  }
}

async function tapAll(stream: Uint8Array, options = {}, chunk = 64 * 1024): Promise<unknown> {
  const tap = new CatalogTap(options);
  for (let at = 0; at < stream.length; at += chunk) await tap.write(stream.subarray(at, at + chunk));
  return tap.finish(undefined);
}

describe('a damaged stream', () => {
  it('mutated bytes give a catalog or a GrtError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: images.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 40 }),
        async (which, edits) => {
          const stream = images[which]!.stream.slice();
          // Edits land in the first 3 MiB: headers, markers, partition tables, boot sectors and MFTs.
          for (const [at, value] of edits) stream[at % Math.min(stream.length, 3 << 20)] = value;
          await outcome(() => tapAll(stream));
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);

  it('a cut-off VMDK stream is MISSING_DATA', async () => {
    const vmdk = images.find((i) => i.kind === 'vmdk')!;
    const result = await outcome(() => tapAll(vmdk.stream.subarray(0, vmdk.stream.length >> 1)));
    expect(result).toBeInstanceOf(GrtError);
    expect((result as GrtError).code).toBe('MISSING_DATA');
  });

  it('a grain marker with a huge size is BAD_MARKER, before any of it is collected', async () => {
    const stream = images.find((i) => i.kind === 'vmdk')!.stream.slice();
    const view = new DataView(stream.buffer);
    const overhead = view.getUint32(0x40, true) * 512;
    view.setUint32(overhead + 8, 0xffff_ffff, true);
    const result = await outcome(() => tapAll(stream));
    expect((result as GrtError).code).toBe('BAD_MARKER');
  });

  it('a header claiming a huge overhead is BAD_HEADER', async () => {
    const stream = images.find((i) => i.kind === 'vmdk')!.stream.slice();
    new DataView(stream.buffer).setUint32(0x40, 0x7fff_ffff, true);
    const result = await outcome(() => tapAll(stream));
    expect(result).toBeInstanceOf(GrtError);
  });

  it('a volume whose MFT is more than the tap may keep is LIMIT_EXCEEDED', async () => {
    const raw = images.find((i) => i.kind === 'raw')!;
    const result = await outcome(() => tapAll(raw.stream, { maxKeptBytes: 256 * 1024 }));
    expect((result as GrtError).code).toBe('LIMIT_EXCEEDED');
  });

  it('an empty stream is TRUNCATED; blocks without a capacity or outside it are refused', async () => {
    expect(((await outcome(() => new CatalogTap().finish(undefined))) as GrtError).code).toBe('TRUNCATED');
    expect(((await outcome(() => new CatalogTap().writeAt(0, new Uint8Array(512)))) as GrtError).code).toBe('USAGE');
    expect(((await outcome(() => new CatalogTap({ capacity: 1024 }).writeAt(1000, new Uint8Array(512)))) as GrtError).code).toBe('OUT_OF_RANGE');
    const tap = new CatalogTap({ capacity: 4096 });
    await tap.writeAt(0, new Uint8Array(512));
    expect(((await outcome(() => tap.write(new Uint8Array(512)))) as GrtError).code).toBe('USAGE');
  });

  it('a disk of zeros has no volume to catalog', async () => {
    const result = await outcome(() => tapAll(new Uint8Array(4 << 20)));
    expect(result).toBeInstanceOf(GrtError);
  });
});

describe('RangeSet', () => {
  it('matches a bitmap model', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 40 })), { maxLength: 30 }), fc.integer({ min: 0, max: 240 }), fc.integer({ min: 0, max: 40 }), (adds, qs, ql) => {
        const set = new RangeSet('test');
        const model = new Uint8Array(256);
        for (const [start, length] of adds) {
          set.add(start, start + length);
          model.fill(1, start, start + length);
        }
        const all = set.all();
        for (let i = 1; i < all.length; i++) expect(all[i]!.start).toBeGreaterThan(all[i - 1]!.end);
        expect(set.covers(qs, qs + ql)).toBe(model.subarray(qs, qs + ql).every((b) => b === 1));
        const inSet = set.overlaps(qs, qs + ql).reduce((n, r) => n + r.end - r.start, 0);
        const gaps = set.gaps(qs, qs + ql).reduce((n, r) => n + r.end - r.start, 0);
        expect(inSet).toBe(model.subarray(qs, qs + ql).reduce((n, b) => n + b, 0));
        expect(inSet + gaps).toBe(ql);
      }),
    );
  });

  it('refuses more separate ranges than MAX_RANGES', () => {
    const set = new RangeSet('test');
    expect(() => {
      for (let i = 0; i <= MAX_RANGES; i++) set.add(i * 2, i * 2 + 1);
    }).toThrow(/too many separate/);
  });
});
