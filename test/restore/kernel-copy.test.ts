/**
 * Kernel copies (restore/kernel-copy.ts): runs of a file's data stored as they are in an image file
 * (flat extents, raw grains one after another) go by copy_file_range/sendfile; everything else
 * (holes, zeroed and unallocated grains, grains out of order, damage) is read and written as
 * before. The output is bit-exact whichever way each byte took, holes stay holes, damage is a
 * GrtError, and without the addon (or when the kernel refuses) every byte is read and written.
 */
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import type { StreamLayout } from '../../src/fs/file-system.js';
import { openLayoutStream } from '../../src/fs/layout-stream.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { createEngine } from '../../src/restore/engine.js';
import { streamTo } from '../../src/restore/export.js';
import { loadNativeCopy, type NativeCopy } from '../../src/restore/native-copy.js';
import { copyRanges, dataRanges } from '../../src/restore/write.js';
import { openDisk } from '../../src/vmdk/disk.js';
import { writeCowd, writeHostedSparse, writeSeSparse } from '../builders/vmdk-writer.js';
import { writeDescriptor } from '../vmdk-disk/helpers.js';
import { LogicalVolumeSource } from '../../src/volume/lvm/lv-source.js';
import { randomBytes } from '../helpers/random-bytes.js';

const SECTOR = 512;
const GRAIN_SECTORS = 8; // 4 KiB grains: many grains, and transitions, in a small disk
const GRAIN = GRAIN_SECTORS * SECTOR;
const GTES_PER_GT = 16; // several grain tables

let dir: string;
let fileCounter = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-kernel-copy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const fresh = (name: string): string => join(dir, `${fileCounter++}-${name}`);

/** The real addon, counting the bytes each call copied. */
function countingNative(): { native: NativeCopy; copied: { bytes: number } } {
  const real = loadNativeCopy();
  if (!real) throw new Error('the grt_copy addon is not built (npm ci builds it)');
  const copied = { bytes: 0 };
  const count =
    (call: NativeCopy['copyFileRange']): NativeCopy['copyFileRange'] =>
    (...args) => {
      const bytes = call(...args);
      copied.bytes += bytes;
      return bytes;
    };
  return { native: { copyFileRange: count(real.copyFileRange), sendFile: count(real.sendFile) }, copied };
}

/** An addon whose every call the kernel refuses (as copy_file_range and sendfile do for some pairs of files). */
function refusingNative(): { native: NativeCopy; calls: string[] } {
  const calls: string[] = [];
  const refuse = (name: string, code: string) => () => {
    calls.push(name);
    throw Object.assign(new Error(`${name}: refused`), { code });
  };
  return { native: { copyFileRange: refuse('copy_file_range', 'EXDEV'), sendFile: refuse('sendfile', 'EINVAL') }, calls };
}

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

/** Copy the layout's data ranges of `disk` to a new file as a restore does; its bytes and how many blocks it allocated. */
async function restoreLayout(disk: ByteSource, layout: StreamLayout, native: NativeCopy | null): Promise<{ bytes: Buffer; blocks: number }> {
  const engine = createEngine({ nativeCopy: native });
  const path = fresh('out.bin');
  const fd = openSync(path, 'wx');
  try {
    await copyRanges(engine, openLayoutStream(disk, layout), { fd, path }, dataRanges(layout, layout.size), layout.size, () => undefined);
  } finally {
    closeSync(fd);
    await engine.close();
  }
  return { bytes: readFileSync(path), blocks: statSync(path).blocks };
}

/** A layout of `size` bytes over a disk of `diskSize`: runs of whole grains in the given order, holes between. */
function layoutOf(runs: { diskGrain: number; grains: number; hole: boolean }[], size: number, initializedSize = size): StreamLayout {
  let at = 0;
  const mapped = runs.map((run) => {
    const r = { streamOffset: at, sourceOffset: run.hole ? null : run.diskGrain * GRAIN, length: run.grains * GRAIN };
    at += r.length;
    return r;
  });
  return { name: '', size: Math.min(size, at), initializedSize: Math.min(initializedSize, size, at), encoding: 'raw', runs: mapped };
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
      const { bytes } = await restoreLayout(disk, layout, native);
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
      const { bytes, blocks } = await restoreLayout(disk, layout, native);
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
      const failure = await restoreLayout(disk, layoutOf([{ diskGrain: 0, grains: 16, hole: false }], 16 * GRAIN), native).catch((error: unknown) => error);
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
          const { bytes } = await restoreLayout(disk, layout, native);
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

describe('kernel copies through a snapshot chain', () => {
  const CHAIN_GRAIN = 64 * 1024;
  const writers = { SPARSE: writeHostedSparse, VMFSSPARSE: writeCowd, SESPARSE: writeSeSparse };
  type DeltaKind = keyof typeof writers;

  it('property: grains a delta does not hold are copied from its flat base, the rest from the delta, bit-exact', async () => {
    const kinds = fc.constantFrom<DeltaKind>('SPARSE', 'VMFSSPARSE', 'SESPARSE');
    const edits = fc.array(fc.constantFrom('keep', 'write', 'zero'), { minLength: 2, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(edits, kinds, kinds, fc.integer({ min: 1, max: 7 }), fc.integer(), async (grainEdits, firstKind, secondKind, splitAt, seed) => {
        const grains = grainEdits.length;
        const split = Math.min(splitAt, grains - 1);
        const base = randomBytes(grains * CHAIN_GRAIN, seed);
        const child = base.slice();
        const zeroed: number[] = [];
        grainEdits.forEach((edit, g) => {
          if (edit === 'write') child.set(randomBytes(CHAIN_GRAIN, seed + g + 1), g * CHAIN_GRAIN);
          if (edit === 'zero') (child.fill(0, g * CHAIN_GRAIN, (g + 1) * CHAIN_GRAIN), zeroed.push(g));
        });
        const prefix = fresh('chain');
        writeFileSync(`${prefix}-base-flat.vmdk`, base);
        const name = (path: string): string => path.slice(dir.length + 1);
        writeFileSync(`${prefix}-base.vmdk`, writeDescriptor({ cid: '0000aaaa', createType: 'vmfs', extents: [{ access: 'RW', sectorCount: base.length / SECTOR, type: 'VMFS', file: name(`${prefix}-base-flat.vmdk`) }] }));
        const parts: [DeltaKind, number, number][] = [[firstKind, 0, split], [secondKind, split, grains]];
        let storedZeros = 0;
        for (const [i, [kind, from, to]] of parts.entries()) {
          const slice = (bytes: Uint8Array): Uint8Array => bytes.slice(from * CHAIN_GRAIN, to * CHAIN_GRAIN);
          // COWD has no zeroed-grain entry: its zeroed grains are stored (and copied) as data.
          const local = zeroed.filter((g) => g >= from && g < to);
          if (kind === 'VMFSSPARSE') storedZeros += local.length;
          const zeroedGrains = kind === 'VMFSSPARSE' ? [] : local.map((g) => ((g - from) * CHAIN_GRAIN) / (kind === 'SESPARSE' ? 4096 : CHAIN_GRAIN));
          writeFileSync(`${prefix}-delta-${i}.vmdk`, writers[kind]({ capacity: (to - from) * CHAIN_GRAIN, content: slice(child), base: slice(base), zeroedGrains }));
        }
        writeFileSync(`${prefix}.vmdk`, writeDescriptor({
          cid: '0000bbbb',
          parentCid: '0000aaaa',
          createType: 'custom',
          parentFileNameHint: name(`${prefix}-base.vmdk`),
          extents: parts.map(([kind, from, to], i) => ({ access: 'RW', sectorCount: ((to - from) * CHAIN_GRAIN) / SECTOR, type: kind, file: name(`${prefix}-delta-${i}.vmdk`) })),
        }));
        const disk = await openDisk(`${prefix}.vmdk`);
        try {
          const layout: StreamLayout = { name: '', size: disk.size, initializedSize: disk.size, encoding: 'raw', runs: [{ streamOffset: 0, sourceOffset: 0, length: disk.size }] };
          const { native, copied } = countingNative();
          const { bytes } = await restoreLayout(disk, layout, native);
          expect(Buffer.compare(bytes, child)).toBe(0);
          expect(copied.bytes).toBe((grains - zeroed.length + storedZeros) * CHAIN_GRAIN);
        } finally {
          await disk.close();
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('kernel copies through a logical volume', () => {
  it('a striped segment over two disks: each stripe chunk copied from its disk, bit-exact', async () => {
    const CHUNK = 64 * 1024;
    const chunks = 12; // 6 on each stripe
    const lv = randomBytes(chunks * CHUNK, 13);
    const pvs = [randomBytes(16 * CHUNK, 14), randomBytes(16 * CHUNK, 15)];
    // Chunk c on stripe c mod 2, at chunk floor(c / 2) of that stripe's area (lv-source.ts).
    const areas = [2 * CHUNK, 5 * CHUNK];
    for (let c = 0; c < chunks; c++) pvs[c % 2]!.set(lv.subarray(c * CHUNK, (c + 1) * CHUNK), areas[c % 2]! + Math.floor(c / 2) * CHUNK);
    const disks = await Promise.all(pvs.map((bytes, i) => {
      const path = fresh(`pv${i}.img`);
      writeFileSync(path, bytes);
      return openDisk(path);
    }));
    try {
      const source = new LogicalVolumeSource([{ start: 0, size: lv.length, stripeSize: CHUNK, stripes: disks.map((disk, i) => ({ source: disk, byteOffset: areas[i]! })) }]);
      const layout = layoutOf([{ diskGrain: 3, grains: 100, hole: false }], 100 * GRAIN);
      const { native, copied } = countingNative();
      const { bytes } = await restoreLayout(source, layout, native);
      expect(Buffer.compare(bytes, lv.subarray(3 * GRAIN, 103 * GRAIN))).toBe(0);
      expect(copied.bytes).toBe(100 * GRAIN);
    } finally {
      await Promise.all(disks.map((disk) => disk.close()));
    }
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
      `RW ${first.length / SECTOR} FLAT "${a.slice(dir.length + 1)}" 16`,
      `RW ${zeroSectors} ZERO`,
      `RW ${second.length / SECTOR} FLAT "${b.slice(dir.length + 1)}" 0`,
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
      const { bytes } = await restoreLayout(disk, layout, native);
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
      expect(Buffer.compare((await restoreLayout(disk, layout, null)).bytes, expected)).toBe(0);
      const refusing = refusingNative();
      expect(Buffer.compare((await restoreLayout(disk, layout, refusing.native)).bytes, expected)).toBe(0);
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
      const { bytes } = await restoreLayout(disk, layout, { copyFileRange: failing, sendFile: failing });
      expect(Buffer.compare(bytes, first)).toBe(0);
      expect(calls).toBeGreaterThan(1); // every 64 KiB, not given up after the first
    } finally {
      await disk.close();
    }
  });

  it('a flat file cut short is MISSING_DATA, not a short file', async () => {
    const first = randomBytes(40 * GRAIN, 8);
    const path = flatDisk(first, randomBytes(8 * GRAIN, 9), 0);
    const a = join(dir, readFileSync(path, 'utf8').match(/"([^"]*a-flat\.bin)"/)![1]!);
    writeFileSync(a, readFileSync(a).subarray(0, 16 * SECTOR + 20 * GRAIN));
    const disk = await openDisk(path);
    try {
      const { native } = countingNative();
      const failure = await restoreLayout(disk, layoutOf([{ diskGrain: 0, grains: 30, hole: false }], 30 * GRAIN), native).catch((error: unknown) => error);
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
});
