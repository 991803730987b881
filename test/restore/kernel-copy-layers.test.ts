/**
 * Kernel copies (restore/kernel-copy.ts) through the layers above one image file: a snapshot
 * chain (grains a delta does not hold come from its base's file) and a logical volume striped
 * over two disks (each stripe chunk from its own disk), bit-exact.
 */
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamLayout } from '../../src/fs/file-system.js';
import { openDisk } from '../../src/vmdk/disk.js';
import { LogicalVolumeSource } from '../../src/volume/lvm/lv-source.js';
import { writeCowd, writeHostedSparse, writeSeSparse } from '../builders/vmdk-writer.js';
import { randomBytes } from '../helpers/random-bytes.js';
import { writeDescriptor } from '../vmdk-disk/helpers.js';
import { countingNative, GRAIN, layoutOf, restoreLayout, SECTOR, tempFiles } from './kernel-copy-helpers.js';

const { dir, fresh } = tempFiles('grt-kernel-copy-layers-');

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
        const name = (path: string): string => path.slice(dir().length + 1);
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
          const { bytes } = await restoreLayout(disk, layout, native, fresh);
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
      const { bytes } = await restoreLayout(source, layout, native, fresh);
      expect(Buffer.compare(bytes, lv.subarray(3 * GRAIN, 103 * GRAIN))).toBe(0);
      expect(copied.bytes).toBe(100 * GRAIN);
    } finally {
      await Promise.all(disks.map((disk) => disk.close()));
    }
  });
});
