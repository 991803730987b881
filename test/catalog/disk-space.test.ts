/**
 * The catalog's disk-set address space (src/catalog/disk-space.ts): a stream's runs in LV offsets,
 * mapped through random linear and striped segments over several disks, read from the disks one
 * after another give the bytes the LV itself gives (LogicalVolumeSource, the live path).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemorySource } from '../../src/io/memory-source.js';
import { LogicalVolumeSource } from '../../src/volume/lvm/lv-source.js';
import { diskBases, diskSetSource, mapThroughSegments, MAX_MAPPED_RUNS } from '../../src/catalog/disk-space.js';
import { openLayoutStream } from '../../src/fs/layout-stream.js';
import type { StreamLayout } from '../../src/fs/file-system.js';
import type { DiskSegment } from '../../src/volume/types.js';

const spec = fc.record({
  disks: fc.integer({ min: 1, max: 3 }),
  chunk: fc.constantFrom(512, 4096),
  segments: fc.array(fc.record({ stripes: fc.integer({ min: 1, max: 3 }), chunksPerStripe: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 5 }),
  // Stream runs as (LV offset, length) pieces, a null run being a hole.
  runs: fc.array(fc.record({ at: fc.nat(), length: fc.integer({ min: 1, max: 9000 }), hole: fc.boolean() }), { minLength: 1, maxLength: 8 }),
  seed: fc.nat({ max: 255 }),
});

type Spec = typeof spec extends fc.Arbitrary<infer T> ? T : never;

/** Disks filled with a pattern; segments placed on them at free places, in LV order. */
function build(s: Spec) {
  const used = Array.from({ length: s.disks }, (_, i) => 512 * (i + 1));
  const segments: DiskSegment[] = [];
  let start = 0;
  let rotate = s.seed;
  for (const seg of s.segments) {
    const perStripe = seg.chunksPerStripe * s.chunk;
    const stripes = Array.from({ length: seg.stripes }, () => {
      const disk = (rotate++ % s.disks) + 1;
      const byteOffset = used[disk - 1]!;
      used[disk - 1] = byteOffset + perStripe + 512;
      return { disk, byteOffset };
    });
    segments.push({ start, size: perStripe * seg.stripes, stripeSize: s.chunk, stripes });
    start += perStripe * seg.stripes;
  }
  const disks = used.map((size, d) => {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 13 + (i >> 9) * 7 + d * 101 + s.seed) & 0xff;
    return new MemorySource(bytes, `disk ${d + 1}`);
  });
  const lv = new LogicalVolumeSource(segments.map((g) => ({ ...g, stripes: g.stripes.map((t) => ({ source: disks[t.disk - 1]!, byteOffset: t.byteOffset })) })));
  return { disks, segments, lv };
}

function layoutOf(s: Spec, lvSize: number): StreamLayout {
  const runs: StreamLayout['runs'] = [];
  let streamOffset = 0;
  for (const r of s.runs) {
    const length = Math.min(r.length, lvSize);
    const at = r.at % (lvSize - length + 1);
    runs.push({ streamOffset, length, sourceOffset: r.hole ? null : at });
    streamOffset += length;
  }
  return { name: '', size: streamOffset, initializedSize: streamOffset, encoding: 'raw', runs };
}

describe('catalog disk space', () => {
  it('maps runs through linear and striped segments to the bytes the LV reads (property)', async () => {
    await fc.assert(
      fc.asyncProperty(spec, async (s) => {
        const { disks, segments, lv } = build(s);
        const layout = layoutOf(s, lv.size);
        const mapped = mapThroughSegments(layout, segments, diskBases(disks.map((d) => d.size)));
        if ('error' in mapped) throw new Error(mapped.error.message);
        const want = await openLayoutStream(lv, layout).read(0, layout.size);
        const got = await openLayoutStream(diskSetSource(disks), mapped).read(0, layout.size);
        expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
        // No two adjacent data runs that touch on the disks are left unmerged.
        for (let i = 1; i < mapped.runs.length; i++) {
          const a = mapped.runs[i - 1]!;
          const b = mapped.runs[i]!;
          if (a.sourceOffset !== null && b.sourceOffset !== null) expect(a.sourceOffset + a.length === b.sourceOffset && a.streamOffset + a.length === b.streamOffset).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('stores a refusal for a run past the LV or one that maps to too many runs', () => {
    const segments: DiskSegment[] = [{ start: 0, size: 8192, stripeSize: 512, stripes: [{ disk: 1, byteOffset: 0 }, { disk: 2, byteOffset: 0 }] }];
    const past: StreamLayout = { name: 's', size: 100, initializedSize: 100, encoding: 'raw', runs: [{ streamOffset: 0, length: 100, sourceOffset: 8150 }] };
    expect(mapThroughSegments(past, segments, [0, 4096])).toMatchObject({ name: 's', error: { code: 'OUT_OF_RANGE' } });
    const onMissingDisk: StreamLayout = { ...past, runs: [{ streamOffset: 0, length: 100, sourceOffset: 600 }] };
    expect(mapThroughSegments(onMissingDisk, segments, [0])).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const huge = 512 * (MAX_MAPPED_RUNS + 2);
    const many: StreamLayout = { name: 'm', size: huge, initializedSize: huge, encoding: 'raw', runs: [{ streamOffset: 0, length: huge, sourceOffset: 0 }] };
    const wide: DiskSegment[] = [{ start: 0, size: huge, stripeSize: 512, stripes: [{ disk: 1, byteOffset: 0 }, { disk: 2, byteOffset: 0 }] }];
    expect(mapThroughSegments(many, wide, [0, huge])).toMatchObject({ error: { code: 'LIMIT_EXCEEDED' } });
  });

  it('reads one disk set across its disks, and one disk as itself', async () => {
    const a = new MemorySource(new Uint8Array([1, 2, 3]));
    const b = new MemorySource(new Uint8Array([4, 5]));
    expect(diskSetSource([a])).toBe(a);
    const set = diskSetSource([a, b]);
    expect(set.size).toBe(5);
    expect([...(await set.read(1, 4))]).toEqual([2, 3, 4, 5]);
    await expect(set.read(3, 3)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
  });
});
