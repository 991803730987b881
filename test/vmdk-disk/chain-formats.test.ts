/**
 * Snapshot chains over every delta format, built in test code with the vmdk-sparse writers: a
 * flat base (ESXi "vmfs" descriptor) under a child descriptor of two delta extents, so parent
 * reads must land at extent start + offset.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDisk } from '../../src/vmdk/index.js';
import { writeCowd, writeHostedSparse, writeSeSparse, writeStreamOptimized } from '../builders/vmdk-writer.js';
import { expectBytes, pattern, withTempDir, writeDescriptor } from './helpers.js';

const GRAIN = 64 * 1024;
type DeltaKind = 'SPARSE' | 'VMFSSPARSE' | 'SESPARSE';
const writers: Record<DeltaKind, (spec: Parameters<typeof writeCowd>[0]) => Uint8Array> = {
  SPARSE: writeHostedSparse,
  VMFSSPARSE: writeCowd,
  SESPARSE: writeSeSparse,
};

/** Per grain of the child: keep the parent's, overwrite with new bytes, or zero it. */
const grainEdit = fc.constantFrom('keep', 'write', 'zero');

describe('chains over KDMV, COWD and seSparse deltas', () => {
  it('reads a child as its contents and maps what it holds', () =>
    withTempDir(async (dir) => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(grainEdit, { minLength: 2, maxLength: 8 }),
          fc.constantFrom<DeltaKind>('SPARSE', 'VMFSSPARSE', 'SESPARSE'),
          fc.constantFrom<DeltaKind>('SPARSE', 'VMFSSPARSE', 'SESPARSE'),
          fc.integer({ min: 1, max: 7 }),
          async (edits, firstKind, secondKind, splitAt) => {
            run++;
            const grains = edits.length;
            const split = Math.min(splitAt, grains - 1);
            const base = pattern(run, grains * GRAIN);
            const child = base.slice();
            const zeroed: number[] = [];
            edits.forEach((edit, g) => {
              if (edit === 'write') child.set(pattern(1000 + run * 31 + g, GRAIN), g * GRAIN);
              if (edit === 'zero') {
                child.fill(0, g * GRAIN, (g + 1) * GRAIN);
                zeroed.push(g);
              }
            });
            const prefix = `r${run}`;
            await writeFile(join(dir, `${prefix}-base-flat.vmdk`), base);
            await writeFile(join(dir, `${prefix}-base.vmdk`), writeDescriptor({
              cid: '0000aaaa',
              createType: 'vmfs',
              extents: [{ access: 'RW', sectorCount: base.length / 512, type: 'VMFS', file: `${prefix}-base-flat.vmdk` }],
            }));
            const parts: [DeltaKind, number, number][] = [[firstKind, 0, split], [secondKind, split, grains]];
            for (const [i, [kind, from, to]] of parts.entries()) {
              const slice = (b: Uint8Array) => b.slice(from * GRAIN, to * GRAIN);
              // KDMV v1 and COWD have no "zeroed grain" entry: a zeroed grain is stored as data.
              const localZeroed = kind === 'VMFSSPARSE' ? [] : zeroed.filter((g) => g >= from && g < to).map((g) => ((g - from) * GRAIN) / (kind === 'SESPARSE' ? 4096 : GRAIN));
              const spec = { capacity: (to - from) * GRAIN, content: slice(child), base: slice(base), zeroedGrains: localZeroed };
              await writeFile(join(dir, `${prefix}-delta-${i}.vmdk`), writers[kind](spec));
            }
            const path = join(dir, `${prefix}.vmdk`);
            await writeFile(path, writeDescriptor({
              cid: '0000bbbb',
              parentCid: '0000aaaa',
              createType: 'custom',
              parentFileNameHint: `${prefix}-base.vmdk`,
              extents: parts.map(([kind, from, to], i) => ({ access: 'RW', sectorCount: ((to - from) * GRAIN) / 512, type: kind, file: `${prefix}-delta-${i}.vmdk` })),
            }));
            const disk = await openDisk(path);
            try {
              expect(disk.info.warnings).toEqual([]);
              expect(disk.info.chain.map((l) => l.cid)).toEqual(['0000bbbb', '0000aaaa']);
              expectBytes(await disk.read(0, disk.size), child);
              // Across the boundary between the two delta extents.
              const at = split * GRAIN - 100;
              expectBytes(await disk.read(at, 200), child.subarray(at, at + 200));
              // Everything is data (the base is flat) except grains the child zeroed explicitly.
              const zeros = (await disk.map(0, disk.size)).filter((r) => r.state === 'zero');
              for (const r of zeros) expect(child.subarray(r.offset, r.offset + r.length).every((b) => b === 0)).toBe(true);
            } finally {
              await disk.close();
            }
          },
        ),
        { seed: 31337, numRuns: 30 },
      );
    }));

  it.each(['VMFSSPARSE', 'SESPARSE'] as const)('opens a bare %s delta alone (zeros, a warning) or over parentPath', (kind) =>
    withTempDir(async (dir) => {
      const base = pattern(21, 4 * GRAIN);
      const child = base.slice();
      child.set(pattern(22, GRAIN), 2 * GRAIN);
      await writeFile(join(dir, 'base.img'), base);
      await writeFile(join(dir, 'delta.vmdk'), writers[kind]({ capacity: child.length, content: child, base }));
      const alone = await openDisk(join(dir, 'delta.vmdk'));
      expect(alone.info.warnings.map((w) => w.code)).toEqual(['NOT_FOUND']);
      const expected = new Uint8Array(child.length);
      expected.set(child.subarray(2 * GRAIN, 3 * GRAIN), 2 * GRAIN);
      expectBytes(await alone.read(0, alone.size), expected);
      await alone.close();
      const over = await openDisk(join(dir, 'delta.vmdk'), { parentPath: join(dir, 'base.img') });
      expect(over.info.warnings).toEqual([]);
      expect(over.parent?.info.format).toBe('raw');
      expectBytes(await over.read(0, over.size), child);
      await over.close();
      const ignored = await openDisk(join(dir, 'base.img'), { parentPath: join(dir, 'delta.vmdk') });
      expect(ignored.info.warnings.map((w) => w.code)).toEqual(['USAGE']);
      expect(ignored.parent).toBeUndefined();
      await ignored.close();
    }));

  it('maps a delta over nothing as zeros and reads a streamOptimized extent named by a descriptor', () =>
    withTempDir(async (dir) => {
      const content = new Uint8Array(4 * GRAIN);
      content.set(pattern(8, GRAIN), GRAIN);
      await writeFile(join(dir, 'so.vmdk'), writeStreamOptimized({ capacity: content.length, content }));
      const path = join(dir, 'disk.vmdk');
      await writeFile(path, writeDescriptor({ createType: 'streamOptimized', extents: [{ access: 'RDONLY', sectorCount: content.length / 512, type: 'SPARSE', file: 'so.vmdk' }] }));
      const disk = await openDisk(path);
      expectBytes(await disk.read(0, disk.size), content);
      expect(disk.info.extents[0]!.format).toBe('streamOptimized');
      expect(await disk.map(0, disk.size)).toEqual([
        { offset: 0, length: GRAIN, state: 'zero' },
        { offset: GRAIN, length: GRAIN, state: 'data' },
        { offset: 2 * GRAIN, length: 2 * GRAIN, state: 'zero' },
      ]);
      await disk.close();
    }));

  it('warns when a sparse header and the descriptor disagree on size, and reads the descriptor size', () =>
    withTempDir(async (dir) => {
      const content = pattern(4, 2 * GRAIN);
      await writeFile(join(dir, 's.vmdk'), writeHostedSparse({ capacity: content.length, content }));
      const path = join(dir, 'disk.vmdk');
      await writeFile(path, writeDescriptor({ extents: [{ access: 'RW', sectorCount: (3 * GRAIN) / 512, type: 'SPARSE', file: 's.vmdk' }] }));
      const disk = await openDisk(path);
      expect(disk.size).toBe(3 * GRAIN);
      expect(disk.info.warnings.map((w) => w.code)).toEqual(['BAD_DESCRIPTOR']);
      const expected = new Uint8Array(3 * GRAIN);
      expected.set(content);
      expectBytes(await disk.read(0, disk.size), expected);
      expect((await disk.map(0, disk.size)).at(-1)).toEqual({ offset: 2 * GRAIN, length: GRAIN, state: 'zero' });
      await disk.close();
    }));

  it('a grain table found damaged while reading is reported in DiskInfo, as a split extent and as a monolithic file', () =>
    withTempDir(async (dir) => {
      const content = pattern(5, 2 * GRAIN);
      const image = writeHostedSparse({ capacity: content.length, content });
      const view = new DataView(image.buffer, image.byteOffset);
      const gtSector = view.getUint32(Number(view.getBigUint64(56, true)) * 512, true);
      image.fill(0xff, gtSector * 512, gtSector * 512 + 8); // two GTEs past the end of the file
      await writeFile(join(dir, 's.vmdk'), image);
      const path = join(dir, 'disk.vmdk');
      await writeFile(path, writeDescriptor({ extents: [{ access: 'RW', sectorCount: content.length / 512, type: 'SPARSE', file: 's.vmdk' }] }));
      for (const opened of [path, join(dir, 's.vmdk')]) {
        const disk = await openDisk(opened);
        expect(disk.info.warnings.map((w) => w.message).join()).not.toMatch(/redundant copy/);
        expectBytes(await disk.read(0, disk.size), content); // the table is loaded (and found damaged) only now
        expect(disk.info.warnings.map((w) => w.message).join()).toMatch(/grain table 0 is damaged; using its redundant copy/);
        await disk.close();
      }
    }));

  it('opens a renamed monolithic file by itself even when its embedded descriptor names another file', () =>
    withTempDir(async (dir) => {
      const content = pattern(12, 2 * GRAIN);
      const embedded = writeDescriptor({ cid: '12345678', createType: 'monolithicSparse', extents: [{ access: 'RW', sectorCount: content.length / 512, type: 'SPARSE', file: 'original-name.vmdk' }] });
      await writeFile(join(dir, 'renamed.vmdk'), writeHostedSparse({ capacity: content.length, content, embeddedDescriptor: embedded }));
      // A decoy with the stale name must not be read.
      await writeFile(join(dir, 'original-name.vmdk'), new Uint8Array(content.length).fill(0xee));
      const disk = await openDisk(join(dir, 'renamed.vmdk'));
      expect(disk.info).toMatchObject({ cid: '12345678', createType: 'monolithicSparse' });
      expect(disk.info.extents[0]!.file).toBe('renamed.vmdk');
      expectBytes(await disk.read(0, disk.size), content);
      await disk.close();
    }));
});
