/**
 * Property tests: images made by the test writers read back identical to their content, in any
 * pieces, with any grain size, through a tiny block cache, and as chain deltas over a parent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CachedSource } from '../../src/io/cached-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import type { Extent, ParentRead } from '../../src/vmdk/extent.js';
import { openSparseExtent } from '../../src/vmdk/sparse-extent.js';
import { sniffVmdkFile } from '../../src/vmdk/sparse-header.js';
import { writeHostedSparse, writeStreamOptimized } from '../builders/vmdk-writer.js';
import { FORMATS, openFormat, writeFormat } from './helpers.js';
import { CountingSource } from '../helpers/counting-source.js';

const parentFrom =
  (base: Uint8Array | undefined): ParentRead =>
  async (out, offset) => {
    if (base) out.set(base.subarray(offset, offset + out.length));
    else out.fill(0);
  };

/** Content of `sectors` sectors built from runs of random bytes, zeros and one repeated byte. */
const contentArb = (maxSectors: number) =>
  fc
    .record({
      sectors: fc.integer({ min: 1, max: maxSectors }),
      runs: fc.array(fc.record({ kind: fc.constantFrom('random', 'zero', 'fill'), sectors: fc.integer({ min: 1, max: 40 }), seed: fc.integer({ min: 1, max: 255 }) }), {
        minLength: 1,
        maxLength: 12,
      }),
    })
    .map(({ sectors, runs }) => {
      const bytes = new Uint8Array(sectors * 512);
      let pos = 0;
      let state = 12345;
      for (let r = 0; pos < bytes.length; r++) {
        const run = runs[r % runs.length]!;
        const end = Math.min(bytes.length, pos + run.sectors * 512);
        for (let i = pos; i < end; i++) {
          state = (state * 1103515245 + 12345) >>> 0;
          bytes[i] = run.kind === 'zero' ? 0 : run.kind === 'fill' ? run.seed : state >>> 24;
        }
        pos = end;
      }
      return bytes;
    });

const grainSizeArb = fc.constantFrom(1, 2, 4, 8, 16, 64, 128);
const gtesArb = fc.constantFrom(4, 16, 512);

/** Grains of `content` that are all zeros and may be written as zeroed entries. */
function zeroGrains(content: Uint8Array, grainBytes: number, pick: number): number[] {
  const out: number[] = [];
  for (let g = 0; g * grainBytes < content.length; g++) {
    if ((g + pick) % 2 === 0 && content.subarray(g * grainBytes, (g + 1) * grainBytes).every((b) => b === 0)) out.push(g);
  }
  return out;
}

async function checkReadsAndMap(extent: Extent, content: Uint8Array, base: Uint8Array | undefined, reads: [number, number][]): Promise<void> {
  const fromParent = parentFrom(base);
  const all = new Uint8Array(content.length);
  await extent.read(0, all, fromParent);
  expect(Buffer.compare(all, content)).toBe(0);
  for (const [a, b] of reads) {
    const offset = Math.floor(a * content.length);
    const length = Math.floor(b * (content.length - offset));
    const out = new Uint8Array(length).fill(0xee);
    await extent.read(offset, out, fromParent);
    expect(Buffer.compare(out, content.subarray(offset, offset + length))).toBe(0);
  }
  const map = await extent.map(0, content.length);
  let expectedOffset = 0;
  for (const range of map) {
    expect(range.offset).toBe(expectedOffset);
    expectedOffset += range.length;
    const held = content.subarray(range.offset, range.offset + range.length);
    if (range.state === 'zero') expect(held.every((x) => x === 0)).toBe(true);
    if (range.state === 'parent') expect(Buffer.compare(held, base ? base.subarray(range.offset, range.offset + range.length) : new Uint8Array(held.length))).toBe(0);
  }
  expect(expectedOffset).toBe(content.length);
}

const readsArb = fc.array(fc.tuple(fc.double({ min: 0, max: 0.999, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 8 });

describe('sparse extents round-trip', () => {
  for (const format of FORMATS) {
    it(`${format}: random content, grain sizes and reads`, async () => {
      await fc.assert(
        fc.asyncProperty(contentArb(700), grainSizeArb, gtesArb, fc.nat(1), readsArb, fc.boolean(), async (content, grainSize, gtesPerGt, pick, reads, smallCache) => {
          const grainBytes = (format === 'sesparse' ? 8 : grainSize) * 512;
          const bytes = writeFormat(format, {
            capacity: content.length,
            content,
            grainSize,
            gtesPerGt,
            zeroedGrains: format === 'cowd' ? [] : zeroGrains(content, grainBytes, pick),
            ...(pick === 0 ? { embeddedDescriptor: '# Disk DescriptorFile\nversion=1\n' } : {}),
          });
          const memory = new MemorySource(bytes);
          expect(sniffVmdkFile(bytes.subarray(0, 512))).toBe(format === 'cowd' ? 'cowd' : format === 'sesparse' ? 'sesparse' : 'kdmv');
          const file = smallCache ? new CachedSource(memory, { blockSize: 4096, maxBlocks: 2 }) : memory;
          await checkReadsAndMap(await openFormat(format, file), content, undefined, reads);
        }),
        { seed: 0x5a17 + FORMATS.indexOf(format), numRuns: 30 },
      );
    });

    it(`${format}: a chain delta holds only what differs from its parent`, async () => {
      await fc.assert(
        fc.asyncProperty(contentArb(400), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3000 }), fc.nat(255)), { maxLength: 5 }), grainSizeArb, readsArb, async (base, edits, grainSize, reads) => {
          const child = base.slice();
          for (const [at, length, value] of edits) child.fill(value, at % child.length, (at % child.length) + length);
          const bytes = writeFormat(format, { capacity: base.length, content: child, base, grainSize, gtesPerGt: 16 });
          const extent = await openFormat(format, new MemorySource(bytes));
          await checkReadsAndMap(extent, child, base, reads);
        }),
        { seed: 0xc4a1 + FORMATS.indexOf(format), numRuns: 25 },
      );
    });
  }

  it('hosted sparse: a read over contiguous grains is one file read; metadata is read once', async () => {
    const content = new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 7) & 0xff | 1);
    const counting = new CountingSource(new MemorySource(writeHostedSparse({ capacity: content.length, content })));
    const { extent } = await openSparseExtent(counting, { path: 'x.vmdk' });
    const out = new Uint8Array(content.length);
    await extent.read(0, out, parentFrom(undefined));
    counting.reads = [];
    await extent.read(0, out, parentFrom(undefined));
    expect(counting.reads).toHaveLength(1);
    expect(Buffer.compare(out, content)).toBe(0);
  });

  it('streamOptimized: small reads within one grain inflate it once', async () => {
    const content = new Uint8Array(1024 * 1024).map((_, i) => (i * 13) & 0xff);
    const counting = new CountingSource(new MemorySource(writeStreamOptimized({ capacity: content.length, content })));
    const { extent } = await openSparseExtent(counting, { path: 'x.vmdk' });
    await extent.read(70000, new Uint8Array(100), parentFrom(undefined));
    counting.reads = [];
    for (let i = 0; i < 50; i++) await extent.read(70000 + i * 100, new Uint8Array(100), parentFrom(undefined));
    expect(counting.reads).toHaveLength(0);
  });

  it('streamOptimized: a compressed payload longer than a grain is accepted', async () => {
    // Random bytes do not compress: deflate output is a little longer than the grain.
    const content = new Uint8Array(128 * 1024).map(() => Math.floor(Math.random() * 256));
    const bytes = writeStreamOptimized({ capacity: content.length, content });
    const { extent } = await openSparseExtent(new MemorySource(bytes), { path: 'x.vmdk' });
    const out = new Uint8Array(content.length);
    await extent.read(0, out, parentFrom(undefined));
    expect(Buffer.compare(out, content)).toBe(0);
  });
});
