/**
 * Kernel copies (restore/kernel-copy.ts): runs of a file's data stored as they are in an image file
 * (flat extents, raw grains one after another) go by copy_file_range/sendfile; everything else
 * (holes, zeroed and unallocated grains, grains out of order, damage) is read and written as
 * before. The output is bit-exact whichever way each byte took, holes stay holes, damage is a
 * GrtError, and without the addon (or when the kernel refuses) every byte is read and written.
 */
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { openLayoutStream } from '../../src/fs/layout-stream.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { createEngine } from '../../src/restore/engine.js';
import { streamTo } from '../../src/restore/export.js';
import { dataRanges } from '../../src/restore/write.js';
import { openDisk } from '../../src/vmdk/disk.js';
import { writeHostedSparse } from '../builders/vmdk-writer.js';
import { randomBytes } from '../helpers/random-bytes.js';
import { countingNative, GRAIN, GRAIN_SECTORS, layoutOf, refusingNative, restoreLayout, SECTOR, tempFiles } from './kernel-copy-helpers.js';

const GTES_PER_GT = 16; // several grain tables
const { dir, fresh } = tempFiles('grt-kernel-copy-');

/** Swap grains `a` and `b` of a hosted sparse extent in the file (data and both tables' entries): same disk, grains out of order. */
function swapGrains(file: Uint8Array, a: number, b: number): void {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const gtes = view.getUint32(44, true);
  const entryOffsets = (grain: number): number[] =>
    [Number(view.getBigUint64(56, true)), Number(view.getBigUint64(48, true))].map((gdSector) => view.getUint32(gdSector * SECTOR + Math.floor(grain / gtes) * 4, true) * SECTOR + (grain % gtes) * 4);
  const [entriesA, entriesB] = [entryOffsets(a), entryOffsets(b)];
  const [sectorA, sectorB] = [view.getUint32(entriesA[0]!, true), view.getUint32(entriesB[0]!, true)];
  if (sectorA <= 1 || sectorB <= 1) return; // only stored grains move
  const dataA = file.slice(sectorA * SECTOR, sectorA * SECTOR + GRAIN);
  file.copyWithin(sectorA * SECTOR, sectorB * SECTOR, sectorB * SECTOR + GRAIN);
  file.set(dataA, sectorB * SECTOR);
  for (const at of entriesA) view.setUint32(at, sectorB, true);
  for (const at of entriesB) view.setUint32(at, sectorA, true);
}

describe('kernel copies from a sparse VMDK', () => {
  it('copies a file stored in consecutive grains by the kernel, bit-exact', async () => {
    const content = randomBytes(64 * GRAIN, 1);
    const path = fresh('contiguous.vmdk');
    writeFileSync(path, writeHostedSparse({ capacity: content.length, content, grainSize: GRAIN_SECTORS, gtesPerGt: GTES_PER_GT }));
    const disk = await openDisk(path);
    try {
      const layout = layoutOf([{ diskGrain: 4, grains: 50, hole: false }], 50 * GRAIN - 100);
      const { native, copied } = countingNative();
      const { bytes } = await restoreLayout(disk, layout, native, fresh);
      expect(Buffer.compare(bytes, content.subarray(4 * GRAIN, 54 * GRAIN - 100))).toBe(0);
      expect(copied.bytes).toBe(50 * GRAIN - 100);
    } finally {
      await disk.close();
    }
  });

  it('holes stay holes: a hole in the layout is neither copied nor written', async () => {
    const content = randomBytes(640 * GRAIN, 2);
    const path = fresh('holes.vmdk');
    writeFileSync(path, writeHostedSparse({ capacity: content.length, content, grainSize: GRAIN_SECTORS, gtesPerGt: 512 }));
    const disk = await openDisk(path);
    try {
      // 2 MiB hole between two runs of 16 grains.
      const layout = layoutOf([{ diskGrain: 0, grains: 16, hole: false }, { diskGrain: 0, grains: 512, hole: true }, { diskGrain: 100, grains: 16, hole: false }], 544 * GRAIN);
      const { native, copied } = countingNative();
      const { bytes, blocks } = await restoreLayout(disk, layout, native, fresh);
      const expected = Buffer.concat([content.subarray(0, 16 * GRAIN), Buffer.alloc(512 * GRAIN), content.subarray(100 * GRAIN, 116 * GRAIN)]);
      expect(Buffer.compare(bytes, expected)).toBe(0);
      expect(copied.bytes).toBe(32 * GRAIN);
      expect(blocks * 512).toBeLessThan(64 * GRAIN + 256 * 1024); // the 2 MiB hole holds no blocks
    } finally {
      await disk.close();
    }
  });

  it('a grain table entry pointing past the file is a GrtError, not bytes', async () => {
    const content = randomBytes(32 * GRAIN, 3);
    const image = writeHostedSparse({ capacity: content.length, content, grainSize: GRAIN_SECTORS, gtesPerGt: GTES_PER_GT, redundantGd: false });
    const view = new DataView(image.buffer, image.byteOffset);
    const gt = view.getUint32(Number(view.getBigUint64(56, true)) * SECTOR, true) * SECTOR;
    view.setUint32(gt + 5 * 4, image.length / SECTOR + 10, true); // grain 5: past the end of the file
    const path = fresh('damaged.vmdk');
    writeFileSync(path, image);
    const disk = await openDisk(path);
    try {
      const { native } = countingNative();
      const failure = await restoreLayout(disk, layoutOf([{ diskGrain: 0, grains: 16, hole: false }], 16 * GRAIN), native, fresh).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(GrtError);
      expect((failure as GrtError).code).toBe('BAD_TABLE');
    } finally {
      await disk.close();
    }
  });

  it('property: any layout over any grain plan restores the bytes a plain read gives, by any way', async () => {
    const grains = 48;
    const plan = fc.array(fc.constantFrom('data', 'data', 'data', 'unallocated', 'zeroed'), { minLength: grains, maxLength: grains });
    const swaps = fc.array(fc.tuple(fc.nat(grains - 1), fc.nat(grains - 1)), { maxLength: 6 });
    const runs = fc.array(fc.record({ diskGrain: fc.nat(grains - 8), grains: fc.integer({ min: 1, max: 8 }), hole: fc.boolean() }), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(plan, swaps, runs, fc.nat(64 * GRAIN), fc.nat(64 * GRAIN), fc.constantFrom('kernel', 'refused', 'none'), fc.integer(), async (kinds, swapList, layoutRuns, size, initialized, way, seed) => {
        const content = randomBytes(grains * GRAIN, seed);
        kinds.forEach((kind, g) => kind !== 'data' && content.fill(0, g * GRAIN, (g + 1) * GRAIN));
        const zeroedGrains = kinds.flatMap((kind, g) => (kind === 'zeroed' ? [g] : []));
        const image = writeHostedSparse({ capacity: content.length, content, grainSize: GRAIN_SECTORS, gtesPerGt: GTES_PER_GT, zeroedGrains });
        for (const [a, b] of swapList) swapGrains(image, a, b);
        const path = fresh('property.vmdk');
        writeFileSync(path, image);
        const layout = layoutOf(layoutRuns, Math.max(1, size), initialized);
        const expected = await openLayoutStream(new MemorySource(content), layout).read(0, layout.size);
        const disk = await openDisk(path);
        try {
          const counting = countingNative();
          const native = way === 'kernel' ? counting.native : way === 'refused' ? refusingNative().native : null;
          const { bytes } = await restoreLayout(disk, layout, native, fresh);
          expect(Buffer.compare(bytes, expected)).toBe(0);
          const dataBytes = dataRanges(layout, layout.size).reduce((sum, r) => sum + r.length, 0);
          expect(counting.copied.bytes).toBeLessThanOrEqual(dataBytes);
        } finally {
          await disk.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('kernel copies from flat extents', () => {
  /** A descriptor of FLAT, ZERO, FLAT extents (the first FLAT at sector 16 of its file). */
  function flatDisk(first: Uint8Array, second: Uint8Array, zeroSectors: number): string {
    const a = fresh('a-flat.bin');
    const b = fresh('b-flat.bin');
    writeFileSync(a, Buffer.concat([randomBytes(16 * SECTOR, 99), first]));
    writeFileSync(b, second);
    const descriptor = fresh('flat.vmdk');
    const lines = [
      '# Disk DescriptorFile',
      'version=1',
      'CID=fffffffe',
      'parentCID=ffffffff',
      'createType="monolithicFlat"',
      `RW ${first.length / SECTOR} FLAT "${a.slice(dir().length + 1)}" 16`,
      `RW ${zeroSectors} ZERO`,
      `RW ${second.length / SECTOR} FLAT "${b.slice(dir().length + 1)}" 0`,
    ];
    writeFileSync(descriptor, lines.join('\n') + '\n');
    return descriptor;
  }

  it('copies across extents (flat, zero, flat) by the kernel where the bytes are stored, bit-exact', async () => {
    const first = randomBytes(40 * GRAIN, 4);
    const second = randomBytes(24 * GRAIN, 5);
    // The ZERO extent is 64 KiB (kernel-copy.ts PROBE_BYTES) at stream byte 64 KiB.
    const disk = await openDisk(flatDisk(first, second, 16 * GRAIN_SECTORS));
    try {
      const layout = layoutOf([{ diskGrain: 24, grains: 44, hole: false }], 44 * GRAIN);
      const { native, copied } = countingNative();
      const { bytes } = await restoreLayout(disk, layout, native, fresh);
      const expected = Buffer.concat([first.subarray(24 * GRAIN), Buffer.alloc(16 * GRAIN), second.subarray(0, 12 * GRAIN)]);
      expect(Buffer.compare(bytes, expected)).toBe(0);
      expect(copied.bytes).toBe(28 * GRAIN);
    } finally {
      await disk.close();
    }
  });

  it('without the addon, or when the kernel refuses both ways, the same bytes are read and written', async () => {
    const first = randomBytes(40 * GRAIN, 6);
    const second = randomBytes(24 * GRAIN, 7);
    const disk = await openDisk(flatDisk(first, second, 0));
    try {
      const layout = layoutOf([{ diskGrain: 10, grains: 50, hole: false }], 50 * GRAIN);
      const expected = Buffer.concat([first, second]).subarray(10 * GRAIN, 60 * GRAIN);
      expect(Buffer.compare((await restoreLayout(disk, layout, null, fresh)).bytes, expected)).toBe(0);
      const refusing = refusingNative();
      expect(Buffer.compare((await restoreLayout(disk, layout, refusing.native, fresh)).bytes, expected)).toBe(0);
      // copy_file_range refused (EXDEV), then sendfile (EINVAL): then never asked again.
      expect(refusing.calls).toEqual(['copy_file_range', 'sendfile']);
    } finally {
      await disk.close();
    }
  });

  it('a kernel copy that fails otherwise (EIO) leaves the piece to be read and written, and is tried again', async () => {
    const first = randomBytes(40 * GRAIN, 11);
    const disk = await openDisk(flatDisk(first, randomBytes(8 * GRAIN, 12), 0));
    try {
      let calls = 0;
      const failing = () => {
        calls++;
        throw Object.assign(new Error('copy_file_range: I/O error'), { code: 'EIO' });
      };
      const layout = layoutOf([{ diskGrain: 0, grains: 40, hole: false }], 40 * GRAIN);
      const { bytes } = await restoreLayout(disk, layout, { copyFileRange: failing, sendFile: failing }, fresh);
      expect(Buffer.compare(bytes, first)).toBe(0);
      expect(calls).toBeGreaterThan(1); // every 64 KiB, not given up after the first
    } finally {
      await disk.close();
    }
  });

  it('a flat file cut short is MISSING_DATA, not a short file', async () => {
    const first = randomBytes(40 * GRAIN, 8);
    const path = flatDisk(first, randomBytes(8 * GRAIN, 9), 0);
    const a = join(dir(), readFileSync(path, 'utf8').match(/"([^"]*a-flat\.bin)"/)![1]!);
    writeFileSync(a, readFileSync(a).subarray(0, 16 * SECTOR + 20 * GRAIN));
    const disk = await openDisk(path);
    try {
      const { native } = countingNative();
      const failure = await restoreLayout(disk, layoutOf([{ diskGrain: 0, grains: 30, hole: false }], 30 * GRAIN), native, fresh).catch((error: unknown) => error);
      expect((failure as GrtError).code).toBe('MISSING_DATA');
    } finally {
      await disk.close();
    }
  });
});

describe('streamTo by the kernel', () => {
  it('to a regular file at its position (stdout redirected) and to /dev/null', async () => {
    const content = randomBytes(96 * GRAIN, 10);
    content.fill(0, 16 * GRAIN, 32 * GRAIN); // unallocated grains: read as zeros, in order
    const path = fresh('stream.vmdk');
    writeFileSync(path, writeHostedSparse({ capacity: content.length, content, grainSize: GRAIN_SECTORS, gtesPerGt: GTES_PER_GT }));
    const disk = await openDisk(path);
    try {
      // Stretches the kernel cannot copy start and end on multiples of 64 KiB (kernel-copy.ts PROBE_BYTES).
      const layout = layoutOf([{ diskGrain: 0, grains: 48, hole: false }, { diskGrain: 0, grains: 16, hole: true }, { diskGrain: 60, grains: 30, hole: false }], 94 * GRAIN - 7);
      const expected = await openLayoutStream(new MemorySource(content), layout).read(0, layout.size);
      for (const target of [fresh('stdout.bin'), '/dev/null']) {
        const { native, copied } = countingNative();
        const engine = createEngine({ nativeCopy: native });
        const fd = openSync(target, 'w');
        try {
          writeFileSync(fd, 'head'); // the file position is where the stream starts
          await streamTo(openLayoutStream(disk, layout), fd, { engine });
        } finally {
          closeSync(fd);
          await engine.close();
        }
        if (target !== '/dev/null') expect(Buffer.compare(readFileSync(target), Buffer.concat([Buffer.from('head'), expected]))).toBe(0);
        expect(copied.bytes).toBe(62 * GRAIN - 7);
      }
    } finally {
      await disk.close();
    }
  });

  it('a source the kernel can copy nothing of (compressed grains) is asked about its first 64 MiB only', async () => {
    const MiB = 1024 * 1024;
    let asked = 0;
    const compressed: ByteSource = {
      size: 200 * MiB,
      read: async (_offset, length) => new Uint8Array(length),
      readInto: async (_offset, target) => void target.fill(0),
      copyOut: async () => (asked++, 0),
    };
    const engine = createEngine({ nativeCopy: countingNative().native });
    const fd = openSync('/dev/null', 'w');
    try {
      await streamTo(compressed, fd, { engine });
    } finally {
      closeSync(fd);
      await engine.close();
    }
    expect(asked).toBeLessThanOrEqual((64 * MiB) / (64 * 1024) + 1);
  });
});

