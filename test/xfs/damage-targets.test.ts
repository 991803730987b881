/**
 * Damage aimed at each structure issue 17 names, in copies of the committed volumes: the
 * superblock, the AG headers, bmap B+trees (and extents past their AG), every directory format
 * (short form, block, leaf, node, B+tree) and attribute forks (short form, leaf with a remote
 * value, node). A reader of the damaged structure gets entries, warnings or a GrtError, never
 * another exception; AG headers, which grt only checks, give warnings and nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGrtError } from '../../src/errors.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { forkExtents } from '../../src/fs/xfs/bmap.js';
import { fsBlockToByte, inodeToByte, parseSuperblock } from '../../src/fs/xfs/superblock.js';
import { openXfs, type XfsFileSystem } from '../../src/fs/xfs/volume.js';
import { manifest, volumeBytes } from './xfs-images.js';

const FILES = ['v5-4k.img.gz', 'v4-1k.img.gz'];
/** Bytes of one structure a case may damage: a node or B+tree directory's first blocks suffice. */
const MAX_REGION = 64 * 1024;

interface Target {
  name: string;
  /** Byte ranges of the structure in the volume. */
  regions: { start: number; length: number }[];
  /** What a reader does with it. */
  read(fs: XfsFileSystem): Promise<unknown>;
}

interface Volume {
  bytes: Uint8Array;
  targets: Target[];
}

async function blocksOf(fs: XfsFileSystem, path: string, fork: 'data' | 'attr'): Promise<{ start: number; length: number }[]> {
  const { sb } = fs.volume;
  const inode = await fs.volume.readInode((await fs.stat(path)).id.record);
  const regions = [{ start: inodeToByte(sb, inode.number), length: sb.inodeSize }];
  const mapped = fork === 'data' ? inode.dataFork : inode.attrFork;
  // A short-form fork lives in the inode: its region is the inode's.
  if (!mapped || (mapped.format !== 'extents' && mapped.format !== 'btree')) return regions;
  const extents = await forkExtents(sb, mapped, (b) => fs.volume.block(b), []);
  let total = 0;
  for (const extent of extents) {
    const length = Math.min(extent.blockCount * sb.blockSize, MAX_REGION - total);
    if (length <= 0) break;
    regions.push({ start: fsBlockToByte(sb, extent.fsBlock), length });
    total += length;
  }
  return regions;
}

const listDir = (path: string) => async (fs: XfsFileSystem) => {
  for (const entry of await fs.readDir(path)) if (entry.name.endsWith('1')) await fs.stat(`${path}/${entry.name}`);
};

async function volume(file: string): Promise<Volume> {
  const bytes = volumeBytes(file);
  const fs = await openXfs(new MemorySource(bytes.slice(), file));
  const targets: Target[] = [{ name: 'superblock', regions: [{ start: 0, length: 512 }], read: listDir('/') }];
  for (const dir of ['/sub', '/blockdir', '/leafdir', '/nodedir', '/btreedir']) targets.push({ name: `directory ${dir}`, regions: await blocksOf(fs, dir, 'data'), read: listDir(dir) });
  for (const path of ['/hello.txt', '/sub/small.bin', '/blockdir']) targets.push({ name: `attribute fork of ${path}`, regions: await blocksOf(fs, path, 'attr'), read: (f) => f.xattrs(path) });
  targets.push({ name: 'extents of /big.bin', regions: await blocksOf(fs, '/big.bin', 'data').then((r) => r.slice(0, 1)), read: async (f) => (await f.openStream('/big.bin')).read(0, 65536) });
  return { bytes, targets };
}

/**
 * Runs `read` on `bytes` with `places` set, then puts the bytes back: copying a 48 MiB volume per
 * case would cost more than the case (the reader never writes to its source).
 */
async function withDamage(bytes: Uint8Array, places: readonly (readonly [number, number])[], read: (damaged: Uint8Array) => Promise<void>): Promise<void> {
  const saved = places.map(([at]) => [at, bytes[at]!] as const).reverse();
  for (const [at, value] of places) bytes[at] = value;
  try {
    await read(bytes);
  } finally {
    for (const [at, value] of saved) bytes[at] = value;
  }
}

describe.each(FILES)('damage aimed at each structure of %s', (file) => {
  it('ends in entries, warnings or GrtErrors only (property)', async () => {
    const { bytes, targets } = await volume(file);
    await fc.assert(
      fc.asyncProperty(fc.nat(targets.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 12 }), async (which, damage) => {
        const target = targets[which]!;
        const span = target.regions.reduce((n, r) => n + r.length, 0);
        const places = damage.map(([at, value]) => {
          let offset = at % span;
          const region = target.regions.find((r) => (offset < r.length ? true : ((offset -= r.length), false)))!;
          return [region.start + offset, value] as const;
        });
        await withDamage(bytes, places, async (damaged) => {
          try {
            await target.read(await openXfs(new MemorySource(damaged, 'damaged')));
          } catch (error) {
            if (!isGrtError(error)) throw new Error(`${target.name}: ${String(error)}`, { cause: error });
          }
        });
      }),
      { numRuns: 32 },
    );
  }, 120_000);

  it('AG headers (AGF, AGI, AGFL of every AG) are checked, never read: warnings only', async () => {
    const bytes = volumeBytes(file);
    const sb = parseSuperblock(bytes, bytes.length);
    await fc.assert(
      fc.asyncProperty(fc.nat(sb.agCount - 1), fc.array(fc.tuple(fc.nat(3 * sb.sectorSize - 1), fc.nat(255)), { minLength: 1, maxLength: 12 }), async (ag, damage) => {
        const headers = ag * sb.agBlocks * sb.blockSize + sb.sectorSize;
        await withDamage(bytes, damage.map(([at, value]) => [headers + at, value] as const), async (damaged) => {
          const fs = await openXfs(new MemorySource(damaged, 'damaged'));
          expect((await fs.readDir('/')).length).toBeGreaterThan(5);
          expect(fs.warnings.every((w) => ['BAD_MAGIC', 'BAD_CHECKSUM'].includes(w.code))).toBe(true);
        });
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});

describe('extents past their AG', () => {
  it('an extent whose length runs past its AG is a BAD_RECORD at the inode, not another AG’s bytes', async () => {
    const file = 'v5-4k.img.gz';
    const bytes = volumeBytes(file);
    const sb = parseSuperblock(bytes, bytes.length);
    const inodeByte = inodeToByte(sb, manifest.volumes.find((v) => v.file === file)!.inodes['/big.bin']!);
    const view = new DataView(bytes.buffer, inodeByte + 176 + 8, 8); // the first bmbt_rec's low word
    view.setBigUint64(0, (view.getBigUint64(0) & ~0x1fffffn) | BigInt((1 << 21) - 1)); // blockcount: 2^21 - 1
    const fs = await openXfs(new MemorySource(bytes, 'damaged'));
    await expect(fs.openStream('/big.bin')).rejects.toMatchObject({ code: 'BAD_RECORD', offset: inodeByte, space: 'volume' });
  });
});
