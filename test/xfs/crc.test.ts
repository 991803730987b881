/**
 * CRC-32C on every v5 metadata block the reader uses, checked by flipping a byte no reader looks
 * at (an LSN or spare field) in copies of the committed volume: the data still reads, and the
 * block is named in one BAD_CHECKSUM warning, however often it is read.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import { forkExtents } from '../../src/fs/xfs/bmap.js';
import { fsBlockToByte, parseSuperblock } from '../../src/fs/xfs/superblock.js';
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
});
