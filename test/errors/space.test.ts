/**
 * GrtError.space: a damage error's offset says which address space it counts in — the image file
 * (VMDK headers, grain tables), the virtual disk (partition tables) or the volume (NTFS).
 */
import { describe, expect, it } from 'vitest';
import { GrtError, withPath, type GrtWarning } from '../../src/errors.js';
import { parseBootSector } from '../../src/fs/ntfs/boot-sector.js';
import { parseMftRecord } from '../../src/fs/ntfs/mft-record.js';
import { buildLayout } from '../../src/fs/ntfs/data-stream.js';
import { parseFileName } from '../../src/fs/ntfs/file-name.js';
import { UpcaseTable } from '../../src/fs/ntfs/upcase.js';
import { openWofStream } from '../../src/fs/ntfs/wof.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';
import { decompressLznt1 } from '../../src/codecs/lznt1.js';
import { readPvLabel } from '../../src/volume/lvm/label.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { parseKdmvHeader } from '../../src/vmdk/sparse-header.js';
import { openCowdExtent } from '../../src/vmdk/cowd-extent.js';
import { readGpt } from '../../src/volume/gpt.js';
import { parseDescriptor } from '../../src/vmdk/descriptor.js';
import { openSparseExtent } from '../../src/vmdk/sparse-extent.js';
import { parseVgMetadata } from '../../src/volume/lvm/metadata.js';
import { ExtVolume } from '../../src/fs/ext/ext-volume.js';
import { forkExtents } from '../../src/fs/xfs/bmap.js';
import { fsBlockToByte, inodeToByte, parseSuperblock } from '../../src/fs/xfs/superblock.js';
import { openXfs } from '../../src/fs/xfs/volume.js';
import { parseVmx } from '../../src/vm/vmx.js';
import { parseManifest } from '../../src/vm/ova-manifest.js';
import { TarMemberOpener } from '../../src/io/sources/tar-member.js';
import { openOva } from '../../src/vm/ova.js';
import type { SourceOpener } from '../../src/io/source-opener.js';
import { buildTar } from '../vm/tar-builder.js';
import { writeCowd, writeHostedSparse } from '../builders/vmdk-writer.js';
import { writeLog } from '../xfs/log-builder.js';
import { manifest, volumeBytes } from '../xfs/xfs-images.js';
import { SparseDisk, writePartitionTable } from '../builders/partition-writer.js';

async function caught(run: () => unknown): Promise<GrtError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof GrtError) return error;
    throw error;
  }
  throw new Error('no GrtError thrown');
}

describe('error offsets name their address space', () => {
  it('VMDK extent headers: file', async () => {
    const sector = new Uint8Array(512);
    sector.set([0x4b, 0x44, 0x4d, 0x56, 9]); // "KDMV", version 9
    expect(await caught(() => parseKdmvHeader(sector, 0, 'x.vmdk', []))).toMatchObject({ code: 'UNSUPPORTED', offset: 0, space: 'file' });
    const cowd = writeCowd({ capacity: 1 << 20, content: new Uint8Array(1 << 20) });
    cowd[16] = 0; // grainSize 0
    expect(await caught(() => openCowdExtent(new MemorySource(cowd), { path: 'x-delta.vmdk' }))).toMatchObject({ code: 'BAD_HEADER', offset: 16, space: 'file' });
  });

  it('partition tables: disk', async () => {
    const disk = new SparseDisk(4 << 20);
    writePartitionTable(disk, { scheme: 'gpt', sectorSize: 512, partitions: [{ index: 1, startSector: 2048, sectorCount: 2048, type: 'ebd0a0a2-b9e5-4433-87c0-68b9b7e99c7'.padEnd(36, '0'), name: 'data' }] });
    disk.write(512 + 12, new Uint8Array([10, 0, 0, 0])); // HeaderSize 10, in both headers
    disk.write(disk.size - 512 + 12, new Uint8Array([10, 0, 0, 0]));
    expect(await caught(() => readGpt(disk, 512, []))).toMatchObject({ code: 'BAD_HEADER', offset: 512, space: 'disk' });
  });

  it('NTFS structures: volume, kept by withPath', async () => {
    const boot = new Uint8Array(512);
    expect(await caught(() => parseBootSector(boot, 4096))).toMatchObject({ code: 'BAD_MAGIC', offset: 4096, space: 'volume' });
    const record = new Uint8Array(1024);
    record.set([0x46, 0x49, 0x4c, 0x45]); // "FILE", no update sequence array
    const error = await caught(() => parseMftRecord(record, 7, 65536, 1000));
    expect(error).toMatchObject({ code: 'BAD_RECORD', offset: 65536 + 4, space: 'volume' });
    expect(withPath(error, 'disk.vmdk')).toMatchObject({ offset: 65536 + 4, space: 'volume', path: 'disk.vmdk' });
  });

  it('the message names the space, and a space without an offset is dropped', () => {
    expect(new GrtError('BAD_HEADER', 'x', { offset: 4096, space: 'volume' }).message).toBe('x at byte 4096 of the volume');
    expect(new GrtError('BAD_TABLE', 'x', { offset: 512, space: 'file', path: 'a.vmdk' }).message).toBe('x at byte 512 of the file in a.vmdk');
    expect(new GrtError('BAD_HEADER', 'x', { offset: 7 }).message).toBe('x at byte 7');
    expect(new GrtError('BAD_HEADER', 'x', { space: 'disk' })).toMatchObject({ message: 'x', space: undefined });
  });

  it("NTFS attribute values: the attribute's place in the volume", async () => {
    const name = await caught(() => parseFileName(new Uint8Array(10), 'MFT record 9', 70_000));
    expect(name).toMatchObject({ code: 'BAD_ATTRIBUTE', offset: 70_000, space: 'volume' });
    const extent = { type: 0x80, name: '', flags: 0, id: 0, recordNumber: 9, byteOffset: 70_100, value: null,
      nonResident: { startVcn: 3, lastVcn: 3, compressionUnitExponent: 0, allocatedSize: 4096, dataSize: 4096, initializedSize: 4096, runs: [] } };
    expect(await caught(() => buildLayout([extent], 4096, 'MFT record 9'))).toMatchObject({ code: 'BAD_ATTRIBUTE', offset: 70_100, space: 'volume' });
  });

  it('LVM2 labels: volume (the PV); compressed data: the decoder input', async () => {
    const sector = new Uint8Array(2048);
    sector.set(new TextEncoder().encode('LABELONE'), 512);
    sector.set(new TextEncoder().encode('LVM2 001'), 512 + 24);
    sector[512 + 8] = 7; // names sector 7 while it lies in sector 1
    expect(await caught(() => readPvLabel(new MemorySource(sector)))).toMatchObject({ code: 'BAD_HEADER', offset: 512 + 8, space: 'volume' });
    // One chunk header claiming 4 KiB of compressed data in a 6-byte input.
    expect(await caught(() => decompressLznt1(new Uint8Array([0xff, 0xbf, 1, 2, 3, 4]), 4096))).toMatchObject({ code: 'BAD_COMPRESSED_DATA', space: 'compressed' });
  });

  it('VMDK descriptor lines: the byte where the line starts in the file', async () => {
    const text = '# Disk DescriptorFile\r\nversion=1\nRW 2048 FLAT "a-flat.vmdk" 0\nRW 2048 BOGUS "b.vmdk"\n';
    const lineFour = text.indexOf('RW 2048 BOGUS');
    const bytes = new TextEncoder().encode(text);
    expect(await caught(() => parseDescriptor(bytes, 'a.vmdk'))).toMatchObject({ code: 'BAD_DESCRIPTOR', offset: lineFour, space: 'file', path: 'a.vmdk' });
    // After a byte-order mark, and inside a monolithic file (the embedded descriptor's sector).
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
    expect(await caught(() => parseDescriptor(withBom, 'a.vmdk', 512))).toMatchObject({ offset: 512 + 3 + lineFour, space: 'file' });
    expect(await caught(() => parseDescriptor(new TextEncoder().encode('version=1\n'), 'a.vmdk'))).toMatchObject({ code: 'BAD_DESCRIPTOR', offset: 0, space: 'file' });
  });

  it('hosted sparse grain maps: the damaged table or directory entry in the file', async () => {
    const content = new Uint8Array(4 * 65536).fill(7);
    const image = writeHostedSparse({ capacity: content.length, content, redundantGd: false });
    const view = new DataView(image.buffer);
    const gdSector = Number(view.getBigUint64(56, true));
    const gtSector = view.getUint32(gdSector * 512, true);
    const badGte = image.slice();
    new DataView(badGte.buffer).setUint32(gtSector * 512 + 2 * 4, 0xffff_fff0, true); // grain 2 points past the file
    const opened = await openSparseExtent(new MemorySource(badGte), { path: 'x.vmdk' });
    expect(await caught(() => opened.extent.read(2 * 65536, new Uint8Array(512), async () => undefined))).toMatchObject({ code: 'BAD_TABLE', offset: gtSector * 512 + 8, space: 'file' });
    const badGd = image.slice();
    new DataView(badGd.buffer).setUint32(gdSector * 512, 0xffff_fff0, true); // table 0 lies past the file
    const openedGd = await openSparseExtent(new MemorySource(badGd), { path: 'x.vmdk' });
    expect(await caught(() => openedGd.extent.read(0, new Uint8Array(512), async () => undefined))).toMatchObject({ code: 'BAD_TABLE', offset: gdSector * 512, space: 'file' });
    const noGd = image.slice();
    new DataView(noGd.buffer).setBigUint64(56, 1n << 30n, true); // the directory lies past the file
    expect(await caught(() => openSparseExtent(new MemorySource(noGd), { path: 'x.vmdk' }))).toMatchObject({ code: 'BAD_TABLE', offset: 2 ** 39, space: 'file' });
  });

  it('LVM2 metadata text: where the text starts on the PV', async () => {
    expect(await caught(() => parseVgMetadata('vg0 { extent_size = 8192 ', 4608))).toMatchObject({ code: 'BAD_HEADER', offset: 4608, space: 'volume' });
    expect(await caught(() => parseVgMetadata('a { } b { }', 4608))).toMatchObject({ code: 'BAD_HEADER', offset: 4608, space: 'volume' });
  });

  it('ext: a volume too small for its superblock', async () => {
    expect(await caught(() => ExtVolume.open(new MemorySource(new Uint8Array(1500))))).toMatchObject({ code: 'TRUNCATED', offset: 1024, space: 'volume' });
  });

  it('XFS: attribute blocks, inodes and the log are places in the volume', async () => {
    expect(await caught(() => parseSuperblock(new Uint8Array(100), 100))).toMatchObject({ code: 'TRUNCATED', offset: 0, space: 'volume' });
    const bytes = volumeBytes('v5-4k.img.gz');
    const sb = parseSuperblock(bytes, bytes.length);
    const inodes = manifest.volumes.find((v) => v.file === 'v5-4k.img.gz')!.inodes;
    const clean = await openXfs(new MemorySource(bytes.slice()));
    const blockdir = await clean.volume.readInode(inodes['/blockdir']!);
    const [attrRoot] = await forkExtents(sb, blockdir.attrFork!, (b) => clean.volume.block(b), []);
    const nodeByte = fsBlockToByte(sb, attrRoot!.fsBlock);
    const damaged = bytes.slice();
    damaged[nodeByte + 8] = 0; // xfs_da3_blkinfo magic of the attribute tree's root node
    const fs = await openXfs(new MemorySource(damaged));
    expect(await caught(() => fs.xattrs('/blockdir'))).toMatchObject({ code: 'BAD_MAGIC', offset: nodeByte + 8, space: 'volume' });
    const [dirBlock] = await forkExtents(sb, blockdir.dataFork, (b) => clean.volume.block(b), []);
    const dirByte = fsBlockToByte(sb, dirBlock!.fsBlock);
    const badDirBlock = bytes.slice();
    badDirBlock[dirByte] = 0; // the data block's magic
    const dirFs = await openXfs(new MemorySource(badDirBlock));
    const dirWarnings: GrtWarning[] = [];
    await dirFs.volume.readDirectory(await dirFs.volume.readInode(inodes['/blockdir']!), dirWarnings);
    expect(dirWarnings).toContainEqual(expect.objectContaining({ code: 'BAD_INDEX', offset: dirByte }));
    const inodeByte = inodeToByte(sb, inodes['/long-link']!);
    const noMagic = bytes.slice();
    noMagic[inodeByte] = 0; // di_magic "IN"
    const broken = await openXfs(new MemorySource(noMagic));
    expect(await caught(() => broken.volume.readInode(inodes['/long-link']!))).toMatchObject({ code: 'BAD_RECORD', offset: inodeByte, space: 'volume' });
    const link = await clean.volume.readInode(inodes['/long-link']!);
    const tooLong = await caught(() => clean.volume.symlinkTarget({ ...link, size: 5000 }, []));
    expect(tooLong).toMatchObject({ code: 'BAD_RECORD', offset: inodeToByte(sb, inodes['/long-link']!), space: 'volume' });
    // A buffer item whose format region is 8 bytes: the record at log block 2, its data after one
    // header block, the region after the start (12 bytes), transaction header (12 + 16) and its own op header.
    const format = new Uint8Array([0x3c, 0x12, 1, 0, 0, 0, 0, 0]);
    const dirty = bytes.slice();
    writeLog(dirty, sb, [{ tid: 1, items: [[format]] }]);
    const itemByte = fsBlockToByte(sb, sb.logStart) + 3 * 512 + 12 + 28 + 12;
    const warning = (await openXfs(new MemorySource(dirty))).warnings.find((w) => w.code === 'DIRTY_LOG');
    expect(warning).toMatchObject({ offset: itemByte, message: expect.stringContaining(`at byte ${itemByte} of the volume`) });
  });

  it('XFS: fork mappings and attribute forms name the inode, pointer or leaf field at fault', async () => {
    const bytes = volumeBytes('v5-4k.img.gz');
    const sb = parseSuperblock(bytes, bytes.length);
    const inodes = manifest.volumes.find((v) => v.file === 'v5-4k.img.gz')!.inodes;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // v3 inodes: the data fork follows the 176-byte core; the attribute fork starts di_forkoff * 8 later.
    const dataFork = (path: string): number => inodeToByte(sb, inodes[path]!) + 176;
    const attrFork = (path: string): number => dataFork(path) + bytes[inodeToByte(sb, inodes[path]!) + 82]! * 8;
    const failure = async (image: Uint8Array, run: (fs: Awaited<ReturnType<typeof openXfs>>) => unknown): Promise<GrtError> => caught(async () => run(await openXfs(new MemorySource(image))));
    const extentsOf = (path: string) => async (fs: Awaited<ReturnType<typeof openXfs>>) => fs.volume.extents(await fs.volume.readInode(inodes[path]!), []);

    const tooMany = bytes.slice();
    new DataView(tooMany.buffer).setUint32(inodeToByte(sb, inodes['/leafdir']!) + 76, 1000); // di_nextents
    expect(await failure(tooMany, extentsOf('/leafdir'))).toMatchObject({ code: 'BAD_RECORD', offset: dataFork('/leafdir'), space: 'volume' });
    const rootByte = dataFork('/btreedir');
    const badRoot = bytes.slice();
    badRoot[rootByte + 1] = 0; // bb_level 0: a root is never a leaf
    expect(await failure(badRoot, extentsOf('/btreedir'))).toMatchObject({ code: 'BAD_RECORD', offset: rootByte, space: 'volume' });
    // A second root pointer naming the first one's block: the second pointer is the damage.
    expect(view.getUint16(rootByte + 2)).toBe(1);
    const pointers = rootByte + 4 + Math.floor((sb.inodeSize - 176 - 4) / 16) * 8;
    const twice = bytes.slice();
    const twiceView = new DataView(twice.buffer);
    twiceView.setUint16(rootByte + 2, 2);
    twiceView.setBigUint64(pointers + 8, view.getBigUint64(pointers));
    expect(await failure(twice, extentsOf('/btreedir'))).toMatchObject({ code: 'BAD_RECORD', offset: pointers + 8, space: 'volume' });

    const shortForm = attrFork('/hello.txt');
    const badShort = bytes.slice();
    new DataView(badShort.buffer).setUint16(shortForm, 4); // totsize: the header alone
    expect(await failure(badShort, (fs) => fs.xattrs('/hello.txt'))).toMatchObject({ code: 'BAD_ATTRIBUTE', offset: shortForm + 4, space: 'volume' });
    const clean = await openXfs(new MemorySource(bytes.slice()));
    const small = await clean.volume.readInode(inodes['/sub/small.bin']!);
    const [leaf] = await forkExtents(sb, small.attrFork!, (b) => clean.volume.block(b), []);
    const leafByte = fsBlockToByte(sb, leaf!.fsBlock);
    const badLeaf = bytes.slice();
    new DataView(badLeaf.buffer).setUint16(leafByte + 56, 0xffff); // xfs_attr3_leaf_hdr count
    expect(await failure(badLeaf, (fs) => fs.xattrs('/sub/small.bin'))).toMatchObject({ code: 'BAD_ATTRIBUTE', offset: leafByte + 56, space: 'volume' });
  });

  it('.vmx and OVF manifest lines: the byte where the line starts in the file', async () => {
    // "é" is two bytes in UTF-8: the offset counts bytes, not characters.
    expect(await caught(() => parseVmx('displayName = "é"\r\nno equals sign\n', 'x.vmx'))).toMatchObject({ code: 'BAD_DESCRIPTOR', offset: 20, space: 'file', path: 'x.vmx' });
    const digest = 'a'.repeat(64);
    expect(await caught(() => parseManifest(`SHA256(é.vmdk)= ${digest}\r\nSHA256(b.vmdk)= 12\n`, 'x.mf'))).toMatchObject({ code: 'BAD_DESCRIPTOR', offset: 83, space: 'file' });
  });

  it("NTFS $UpCase: its $DATA attribute's header; a WOF chunk table: the start of its stream", async () => {
    expect(await caught(() => UpcaseTable.fromBytes(new Uint8Array(10), 40_960))).toMatchObject({ code: 'BAD_ATTRIBUTE', offset: 40_960, space: 'volume' });
    const built = buildNtfsVolume({ clusterSize: 4096, root: { kind: 'dir', name: '', children: [] } });
    const image = built.image.slice();
    const view = new DataView(image.buffer);
    const record = built.mftLcn * built.clusterSize + 10 * built.recordSize; // $UpCase
    let data = record + view.getUint16(record + 0x14, true);
    while (view.getUint32(data, true) !== 0x80) data += view.getUint32(data + 4, true);
    for (const field of [0x30, 0x38]) view.setBigUint64(data + field, 4096n, true); // data and initialized size: one cluster
    const volume = await openNtfs(new MemorySource(image));
    expect(volume.warnings.find((w) => w.message.includes('$UpCase shorter'))).toMatchObject({ offset: data });
    // 1 MiB of XPRESS4K plaintext needs a 255-entry table (1020 bytes) before its chunks.
    expect(await caught(() => openWofStream(new MemorySource(new Uint8Array(100)), 1 << 20, 'XPRESS4K', 'f'))).toMatchObject({ code: 'BAD_TABLE', offset: 0, space: 'stream' });
    // Three 4 KiB chunks: a table of two 4-byte entries (the ends of chunks 0 and 1), then the data.
    const wofWith = (end0: number, end1: number, dataBytes: number) => {
      const bytes = new Uint8Array(8 + dataBytes);
      new DataView(bytes.buffer).setUint32(0, end0, true);
      new DataView(bytes.buffer).setUint32(4, end1, true);
      return openWofStream(new MemorySource(bytes), 3 * 4096, 'XPRESS4K', 'f');
    };
    expect(await caught(() => wofWith(5000, 6000, 7000).read(0, 10))).toMatchObject({ code: 'BAD_TABLE', offset: 0, space: 'stream' });
    expect(await caught(() => wofWith(100, 9000, 7000).read(4096, 10))).toMatchObject({ code: 'BAD_TABLE', offset: 4, space: 'stream' });
    expect(await caught(() => wofWith(100, 200, 5000).read(8192, 10))).toMatchObject({ code: 'BAD_TABLE', offset: 4, space: 'stream' });
  });

  it('OVA packages: the tar header of the member at fault, in the archive file', async () => {
    /** An opener of one archive of `entries` (zero-filled members of `size` bytes). */
    const outerOf = (entries: { name: string; size: number }[]): SourceOpener => {
      const tar = buildTar(entries.map((e) => ({ name: e.name, data: new Uint8Array(e.size) })));
      return { open: async () => Object.assign(new MemorySource(tar), { close: async () => undefined }) } as unknown as SourceOpener;
    };
    const archive = (entries: { name: string; size: number }[]): Promise<TarMemberOpener> => TarMemberOpener.open(outerOf(entries), 'x.ova');
    // The second of two descriptors: after one header and one data block.
    const twoOvf = outerOf([{ name: 'a.ovf', size: 10 }, { name: 'b.ovf', size: 10 }]);
    expect(await caught(() => openOva(twoOvf, 'x.ova'))).toMatchObject({ code: 'BAD_DESCRIPTOR', offset: 1024, space: 'file' });
    // Headers at 0, then 512 + 1024 (one header, two data blocks) for the second member.
    const short = await archive([{ name: 'd.img.000000000', size: 1024 }, { name: 'd.img.000000001', size: 1024 }, { name: 'd.img.000000002', size: 10 }]);
    expect(await caught(() => short.joinChunks('d.img', 2048))).toMatchObject({ code: 'BAD_DESCRIPTOR', offset: 0, space: 'file' });
    const both = await archive([{ name: 'd.img.000000000', size: 1024 }, { name: 'd.img', size: 5 }]);
    expect(await caught(() => both.joinChunks('d.img', 1024))).toMatchObject({ code: 'BAD_DESCRIPTOR', offset: 1536, space: 'file' });
  });
});
