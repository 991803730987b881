/**
 * Damaged and hostile files: only GrtError escapes, quickly and with bounded memory; where damage
 * does not matter (a redundant directory, a cut-off stream), the bytes still read correctly.
 */
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { MemorySource } from '../../src/io/memory-source.js';
import type { Extent } from '../../src/vmdk/extent.js';
import { openSparseExtent } from '../../src/vmdk/sparse-extent.js';
import { sniffVmdkFile } from '../../src/vmdk/sparse-header.js';
import { writeHostedSparse, writeStreamOptimized } from '../builders/vmdk-writer.js';
import { expectGrtError, FORMATS, onlyGrtErrors, openFormat, parentIsZero, patternedDisk, writeFormat, type Format } from './helpers.js';

const CAPACITY = 2 * 1024 * 1024 + 512 * 3;
const content = patternedDisk(CAPACITY, 99);
const images = new Map<Format, Uint8Array>(FORMATS.map((f) => [f, writeFormat(f, { capacity: CAPACITY, content, grainSize: 16, gtesPerGt: 16, zeroedGrains: [] })]));

/** Open and read a bounded amount; the extent's claims must not make us allocate or loop forever. */
async function exercise(format: Format, bytes: Uint8Array): Promise<void> {
  const extent = await openFormat(format, new MemorySource(bytes), false);
  const length = Math.min(extent.size, 4 * CAPACITY);
  await extent.map(0, Math.min(extent.size, 64 * 1024 * 1024));
  const out = new Uint8Array(length);
  await extent.read(0, out, parentIsZero);
}

/** Successful reads of a damaged file must equal the content; failures must be GrtErrors. */
async function readsAreCorrectOrFail(extent: Extent): Promise<void> {
  const chunk = 96 * 1024;
  for (let offset = 0; offset < Math.min(extent.size, CAPACITY); offset += chunk) {
    const out = new Uint8Array(Math.min(chunk, extent.size - offset, CAPACITY - offset));
    try {
      await extent.read(offset, out, parentIsZero);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      continue;
    }
    expect(Buffer.compare(out, content.subarray(offset, offset + out.length))).toBe(0);
  }
}

describe('damaged sparse extents', () => {
  for (const format of FORMATS) {
    it(`${format}: flipped bits anywhere give only GrtErrors`, async () => {
      const image = images.get(format)!;
      // Metadata lives in the first sectors and (streamOptimized) the last ones: aim half the flips there.
      const position = fc.oneof(fc.nat(4095), fc.nat(image.length - 1), fc.nat(4095).map((n) => image.length - 1 - n));
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(position, fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }), async (flips) => {
          const damaged = image.slice();
          for (const [at, xor] of flips) damaged[at]! ^= xor;
          await onlyGrtErrors(() => exercise(format, damaged));
        }),
        { seed: 0xd4 + FORMATS.indexOf(format), numRuns: 40 },
      );
    });

    it(`${format}: header words set to 0 or all ones give only GrtErrors`, async () => {
      const image = images.get(format)!;
      for (let at = 0; at < 224; at += 4) {
        for (const value of [0, 0xff]) {
          const damaged = image.slice();
          damaged.fill(value, at, at + 8);
          await onlyGrtErrors(() => exercise(format, damaged));
        }
      }
    });

    it(`${format}: a truncated file reads correct bytes or fails cleanly`, async () => {
      const image = images.get(format)!;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: image.length - 1 }), async (length) => {
          await onlyGrtErrors(async () => readsAreCorrectOrFail(await openFormat(format, new MemorySource(image.subarray(0, length)), false)));
        }),
        { seed: 0x7c + FORMATS.indexOf(format), numRuns: 30 },
      );
    });
  }

  it('KDMV header checks name the problem', async () => {
    const image = images.get('hosted')!;
    const set = (at: number, bytes: number[]): Uint8Array => {
      const damaged = image.slice();
      damaged.set(bytes, at);
      return damaged;
    };
    await expectGrtError(openSparseExtent(new MemorySource(set(0, [0, 0, 0, 0])), { path: 'x' }), 'BAD_MAGIC');
    await expectGrtError(openSparseExtent(new MemorySource(set(4, [4])), { path: 'x' }), 'UNSUPPORTED');
    await expectGrtError(openSparseExtent(new MemorySource(set(20, [3])), { path: 'x' }), 'BAD_HEADER'); // grain 3 sectors
    await expectGrtError(openSparseExtent(new MemorySource(set(44, [0, 4])), { path: 'x' }), 'BAD_HEADER'); // 1024 GTEs
    await expectGrtError(openSparseExtent(new MemorySource(image.subarray(0, 100)), { path: 'x' }), 'TRUNCATED');
    // A capacity of 2^40 sectors: the directory it implies does not fit in the file.
    await expectGrtError(openSparseExtent(new MemorySource(set(12, [0, 0, 0, 0, 0, 1, 0, 0])), { path: 'x' }), 'BAD_TABLE');
  });

  it('altered newline-detection bytes give a warning', async () => {
    const damaged = images.get('hosted')!.slice();
    damaged.set([0x0a, 0x20, 0x0a, 0x0a], 73);
    const opened = await openSparseExtent(new MemorySource(damaged), { path: 'x' });
    expect(opened.warnings.map((w) => w.message).join()).toMatch(/text mode/);
  });

  it('a damaged primary grain directory falls back to the redundant one', async () => {
    const damaged = images.get('hosted')!.slice();
    const view = new DataView(damaged.buffer);
    const gdSector = Number(view.getBigUint64(56, true));
    damaged.fill(0xff, gdSector * 512, gdSector * 512 + 8);
    const opened = await openSparseExtent(new MemorySource(damaged), { path: 'x' });
    expect(opened.warnings.map((w) => w.message).join()).toMatch(/the redundant one is used for them/);
    const out = new Uint8Array(CAPACITY);
    await opened.extent.read(0, out, parentIsZero);
    expect(Buffer.compare(out, content)).toBe(0);
    // The whole primary directory out of the file: the redundant one stands in.
    const moved = images.get('hosted')!.slice();
    new DataView(moved.buffer).setBigUint64(56, 1n << 40n, true);
    const fallback = await openSparseExtent(new MemorySource(moved), { path: 'x' });
    expect(fallback.warnings.map((w) => w.message).join()).toMatch(/using the redundant one/);
    await fallback.extent.read(0, out, parentIsZero);
    expect(Buffer.compare(out, content)).toBe(0);
  });

  it('a damaged primary grain table is replaced by its redundant copy', async () => {
    const damaged = images.get('hosted')!.slice();
    const view = new DataView(damaged.buffer);
    const gdSector = Number(view.getBigUint64(56, true));
    const gtSector = view.getUint32(gdSector * 512, true);
    damaged.fill(0xff, gtSector * 512, gtSector * 512 + 8); // two GTEs far past the end of the file
    const opened = await openSparseExtent(new MemorySource(damaged), { path: 'x' });
    const out = new Uint8Array(CAPACITY);
    await opened.extent.read(0, out, parentIsZero);
    expect(Buffer.compare(out, content)).toBe(0);
    expect(opened.warnings.map((w) => w.message).join()).toMatch(/grain table 0 is damaged; using its redundant copy/);
  });

  it('without a redundant directory, damaged entries fail only their own grains', async () => {
    const image = writeHostedSparse({ capacity: CAPACITY, content, grainSize: 16, gtesPerGt: 16, redundantGd: false });
    const gdSector = Number(new DataView(image.buffer).getBigUint64(56, true));
    const damaged = image.slice();
    damaged.fill(0xff, gdSector * 512 + 4, gdSector * 512 + 8); // table 1: grains 16–31
    const opened = await openSparseExtent(new MemorySource(damaged), { path: 'x' });
    expect(opened.warnings.map((w) => w.message).join()).toMatch(/1 entries pointing outside the file; those grains fail to read/);
    const first = new Uint8Array(16 * 8192);
    await opened.extent.read(0, first, parentIsZero);
    expect(Buffer.compare(first, content.subarray(0, first.length))).toBe(0);
    await expectGrtError(opened.extent.read(16 * 8192, new Uint8Array(512), parentIsZero), 'BAD_TABLE');
  });

  it('streamOptimized: a damaged footer means recovery from the markers', async () => {
    const damaged = images.get('stream')!.slice();
    damaged.fill(0x55, damaged.length - 512, damaged.length); // the end-of-stream marker
    const opened = await openSparseExtent(new MemorySource(damaged), { path: 'x' });
    expect(opened.warnings.map((w) => w.message).join()).toMatch(/grain map recovered from \d+ markers/);
    await readsAreCorrectOrFail(opened.extent);
    // Everything up to the last grain written is there.
    const out = new Uint8Array(1024 * 1024);
    await opened.extent.read(0, out, parentIsZero);
    expect(Buffer.compare(out, content.subarray(0, out.length))).toBe(0);
  });

  it('streamOptimized: a grain marker naming another sector is BAD_MARKER', async () => {
    const image = images.get('stream')!;
    const damaged = image.slice();
    const overhead = Number(new DataView(image.buffer).getBigUint64(64, true));
    damaged[overhead * 512] = 99; // the first grain record claims LBA 99
    const { extent } = await openSparseExtent(new MemorySource(damaged), { path: 'x' });
    await expectGrtError(extent.read(0, new Uint8Array(512), parentIsZero), 'BAD_MARKER');
  });

  describe('compressed grain payloads', () => {
    let bomb: Uint8Array;
    beforeAll(() => {
      bomb = deflateSync(new Uint8Array(64 * 1024 * 1024));
    });

    it('a zlib bomb in one grain fails with BAD_COMPRESSED_DATA without inflating it all', async () => {
      const grainBytes = 128 * 512;
      const image = writeStreamOptimized({ capacity: CAPACITY, content, compress: (bytes, g) => (g === 1 ? bomb : deflateSync(bytes)) });
      const { extent } = await openSparseExtent(new MemorySource(image), { path: 'x' });
      const before = process.memoryUsage().arrayBuffers;
      const started = Date.now();
      await expectGrtError(extent.read(grainBytes, new Uint8Array(512), parentIsZero), 'BAD_COMPRESSED_DATA');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
      const first = new Uint8Array(grainBytes);
      await extent.read(0, first, parentIsZero);
      expect(Buffer.compare(first, content.subarray(0, grainBytes))).toBe(0);
    });

    it('garbage, short output and trailing bytes', async () => {
      const grainBytes = 128 * 512;
      const image = writeStreamOptimized({
        capacity: CAPACITY,
        content,
        compress: (bytes, g) =>
          g === 0 ? new Uint8Array(300).fill(7) : g === 1 ? deflateSync(bytes.subarray(0, 1000)) : Buffer.concat([deflateSync(bytes), Buffer.alloc(700, 3)]),
      });
      const { extent } = await openSparseExtent(new MemorySource(image), { path: 'x' });
      await expectGrtError(extent.read(0, new Uint8Array(512), parentIsZero), 'BAD_COMPRESSED_DATA');
      await expectGrtError(extent.read(grainBytes, new Uint8Array(512), parentIsZero), 'BAD_COMPRESSED_DATA');
      const third = new Uint8Array(grainBytes);
      await extent.read(2 * grainBytes, third, parentIsZero);
      expect(Buffer.compare(third, content.subarray(2 * grainBytes, 3 * grainBytes))).toBe(0);
    });
  });

  it('sniffVmdkFile tells the kinds apart', () => {
    expect(sniffVmdkFile(images.get('hosted')!.subarray(0, 512))).toBe('kdmv');
    expect(sniffVmdkFile(images.get('cowd')!.subarray(0, 512))).toBe('cowd');
    expect(sniffVmdkFile(images.get('sesparse')!.subarray(0, 512))).toBe('sesparse');
    expect(sniffVmdkFile(new TextEncoder().encode('# Disk DescriptorFile\nversion=1\n'))).toBe('text');
    expect(sniffVmdkFile(new TextEncoder().encode('version=1\nCID=fffffffe\n'))).toBe('text');
    expect(sniffVmdkFile(new Uint8Array(512))).toBe('unknown');
    expect(sniffVmdkFile(new Uint8Array([1, 2]))).toBe('unknown');
  });
});
