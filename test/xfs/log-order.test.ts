/**
 * Which log items replay: a v5 block or inode already at or past a transaction's LSN keeps what it
 * has (the kernel's xlog_recover_get_buf_lsn, xlog_recover_inode_commit_pass2), as does a v4 inode
 * whose di_flushiter is past the logged one; and logs written by big-endian hosts, or with an
 * h_fmt that does not say the order, decode by their magics.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { xfsCrcWrite } from '../../src/fs/xfs/crc32c.js';
import { bufferLsn } from '../../src/fs/xfs/log/buffer-lsn.js';
import { parseSuperblock } from '../../src/fs/xfs/superblock.js';
import { inodeItem, logCore } from './log-builder.js';
import { fixture, hasTool, renamed, replayed, V4, V5, type Fixture } from './log-fixture.js';
import { manifest, volumeBytes } from './xfs-images.js';

/** The builder's first record is at block 2 of cycle 1: every transaction below has that LSN. */
const LSN = { cycle: 1, block: 2 };
const XDB3_LSN = 16;
const XDB3_UUID = 24;
const XDB3_CRC = 4;
const DI_LSN = 112;
const DI_CRC = 100;
const DI_FLUSHITER = 30;

/** The fixture's bytes with the directory block stamped with `lsn` (and its CRC resealed). */
function stampDirBlock(f: Fixture, lsn: { cycle: number; block: number }, foreignUuid = false): Uint8Array {
  const bytes = f.bytes.slice();
  const block = bytes.subarray(f.blockByte, f.blockByte + f.sb.dirBlockSize);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  expect(view.getUint32(0)).toBe(0x58444233); // XDB3
  view.setUint32(XDB3_LSN, lsn.cycle);
  view.setUint32(XDB3_LSN + 4, lsn.block);
  if (foreignUuid) block[XDB3_UUID] ^= 0xff;
  xfsCrcWrite(block, XDB3_CRC);
  return bytes;
}

function stampInode(f: Fixture, lsn: { cycle: number; block: number }): Uint8Array {
  const bytes = f.bytes.slice();
  const view = new DataView(bytes.buffer, f.inodeByte, f.sb.inodeSize);
  view.setUint32(DI_LSN, lsn.cycle);
  view.setUint32(DI_LSN + 4, lsn.block);
  xfsCrcWrite(bytes.subarray(f.inodeByte, f.inodeByte + f.sb.inodeSize), DI_CRC);
  return bytes;
}

describe('LSN order on a v5 volume', () => {
  it.each([
    ['older than the transaction', { cycle: 1, block: 1 }, false, true],
    ['at the transaction', LSN, false, false],
    ['past the transaction', { cycle: 2, block: 0 }, false, false],
    ['past the transaction but of another file system', { cycle: 2, block: 0 }, true, true],
  ])('a directory block stamped %s (%o, foreign uuid: %s) is replayed: %s', async (_, lsn, foreignUuid, expected) => {
    const f = await fixture(V5);
    const { names, fs } = await replayed(f, [{ tid: 1, items: [f.rename] }], {}, stampDirBlock(f, lsn, foreignUuid));
    expect(renamed(names)).toBe(expected);
    expect(fs.info.logReplayed).toBe(1);
  });

  it.each([
    ['older than the transaction', { cycle: 1, block: 1 }, 4242],
    ['at the transaction (checkpoints may share a start LSN)', LSN, 4242],
    ['past the transaction', { cycle: 1, block: 3 }, 1000],
  ])('an inode stamped %s (%o) gets uid %i', async (_, lsn, uid) => {
    const f = await fixture(V5);
    const result = await replayed(f, [{ tid: 1, items: [f.chown] }], {}, stampInode(f, lsn));
    expect(result.uid).toBe(uid);
    expect(result.fs.warnings.map((w) => w.code)).toEqual(['LOG_REPLAYED']);
  });
});

describe('di_flushiter order on a v4 volume', () => {
  it.each([
    ['behind the disk', 5, 3, 1000],
    ['equal to the disk', 5, 5, 4242],
    ['past the disk', 5, 9, 4242],
    ['behind a disk count that wrapped at DI_MAX_FLUSH', 0xffff, 2, 4242],
  ])('a logged inode %s (disk %i, logged %i) gets uid %i', async (_, onDisk, logged, uid) => {
    const f = await fixture(V4);
    const number = manifest.volumes.find((v) => v.file === V4)!.inodes['/hello.txt']!;
    const bytes = f.bytes.slice();
    new DataView(bytes.buffer, f.inodeByte).setUint16(DI_FLUSHITER, onDisk);
    const core = bytes.slice(f.inodeByte, f.inodeByte + f.sb.inodeSize);
    const view = new DataView(core.buffer);
    view.setUint32(8, 4242);
    view.setUint16(DI_FLUSHITER, logged);
    const item = inodeItem(f.sb, number, f.inodeByte, logCore(core));
    const result = await replayed(f, [{ tid: 1, items: [item] }], {}, bytes);
    expect(result.uid).toBe(uid);
  });
});

describe.each([V5, V4])('log byte order on %s', (file) => {
  it('replays a big-endian host’s log (h_fmt XLOG_FMT_LINUX_BE, items and inode core big-endian)', async () => {
    const f = await fixture(file, false);
    const { fs, names, uid } = await replayed(f, [{ tid: 3, items: [f.chown, f.rename] }], { bigEndianHost: true });
    expect([renamed(names), uid, fs.info.logReplayed]).toEqual([true, 4242, 1]);
    expect(fs.warnings.map((w) => w.code)).toEqual(['LOG_REPLAYED']);
  });

  it.each([[true], [false]])('reads the order from the magics when h_fmt says none (little-endian host: %s)', async (littleEndian) => {
    const f = await fixture(file, littleEndian);
    const { names, uid } = await replayed(f, [{ tid: 3, items: [f.chown, f.rename] }], { bigEndianHost: !littleEndian, format: 0 });
    expect([renamed(names), uid]).toEqual([true, 4242]);
  });

  it('skips an inode item whose core reads as neither order, with a warning, and replays the rest', async () => {
    const f = await fixture(file);
    const chown = f.chown.map((region) => region.slice());
    chown[1]![0] = 0x58; // di_magic 'IN' → 'XN'
    const { fs, names, uid } = await replayed(f, [{ tid: 3, items: [chown, f.rename] }]);
    expect([renamed(names), uid]).toEqual([true, 1000]);
    expect(fs.warnings.map((w) => w.code)).toEqual(['LOG_REPLAYED', 'LOG_INCOMPLETE']);
    expect(fs.warnings[1]!.message).toContain('inode item with a core in neither byte order');
  });
});

/** Each v5 header kind with an LSN: how xfs_db reaches one in the committed volume, and its lsn field's name there. */
const HEADER_KINDS: readonly (readonly [string, string[], string])[] = [
  ['superblock', ['sb 0'], 'lsn'],
  ['AGF', ['agf 0'], 'lsn'],
  ['AGI', ['agi 0'], 'lsn'],
  ['AGFL', ['agfl 0'], 'lsn'],
  ['inode B+tree', ['agi 0', 'addr root'], 'lsn'],
  ['free inode B+tree', ['agi 0', 'addr free_root'], 'lsn'],
  ['free space by block', ['agf 0', 'addr bnoroot'], 'lsn'],
  ['free space by count', ['agf 0', 'addr cntroot'], 'lsn'],
  ['bmap B+tree', ['inode 2390', 'addr u3.bmbt.ptrs[1]'], 'lsn'],
  ['dir3 block', ['inode 76610', 'dblock 0'], 'bhdr.hdr.lsn'],
  ['dir3 data', ['inode 141', 'dblock 0'], 'dhdr.hdr.lsn'],
  ['dir3 leaf1', ['inode 141', 'dblock 8388608'], 'lhdr.info.lsn'],
  ['da3 node', ['inode 76641', 'dblock 8388608'], 'nhdr.info.lsn'],
  ['dir3 free', ['inode 76641', 'dblock 16777216'], 'fhdr.hdr.lsn'],
  ['attr3 leaf', ['inode 76609', 'ablock 0'], 'hdr.info.lsn'],
];

describe.runIf(hasTool('xfs_db'))('xfs_db as the oracle of the LSN offsets (xfsprogs installed)', () => {
  it('reads the LSN xfs_db writes into each v5 header kind', () => {
    const f = volumeBytes(V5);
    const sb = parseSuperblock(f, f.length);
    const dir = mkdtempSync(join(tmpdir(), 'grt-xfs-lsn-'));
    try {
      const image = join(dir, 'v5.img');
      writeFileSync(image, f);
      const daddrs = HEADER_KINDS.map(([, navigation, field], i) => {
        const commands = [...navigation, `write ${field} 0x${(0x700000000 + i).toString(16)}`, 'daddr'].flatMap((c) => ['-c', c]);
        const out = execFileSync('xfs_db', ['-x', ...commands, image], { encoding: 'utf-8' });
        return Number(/current daddr is (\d+)/.exec(out)![1]);
      });
      const written = readFileSync(image);
      const found = HEADER_KINDS.map(([name], i) => [name, bufferLsn(written.subarray(daddrs[i]! * 512, daddrs[i]! * 512 + sb.blockSize), 0, sb)]);
      expect(found).toEqual(HEADER_KINDS.map(([name], i) => [name, { cycle: 7, block: i }]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
