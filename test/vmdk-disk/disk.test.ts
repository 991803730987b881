import { createHash } from 'node:crypto';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DESCRIPTOR_BYTES, type ExtentLine } from '../../src/vmdk/descriptor.js';
import { MAX_OPEN_EXTENT_FILES } from '../../src/vmdk/extent-files.js';
import { openDisk } from '../../src/vmdk/index.js';
import { expectBytes, expectGrtError, openAndReadAllOrGrtError, pattern, readAll, withTempDir, writeDescriptor } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const images = join(root, 'test-images/vmdk');
const fixtures = resolve(root, '../shared/fixtures/osv-scalibr');
const haveFixtures = existsSync(fixtures) && existsSync(resolve(fixtures, '../govmomi'));
const manifest = JSON.parse(await readFile(join(images, 'manifest.json'), 'utf8')) as Record<string, { size: number; sha256: string }>;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('test-images/vmdk (made by qemu-img, see make.sh)', () => {
  it.each(Object.entries(manifest))('%s reads as its raw contents', async (name, expected) => {
    const disk = await openDisk(join(images, name));
    try {
      expect(disk.size).toBe(expected.size);
      expect(sha256(await readAll(disk))).toBe(expected.sha256);
      expect(disk.info.warnings).toEqual([]);
    } finally {
      await disk.close();
    }
  });

  it('follows a three-disk chain, child first', async () => {
    const disk = await openDisk(join(images, 'chain-grand.vmdk'));
    try {
      const chain = disk.info.chain;
      expect(chain.map((l) => l.createType)).toEqual(['twoGbMaxExtentSparse', 'monolithicSparse', 'monolithicSparse']);
      expect(chain.map((l) => [l.cid, l.parentCid])).toEqual([
        ['44444444', '33333333'],
        ['33333333', '22222222'],
        ['22222222', 'ffffffff'],
      ]);
      expect(disk.parent?.parent?.parent).toBeUndefined();
      expect(disk.info.extents).toEqual([{ access: 'RW', sectorCount: 4096, type: 'SPARSE', file: 'chain-grand-s001.vmdk', format: 'sparse' }]);
      // The child's 0x55 grain over the base's 0xaa, the grandchild's 0x77 over the base's 0x33.
      expect((await disk.read(64 * 1024, 4))[0]).toBe(0x55);
      expect((await disk.read(127 * 1024, 4))[0]).toBe(0x55);
      expect((await disk.read(1056 * 1024, 16 * 1024)).every((b) => b === 0x77)).toBe(true);
      expect((await disk.read(1048576, 1))[0]).toBe(0x33);
      const holes = (await disk.map(0, disk.size)).filter((r) => r.state === 'zero');
      expect(holes).toContainEqual({ offset: 1114112, length: 983040, state: 'zero' });
    } finally {
      await disk.close();
    }
  });

  it('reads random ranges of a chain as slices of the whole', async () => {
    const disk = await openDisk(join(images, 'chain-grand.vmdk'));
    const whole = await readAll(disk);
    await fc.assert(
      fc.asyncProperty(fc.nat(disk.size), fc.nat(300_000), async (offset, length) => {
        const take = Math.min(length, disk.size - offset);
        expectBytes(await disk.read(offset, take), whole.subarray(offset, offset + take));
      }),
      { seed: 11, numRuns: 60 },
    );
    await expectGrtError(() => disk.read(disk.size - 1, 2), 'OUT_OF_RANGE');
    await disk.close();
  });
});

/** One piece of a generated disk: stored in a file (at a sector offset) or a ZERO extent. */
interface Piece {
  sectors: number;
  zero: boolean;
  readOnly: boolean;
  skipSectors: number;
}
const pieceArb: fc.Arbitrary<Piece> = fc.record({
  sectors: fc.integer({ min: 1, max: 40 }),
  zero: fc.boolean(),
  readOnly: fc.boolean(),
  skipSectors: fc.integer({ min: 0, max: 3 }),
});

/** Write a descriptor and its flat files for `pieces`; return its path and the disk's contents. */
async function buildFlatDisk(dir: string, pieces: Piece[], seed: number, names: (i: number) => string) {
  const total = pieces.reduce((s, p) => s + p.sectors, 0) * 512;
  const content = pattern(seed, total);
  const extents: ExtentLine[] = [];
  let at = 0;
  for (const [i, piece] of pieces.entries()) {
    const size = piece.sectors * 512;
    const access = piece.readOnly ? 'RDONLY' : 'RW';
    if (piece.zero) {
      content.fill(0, at, at + size);
      extents.push({ access, sectorCount: piece.sectors, type: 'ZERO' });
    } else {
      const file = names(i);
      const bytes = new Uint8Array(piece.skipSectors * 512 + size).fill(0xdd);
      bytes.set(content.subarray(at, at + size), piece.skipSectors * 512);
      await writeFile(join(dir, file), bytes);
      extents.push({ access, sectorCount: piece.sectors, type: i % 2 ? 'VMFS' : 'FLAT', file, sectorOffset: piece.skipSectors });
    }
    at += size;
  }
  const path = join(dir, 'disk.vmdk');
  await writeFile(path, writeDescriptor({ createType: 'twoGbMaxExtentFlat', extents }));
  return { path, content };
}

describe('flat, split and zero extents', () => {
  it('reads random ranges of generated multi-extent disks as their contents', () =>
    withTempDir(async (dir) => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(pieceArb, { minLength: 1, maxLength: 6 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 8 }), async (pieces, ranges) => {
          const sub = join(dir, `run${run++}`);
          await mkdir(sub);
          const { path, content } = await buildFlatDisk(sub, pieces, run, (i) => `disk "${i}" é-f00${i}.vmdk`);
          const disk = await openDisk(path);
          try {
            expect(disk.size).toBe(content.length);
            expectBytes(await readAll(disk), content);
            for (const [a, b] of ranges) {
              const offset = a % content.length;
              const length = b % (content.length - offset + 1);
              expectBytes(await disk.read(offset, length), content.subarray(offset, offset + length));
            }
            const map = await disk.map(0, disk.size);
            expect(map.reduce((s, r) => s + r.length, 0)).toBe(disk.size);
            for (const r of map.filter((r) => r.state === 'zero')) expect(content.subarray(r.offset, r.offset + r.length).every((b) => b === 0)).toBe(true);
            expect(disk.info.extents.map((e) => e.access)).toEqual(pieces.map((p) => (p.readOnly ? 'RDONLY' : 'RW')));
          } finally {
            await disk.close();
          }
        }),
        { seed: 2024, numRuns: 40 },
      );
    }));

  it('refuses extent names that leave the directory unless allowed', () =>
    withTempDir(async (dir) => {
      await mkdir(join(dir, 'vm/sub'), { recursive: true });
      await writeFile(join(dir, 'outside.bin'), pattern(5, 1024));
      await writeFile(join(dir, 'vm/sub/inside.bin'), pattern(6, 1024));
      const write = (file: string) => writeFile(join(dir, 'vm/d.vmdk'), writeDescriptor({ extents: [{ access: 'RW', sectorCount: 2, type: 'FLAT', file, sectorOffset: 0 }] }));
      for (const bad of ['../outside.bin', join(dir, 'outside.bin'), 'sub/../../outside.bin', 'sub\\..\\..\\outside.bin', 'C:\\VMs\\outside.bin', '\\\\server\\share\\x.bin']) {
        await write(bad);
        await expectGrtError(() => openDisk(join(dir, 'vm/d.vmdk')), 'UNSAFE_PATH');
      }
      await write('../outside.bin');
      const allowed = await openDisk(join(dir, 'vm/d.vmdk'), { allowUnsafeExtentPaths: true });
      expect(await allowed.read(0, 1024)).toEqual(pattern(5, 1024));
      await allowed.close();
      await write('sub/inside.bin');
      const inside = await openDisk(join(dir, 'vm/d.vmdk'));
      expect(await inside.read(0, 1024)).toEqual(pattern(6, 1024));
      await inside.close();
      // A link inside the directory that leads out of it is refused too; one that stays inside is not.
      await symlink(join(dir, 'outside.bin'), join(dir, 'vm/escape.bin'));
      await symlink(join(dir, 'vm/sub/inside.bin'), join(dir, 'vm/alias.bin'));
      await write('escape.bin');
      await expectGrtError(() => openDisk(join(dir, 'vm/d.vmdk')), 'UNSAFE_PATH');
      const linked = await openDisk(join(dir, 'vm/d.vmdk'), { allowUnsafeExtentPaths: true });
      expect(await linked.read(0, 1024)).toEqual(pattern(5, 1024));
      await linked.close();
      await write('alias.bin');
      const alias = await openDisk(join(dir, 'vm/d.vmdk'));
      expect(await alias.read(0, 1024)).toEqual(pattern(6, 1024));
      await alias.close();
    }));

  it('names a missing extent file, a short flat file, NOACCESS and raw-device extents clearly', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'd.vmdk');
      await writeFile(path, writeDescriptor({ extents: [{ access: 'RW', sectorCount: 8, type: 'FLAT', file: 'gone-flat.vmdk', sectorOffset: 0 }] }));
      const missing = await expectGrtError(() => openDisk(path), 'NOT_FOUND');
      expect(missing.message).toContain('gone-flat.vmdk');

      await writeFile(join(dir, 'short-flat.vmdk'), pattern(7, 3 * 512));
      await writeFile(path, writeDescriptor({ extents: [{ access: 'RW', sectorCount: 8, type: 'FLAT', file: 'short-flat.vmdk', sectorOffset: 1 }] }));
      const short = await openDisk(path);
      expect(short.info.warnings.map((w) => w.code)).toEqual(['MISSING_DATA']);
      expect(await short.read(0, 1024)).toEqual(pattern(7, 1536).subarray(512));
      const error = await expectGrtError(() => short.read(1000, 100), 'MISSING_DATA');
      expect(error.message).toContain('sector 2');
      await short.close();

      await writeFile(path, writeDescriptor({ extents: [{ access: 'RW', sectorCount: 2, type: 'ZERO' }, { access: 'NOACCESS', sectorCount: 2, type: 'FLAT', file: 'absent.vmdk', sectorOffset: 0 }] }));
      const noAccess = await openDisk(path);
      expect(await noAccess.read(0, 1024)).toEqual(new Uint8Array(1024));
      // The read reaches the NOACCESS extent at its first byte, disk byte 1024.
      expect(await expectGrtError(() => noAccess.read(1000, 100), 'MISSING_DATA')).toMatchObject({ offset: 1024, space: 'disk' });
      await noAccess.close();

      await writeFile(join(dir, 'rdm.vmdk'), 'x');
      await writeFile(path, writeDescriptor({ createType: 'vmfsPassthroughRawDeviceMap', extents: [{ access: 'RW', sectorCount: 2, type: 'VMFSRDM', file: 'rdm.vmdk' }] }));
      await expectGrtError(() => openDisk(path), 'UNSUPPORTED');
    }));

  it('lays out a 1 TiB ZERO extent without per-sector work', () =>
    withTempDir(async (dir) => {
      await writeFile(join(dir, 'tail-flat.vmdk'), pattern(9, 4096));
      const path = join(dir, 'big.vmdk');
      await writeFile(path, writeDescriptor({ extents: [{ access: 'RW', sectorCount: 2 ** 31, type: 'ZERO' }, { access: 'RW', sectorCount: 8, type: 'FLAT', file: 'tail-flat.vmdk', sectorOffset: 0 }] }));
      const disk = await openDisk(path);
      expect(disk.size).toBe(2 ** 40 + 4096);
      expect(await disk.read(2 ** 40 - 2, 6)).toEqual(Uint8Array.from([0, 0, ...pattern(9, 4)]));
      expect(await disk.map(0, disk.size)).toEqual([
        { offset: 0, length: 2 ** 40, state: 'zero' },
        { offset: 2 ** 40, length: 4096, state: 'data' },
      ]);
      await disk.close();
    }));

  it('opens any other file as a raw image', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'disk.img');
      await writeFile(path, pattern(3, 5000));
      const disk = await openDisk(path);
      expect(disk.info).toMatchObject({ format: 'raw', capacity: 5000, chain: [{ path }] });
      expect(await disk.read(4000, 1000)).toEqual(pattern(3, 5000).subarray(4000));
      await expectGrtError(() => disk.read(4999, 2), 'OUT_OF_RANGE');
      await disk.close();
      await expectGrtError(() => openDisk(join(dir, 'nothing.img')), 'NOT_FOUND');
    }));

  it('opens an extent named in Shift_JIS by its decoded name', () =>
    withTempDir(async (dir) => {
      await writeFile(join(dir, 'テスト表-flat.vmdk'), pattern(14, 1024));
      const name = [0x83, 0x65, 0x83, 0x58, 0x83, 0x67, 0x95, 0x5c];
      const text = Buffer.concat([Buffer.from('encoding="Shift_JIS"\nRW 2 FLAT "'), Buffer.from(name), Buffer.from('-flat.vmdk" 0\n')]);
      await writeFile(join(dir, 'd.vmdk'), text);
      const disk = await openDisk(join(dir, 'd.vmdk'));
      expect(disk.info.encoding).toBe('Shift_JIS');
      expect(disk.info.extents[0]!.file).toBe('テスト表-flat.vmdk');
      expectBytes(await disk.read(0, 1024), pattern(14, 1024));
      await disk.close();
    }));

  it('reads a lone flat extent as raw, and a raw image whose first sector is text', () =>
    withTempDir(async (dir) => {
      const flat = join(dir, 'web01-flat.vmdk');
      await writeFile(flat, pattern(13, 4096));
      const lone = await openDisk(flat);
      expect(lone.info.format).toBe('raw');
      expect(lone.info.warnings.map((w) => w.code)).toEqual(['UNSUPPORTED']);
      expectBytes(await lone.read(0, 4096), pattern(13, 4096));
      await lone.close();
      const img = join(dir, 'notes.img');
      await writeFile(img, Buffer.concat([Buffer.from('title = a disk that begins with text\n' + 'x'.repeat(1000)), Buffer.from([0, 1, 2])]));
      const text = await openDisk(img);
      expect(text.info).toMatchObject({ format: 'raw', capacity: 1040 });
      expect(text.info.warnings.map((w) => w.code)).toEqual(['BAD_DESCRIPTOR']);
      await text.close();
    }));

  it('reads a lone flat extent whose first sector is zeros as raw, at any size', () =>
    withTempDir(async (dir) => {
      // An unpartitioned disk holding ext4 starts with 1024 zero bytes: no descriptor, whatever its size.
      for (const size of [4096, MAX_DESCRIPTOR_BYTES + 4096]) {
        const flat = join(dir, `lone${size}-flat.vmdk`);
        const content = new Uint8Array(size);
        content.set(pattern(21, 1000), 1024);
        await writeFile(flat, content);
        const lone = await openDisk(flat);
        expect(lone.info).toMatchObject({ format: 'raw', capacity: size });
        expect(lone.info.warnings.map((w) => w.code)).toEqual(['UNSUPPORTED']);
        expectBytes(await lone.read(1024, 1000), pattern(21, 1000));
        await lone.close();
      }
    }));

  it('refuses bad options with USAGE', async () => {
    const path = join(images, 'flat.vmdk');
    await expectGrtError(() => openDisk(path, { maxChainDepth: 0 }), 'USAGE');
    await expectGrtError(() => openDisk(path, { maxChainDepth: Number.NaN }), 'USAGE');
    await expectGrtError(() => openDisk(path, { cache: { blockSize: 1000 } }), 'USAGE');
    await expectGrtError(() => openDisk(path, { cache: { maxBlocks: -1 } }), 'USAGE');
  });

  it('keeps a bounded number of extent files open on a disk of 300 extents', () =>
    withTempDir(async (dir) => {
      const pieces = Array.from({ length: 300 }, (_, i): Piece => ({ sectors: 1 + (i % 3), zero: false, readOnly: false, skipSectors: i % 2 }));
      const { path, content } = await buildFlatDisk(dir, pieces, 17, (i) => `big-s${String(i).padStart(3, '0')}.vmdk`);
      const openFds = () => (existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : 0);
      const before = openFds();
      const disk = await openDisk(path);
      expect(openFds() - before).toBeLessThanOrEqual(MAX_OPEN_EXTENT_FILES + 2);
      expectBytes(await disk.read(0, disk.size), content);
      for (let i = 0; i < 50; i++) {
        const offset = (i * 7919 * 512) % (disk.size - 2048);
        expectBytes(await disk.read(offset, 2048), content.subarray(offset, offset + 2048));
      }
      expect(openFds() - before).toBeLessThanOrEqual(MAX_OPEN_EXTENT_FILES + 2);
      await disk.close();
      expect(openFds()).toBeLessThanOrEqual(before);
      await expectGrtError(() => disk.read(0, 1), 'IO_ERROR');
    }));

  it('damaged descriptors fail to open only with GrtError', () =>
    withTempDir(async (dir) => {
      const { path } = await buildFlatDisk(dir, [{ sectors: 4, zero: false, readOnly: false, skipSectors: 1 }, { sectors: 2, zero: true, readOnly: true, skipSectors: 0 }], 1, (i) => `p${i}.vmdk`);
      const text = await readFile(path);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.nat(text.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (edits) => {
          const damaged = Uint8Array.from(text);
          for (const [at, value] of edits) damaged[at] = value;
          await writeFile(path, damaged);
          await openAndReadAllOrGrtError(path);
        }),
        { seed: 99, numRuns: 150 },
      );
    }));
});

describe.skipIf(!haveFixtures)('osv-scalibr fixtures (../shared/fixtures)', () => {
  it('opens a renamed monolithicSparse through itself, not its stale extent name', async () => {
    const path = join(fixtures, 'valid-ext-exfat-fat32-ntfs.vmdk');
    const disk = await openDisk(path);
    try {
      expect(disk.size).toBe(256 * 1024 * 1024);
      expect(disk.info).toMatchObject({ format: 'vmdk', createType: 'monolithicSparse', cid: '1a44c371', parentCid: 'ffffffff' });
      expect(disk.info.extents).toEqual([{ access: 'RW', sectorCount: 524288, type: 'SPARSE', file: 'valid-ext-exfat-fat32-ntfs.vmdk', format: 'sparse' }]);
      // A protective MBR, then the GPT header at LBA 1.
      const head = await disk.read(0, 1024);
      expect(head[510]).toBe(0x55);
      expect(head[511]).toBe(0xaa);
      expect(new TextDecoder().decode(head.subarray(512, 520))).toBe('EFI PART');
    } finally {
      await disk.close();
    }
  });

  it('opens the cut-off govmomi streamOptimized export with warnings and fails cleanly past the cut', async () => {
    const disk = await openDisk(resolve(fixtures, '../govmomi/ttylinux-pc_i486-16.1-disk1.vmdk'));
    try {
      expect(disk.info).toMatchObject({ createType: 'streamOptimized', extents: [{ access: 'RDONLY', format: 'streamOptimized' }] });
      expect(disk.info.warnings.map((w) => w.code)).toContain('MISSING_DATA');
      expect((await disk.read(0, 512))[510]).toBe(0x55);
      await expectGrtError(() => disk.read(0, disk.size), 'MISSING_DATA');
    } finally {
      await disk.close();
    }
  });

  it('refuses invalid.vmdk with one line', async () => {
    const error = await expectGrtError(() => openDisk(join(fixtures, 'invalid.vmdk')), 'BAD_DESCRIPTOR');
    expect(error.code).toBe('BAD_DESCRIPTOR');
    expect(error.message).toMatch(/invalid\.vmdk$/);
  });
});

if (!haveFixtures) console.warn(`vmdk-disk: ${fixtures} is absent; real-world fixture tests skipped`);

