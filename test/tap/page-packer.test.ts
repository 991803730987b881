/**
 * PagePacker (catalog/tap/page-packer.ts): a page it packs inflates back to the page, one that
 * does not fit maxPackedBytes is left unpacked, and the reused native context gives what
 * zlib.deflateSync gives (its fallback where Node lacks the handle).
 */
import { inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PagePacker } from '../../src/catalog/tap/page-packer.js';

const PAGE_BYTES = 4096;
/** A page of a few repeated byte values (packs well) or of random bytes (does not). */
const page = fc.oneof(
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 64 })).map(([values, run]) => Uint8Array.from({ length: PAGE_BYTES }, (_, i) => values[Math.floor(i / run) % values.length]!)),
  fc.uint8Array({ minLength: PAGE_BYTES, maxLength: PAGE_BYTES }),
);

/** The same packer without its native handle: the deflateSync fallback. */
function fallbackPacker(level: number, maxPackedBytes: number): PagePacker {
  return Object.assign(new PagePacker(level, maxPackedBytes), { handle: undefined, state: undefined });
}

describe('PagePacker', () => {
  it('packs pages that inflate back, leaves unpacked what does not fit, and agrees with deflateSync', () => {
    const maxPackedBytes = 1024;
    const native = new PagePacker(1, maxPackedBytes);
    const fallback = fallbackPacker(1, maxPackedBytes);
    fc.assert(
      fc.property(fc.array(page, { minLength: 1, maxLength: 6 }), (pages) => {
        for (const bytes of pages) {
          const packed = native.pack(bytes);
          expect(packed === undefined ? undefined : [...packed]).toEqual((() => {
            const other = fallback.pack(bytes);
            return other === undefined ? undefined : [...other];
          })());
          if (packed === undefined) continue;
          expect(packed.length).toBeLessThanOrEqual(maxPackedBytes);
          expect(new Uint8Array(inflateSync(packed))).toEqual(bytes);
        }
      }),
      { numRuns: 60, seed: 16 },
    );
  });

  it('leaves a random page unpacked and packs a zero page', () => {
    const packer = new PagePacker(1, PAGE_BYTES / 2);
    const random = Uint8Array.from({ length: PAGE_BYTES }, (_, i) => (i * 2654435761) >>> 24);
    expect(packer.pack(random)).toBeUndefined();
    const zeros = packer.pack(new Uint8Array(PAGE_BYTES));
    expect(zeros).toBeDefined();
    expect(new Uint8Array(inflateSync(zeros!))).toEqual(new Uint8Array(PAGE_BYTES));
  });
});
