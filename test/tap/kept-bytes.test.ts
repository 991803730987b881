/** The tap's kept bytes: what was stored reads back, packed or not; wholly held pages cost their packed size. */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeptBytes } from '../../src/catalog/tap/kept-bytes.js';

const PAGE = 64 * 1024;
// More pages than the unpacked ones kept (8), so reads unpack evicted pages and spares are reused.
const DISK = 12 * PAGE;

/** Bytes like MFT records: a header every 1 KiB, zeros between. */
function recordLike(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at + 8 <= length; at += 1024) out.set([0x46, 0x49, 0x4c, 0x45, seed & 0xff, (at >> 10) & 0xff, 3, 0], at);
  return out;
}

describe('KeptBytes', () => {
  it('a wholly held page of MFT-like bytes is kept packed, and reads back', () => {
    const kept = new KeptBytes(1 << 30);
    const page = recordLike(PAGE, 7);
    kept.store(PAGE, page.subarray(0, PAGE / 2));
    expect(kept.bytes).toBe(PAGE);
    kept.store(PAGE + PAGE / 2, page.subarray(PAGE / 2));
    expect(kept.bytes).toBeLessThan(PAGE / 8);
    const back = new Uint8Array(PAGE + 100);
    kept.copyInto(PAGE - 50, back);
    expect(Buffer.from(back.subarray(50, 50 + PAGE)).equals(page)).toBe(true);
  });

  it('random bytes stay unpacked (packing would not pay)', () => {
    const kept = new KeptBytes(1 << 30);
    kept.store(0, crypto.getRandomValues(new Uint8Array(PAGE)));
    expect(kept.bytes).toBe(PAGE);
  });

  it('reads back every stored range, in any order of stores, against a model disk', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ start: fc.integer({ min: 0, max: DISK - 1 }), length: fc.integer({ min: 1, max: 3 * PAGE }), kind: fc.constantFrom('zero', 'records', 'random'), seed: fc.nat(255) }), { maxLength: 20 }),
        (stores) => {
          const kept = new KeptBytes(1 << 30);
          const model = new Uint8Array(DISK);
          for (const { start, length, kind, seed } of stores) {
            const end = Math.min(DISK, start + length);
            // As the tap stores: only the gaps of what is held.
            for (const gap of kept.held.gaps(start, end)) {
              const bytes = kind === 'records' ? recordLike(gap.end - gap.start, seed) : new Uint8Array(gap.end - gap.start);
              if (kind === 'random') for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + ((i * i) >> 5) + seed * 7) & 0xff;
              model.set(bytes, gap.start);
              kept.store(gap.start, bytes);
            }
          }
          for (const range of kept.held.all()) {
            const back = new Uint8Array(range.end - range.start);
            kept.copyInto(range.start, back);
            // Buffer.equals: vitest's deep equality takes seconds on arrays this long.
            expect(Buffer.from(back).equals(model.subarray(range.start, range.end))).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a read over many packed pages (as the scan reads the MFT) gets each whole page at its place in the target', () => {
    const kept = new KeptBytes(1 << 30);
    const bytes = recordLike(DISK, 9);
    for (let i = 0; i < DISK; i += 1000) bytes[i] = i & 0xff;
    kept.store(0, bytes);
    // Starting 100 bytes into the first page: the whole pages land at an offset in the target, not at its start.
    const back = new Uint8Array(DISK - 200);
    kept.copyInto(100, back);
    expect(Buffer.from(back).equals(Buffer.from(bytes.subarray(100, DISK - 100)))).toBe(true);
  });

  describe('page memory', () => {
    afterEach(() => vi.unstubAllGlobals());

    it('an MFT passing a MiB at a time reuses the buffers of the pages it packed (no page allocated per page)', () => {
      let pageAllocations = 0;
      vi.stubGlobal(
        'Uint8Array',
        new Proxy(Uint8Array, {
          construct(target, args, newTarget) {
            if (args[0] === PAGE) pageAllocations++;
            return Reflect.construct(target, args, newTarget) as object;
          },
        }),
      );
      const kept = new KeptBytes(1 << 30);
      const chunk = 1 << 20;
      const mib = 32;
      for (let i = 0; i < mib; i++) kept.store(i * chunk, recordLike(chunk, i));
      // The 8 pages kept unpacked and the one being filled; storing the chunks packed each page after
      // the whole chunk allocated 16 (about 500 for 32 MiB).
      expect(pageAllocations).toBeLessThanOrEqual(10);
      const back = new Uint8Array(chunk);
      kept.copyInto(5 * chunk, back);
      expect(Buffer.from(back).equals(Buffer.from(recordLike(chunk, 5)))).toBe(true);
    });
  });
});
