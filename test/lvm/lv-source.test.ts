import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { MemorySource } from '../../src/io/memory-source.js';
import { LogicalVolumeSource, type MappedSegment } from '../../src/volume/lvm/lv-source.js';
import { GrtError } from '../../src/errors.js';

/**
 * A random layout: segments of whole chunks, each with 1-4 stripes placed on random PVs at
 * free places. Writes the LV's expected bytes (a counter pattern) through the model mapping
 * — chunk c of a segment on stripe c mod n at chunk floor(c/n) — and checks reads return them.
 */
const layout = fc.record({
  pvCount: fc.integer({ min: 1, max: 3 }),
  chunk: fc.constantFrom(1, 4, 16, 512),
  segments: fc.array(fc.record({ stripes: fc.integer({ min: 1, max: 4 }), chunksPerStripe: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 6 }),
  order: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
  seed: fc.nat(),
});

type Spec = typeof layout extends fc.Arbitrary<infer T> ? T : never;

function build(spec: Spec) {
  const pvs = Array.from({ length: spec.pvCount }, () => ({ bytes: new Uint8Array(0), used: 0 }));
  const placed: { segment: Omit<MappedSegment, 'stripes'> & { stripes: { pv: number; byteOffset: number }[] } }[] = [];
  let start = 0;
  let rotate = spec.seed;
  for (const s of spec.segments) {
    const perStripe = s.chunksPerStripe * spec.chunk;
    const stripes = Array.from({ length: s.stripes }, () => {
      const pv = rotate++ % spec.pvCount;
      const byteOffset = pvs[pv]!.used + (rotate % 3) * spec.chunk;
      pvs[pv]!.used = byteOffset + perStripe;
      return { pv, byteOffset };
    });
    placed.push({ segment: { start, size: perStripe * s.stripes, stripeSize: spec.chunk, stripes } });
    start += perStripe * s.stripes;
  }
  const lv = new Uint8Array(start);
  for (let i = 0; i < lv.length; i++) lv[i] = (i * 7 + (i >> 8) + spec.seed) & 0xff;
  for (const pv of pvs) pv.bytes = new Uint8Array(pv.used + 5).fill(0xee);
  for (const { segment } of placed) {
    for (let within = 0; within < segment.size; within++) {
      const c = Math.floor(within / segment.stripeSize);
      const n = segment.stripes.length;
      const stripe = segment.stripes[c % n]!;
      pvs[stripe.pv]!.bytes[stripe.byteOffset + Math.floor(c / n) * segment.stripeSize + (within % segment.stripeSize)] = lv[segment.start + within]!;
    }
  }
  const sources = pvs.map((pv) => new MemorySource(pv.bytes));
  // Segments handed over in a shuffled order: the source sorts them.
  const segments: MappedSegment[] = placed.map(({ segment }) => ({ ...segment, stripes: segment.stripes.map((s) => ({ source: sources[s.pv]!, byteOffset: s.byteOffset })) }));
  segments.sort((a, b) => (spec.order[placed.findIndex((p) => p.segment.start === a.start)]! - spec.order[placed.findIndex((p) => p.segment.start === b.start)]!));
  return { lv, segments };
}

afterEach(() => vi.restoreAllMocks());

describe('LogicalVolumeSource', () => {
  it('maps random linear and striped layouts back to the bytes written', async () => {
    // read() does not zero its buffer: allocations hand out garbage, so a byte it missed shows.
    const allocate = Buffer.allocUnsafeSlow.bind(Buffer);
    const allocations = vi.spyOn(Buffer, 'allocUnsafeSlow').mockImplementation((size: number) => allocate(size).fill(0xa5));
    await fc.assert(
      fc.asyncProperty(layout, fc.nat(), fc.nat(), async (spec, a, b) => {
        const { lv, segments } = build(spec);
        const source = new LogicalVolumeSource(segments);
        expect(source.size).toBe(lv.length);
        expect(await source.read(0, lv.length)).toEqual(lv);
        const offset = a % lv.length;
        const length = b % (lv.length - offset + 1);
        expect(await source.read(offset, length)).toEqual(lv.subarray(offset, offset + length));
      }),
      { numRuns: 300 },
    );
    expect(allocations).toHaveBeenCalled();
  });

  it('refuses gaps, stripes past their PV, and chunks that do not tile the segment', () => {
    const pv = new MemorySource(new Uint8Array(100));
    const ok = { start: 0, size: 40, stripeSize: 10, stripes: [{ source: pv, byteOffset: 0 }, { source: pv, byteOffset: 50 }] };
    expect(new LogicalVolumeSource([ok]).size).toBe(40);
    expect(() => new LogicalVolumeSource([{ ...ok, start: 1 }])).toThrow(GrtError);
    expect(() => new LogicalVolumeSource([{ ...ok, stripes: [ok.stripes[0]!, { source: pv, byteOffset: 81 }] }])).toThrow(/runs past/);
    expect(() => new LogicalVolumeSource([{ ...ok, size: 30 }])).toThrow(/whole chunks/);
    expect(() => new LogicalVolumeSource([{ ...ok, stripes: [] }])).toThrow(/no stripes/);
    expect(() => new LogicalVolumeSource([{ ...ok, stripeSize: 0 }])).toThrow(GrtError);
  });

  it('refuses reads past its end', async () => {
    const source = new LogicalVolumeSource([{ start: 0, size: 10, stripeSize: 0, stripes: [{ source: new MemorySource(new Uint8Array(10)), byteOffset: 0 }] }]);
    await expect(source.read(5, 6)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
  });
});
