/**
 * CRC-32C on every v5 metadata block the reader uses, checked by flipping a byte no reader looks
 * at (an LSN or spare field) in copies of the committed volume: the data still reads, and the
 * block is named in one BAD_CHECKSUM warning, however often it is read.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import { forkExtents } from '../../src/fs/xfs/bmap.js';
import { xfsCrcWrite } from '../../src/fs/xfs/crc32c.js';
import { fsBlockToByte, inodeToByte, parseSuperblock } from '../../src/fs/xfs/superblock.js';
import { openXfs, type XfsFileSystem } from '../../src/fs/xfs/volume.js';
import { manifest, volumeBytes } from './xfs-images.js';

const V5 = 'v5-4k.img.gz';
const volume = manifest.volumes.find((v) => v.file === V5)!;

async function open(bytes: Uint8Array): Promise<XfsFileSystem> {
  return openXfs(new MemorySource(bytes, 'damaged'));
}

/** The committed volume and the byte offsets of a few of its metadata blocks. */
async function layout(): Promise<{ bytes: Uint8Array; bmapBlock: number; attrLeaf: number; attrRemote: number }> {
  const bytes = volumeBytes(V5);
  const sb = parseSuperblock(bytes, bytes.length);
  const fs = await open(bytes.slice());
  const btreeDir = await fs.volume.readInode(volume.inodes['/btreedir']!);
  // The bmap root in the inode points at the B+tree's one leaf block.
  const root = new DataView(btreeDir.dataFork.bytes.buffer, btreeDir.dataFork.bytes.byteOffset);
  const maxRecords = Math.floor((btreeDir.dataFork.bytes.length - 4) / 16);
  const bmapBlock = fsBlockToByte(sb, Number(root.getBigUint64(4 + maxRecords * 8)));
  const small = await fs.volume.readInode(volume.inodes['/sub/small.bin']!);
  const attrExtents = await forkExtents(sb, small.attrFork!, (b) => fs.volume.block(b), []);
  const blocks = attrExtents.flatMap((e) => Array.from({ length: e.blockCount }, (_, i) => fsBlockToByte(sb, e.fsBlock + i)));
  const magicAt = (at: number, offset: number, length: number): number => Buffer.from(bytes.subarray(at + offset, at + offset + length)).readUIntBE(0, length);
  return {
    bytes, bmapBlock,
    attrLeaf: blocks.find((at) => magicAt(at, 8, 2) === 0x3bee)!,
    attrRemote: blocks.find((at) => magicAt(at, 0, 4) === 0x5841524d)!,
  };
}

function checksumWarnings(fs: XfsFileSystem, more: readonly { code: string; message: string }[] = []): string[] {
  return [...fs.warnings, ...more].filter((w) => w.code === 'BAD_CHECKSUM').map((w) => w.message);
}

describe('v5 metadata CRCs', () => {
  it('a bmap B+tree block: the directory lists in full, one warning for two reads', async () => {
    const { bytes, bmapBlock } = await layout();
    bytes[bmapBlock + 32]! ^= 0xff; // bb_lsn
    const fs = await open(bytes);
    const expected = manifest.entries.filter((e) => e.path.startsWith('/btreedir/')).length;
    expect((await fs.readDir('/btreedir')).length).toBe(expected);
    await fs.volume.extents(await fs.volume.readInode(volume.inodes['/btreedir']!), fs.volume.warnings);
    expect(checksumWarnings(fs)).toEqual([expect.stringMatching(/bmap btree block \d+: CRC mismatch/)]);
  });

  it('attribute leaf and remote value blocks: the values still read', async () => {
    const { bytes, attrLeaf, attrRemote } = await layout();
    bytes[attrLeaf + 24]! ^= 0xff; // xfs_da3_blkinfo.lsn
    bytes[attrRemote + 48]! ^= 0xff; // xfs_attr3_rmt_hdr.rm_lsn
    const fs = await open(bytes);
    const xattrs = await fs.xattrs('/sub/small.bin');
    expect(xattrs.find((x) => x.name === 'user.remote')?.value.length).toBe(5000);
    await fs.xattrs('/sub/small.bin');
    expect(checksumWarnings(fs)).toEqual([expect.stringMatching(/attribute leaf\/node block/), expect.stringMatching(/attribute remote value block/)]);
  });

  it('an AGF and an AGI in a later AG are volume warnings', async () => {
    const bytes = volumeBytes(V5);
    const sb = parseSuperblock(bytes, bytes.length);
    const ag1 = sb.agBlocks * sb.blockSize;
    bytes[ag1 + sb.sectorSize + 100]! ^= 0xff; // agf_spare64
    bytes[ag1 + 2 * sb.sectorSize + 400]! ^= 0xff; // past the AGI's fields, inside its sector
    expect(checksumWarnings(await open(bytes))).toEqual(['XFS AG 1: AGF CRC mismatch', 'XFS AG 1: AGI CRC mismatch']);
  });

  it('a remote symlink block: the target still reads, with a warning on the entry', async () => {
    const { bytes, blockByte } = remoteSymlink();
    const clean = await (await open(bytes.slice())).stat('/long-link');
    expect([clean.target, clean.warnings]).toEqual([LONG_TARGET, []]);
    bytes[blockByte + 48]! ^= 0xff; // sl_lsn
    const fs = await open(bytes);
    const damaged = await fs.stat('/long-link');
    expect(damaged.target).toBe(LONG_TARGET);
    expect(checksumWarnings(fs, damaged.warnings)).toEqual([expect.stringMatching(/remote symlink.*CRC mismatch/)]);
  });
});

const LONG_TARGET = manifest.entries.find((e) => e.path === '/long-link')!.target!;
/** xfs_dsymlink_hdr (xfs_format.h): magic, offset, bytes, crc, owner, uuid, blkno, lsn. */
const SYMLINK_HEADER = 56;

/**
 * The committed volume with /long-link (local in its 512-byte inode) turned into a remote
 * symlink as mkfs would write one too long for the inode: one extent, in a block of big.bin
 * that this test does not read, holding an XSLM header and the target (xfs_symlink_remote.c).
 */
function remoteSymlink(): { bytes: Uint8Array; blockByte: number } {
  const bytes = volumeBytes(V5);
  const sb = parseSuperblock(bytes, bytes.length);
  const bigBin = manifest.volumes.find((v) => v.file === V5)!.inodes['/big.bin']!;
  const bigInode = inodeToByte(sb, bigBin);
  const extent = new DataView(bytes.buffer, bigInode + 176, 16);
  const fsBlock = Number(((extent.getBigUint64(0) & 0x1ffn) << 43n) | (extent.getBigUint64(8) >> 21n));
  const blockByte = fsBlockToByte(sb, fsBlock);
  const target = new TextEncoder().encode(LONG_TARGET);
  const block = bytes.subarray(blockByte, blockByte + sb.blockSize);
  block.fill(0);
  const header = new DataView(block.buffer, block.byteOffset, SYMLINK_HEADER);
  const number = volume.inodes['/long-link']!;
  header.setUint32(0, 0x58534c4d);
  header.setUint32(8, target.length);
  header.setBigUint64(16, BigInt(number));
  block.set(bytes.subarray(32, 48), 24); // sl_uuid: sb_uuid
  header.setBigUint64(40, BigInt(blockByte / 512));
  block.set(target, SYMLINK_HEADER);
  xfsCrcWrite(block, 12);
  const inodeByte = inodeToByte(sb, number);
  const inode = new DataView(bytes.buffer, inodeByte, sb.inodeSize);
  inode.setUint8(5, 2); // di_format: extents
  inode.setBigUint64(64, 1n); // di_nblocks
  inode.setUint32(76, 1); // di_nextents
  bytes.fill(0, inodeByte + 176, inodeByte + sb.inodeSize);
  // One bmbt_rec: file block 0, the block above, one block long.
  inode.setBigUint64(176, BigInt(fsBlock) >> 43n);
  inode.setBigUint64(184, (BigInt(fsBlock) << 21n) | 1n);
  xfsCrcWrite(bytes.subarray(inodeByte, inodeByte + sb.inodeSize), 100);
  return { bytes, blockByte };
}
