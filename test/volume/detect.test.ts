import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GrtError } from '../../src/errors.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { detectFileSystem, listVolumes } from '../../src/volume/index.js';
import { SparseDisk } from '../builders/partition-writer.js';

const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function volume(size: number, writes: [number, Uint8Array][]): SparseDisk {
  const disk = new SparseDisk(size);
  for (const [offset, bytes] of writes) disk.write(offset, bytes);
  return disk;
}

function u32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value, true);
  return b;
}

function extSuperblock(compat: number, incompat: number, roCompat: number, label: string): [number, Uint8Array][] {
  return [
    [1080, Uint8Array.of(0x53, 0xef)],
    [1024 + 0x5c, u32(compat)],
    [1024 + 0x60, u32(incompat)],
    [1024 + 0x64, u32(roCompat)],
    [1024 + 0x78, text(label)],
  ];
}

/** A FAT boot sector whose data area holds exactly `clusters` clusters (FAT spec §3.5 arithmetic). */
function fatVolume(clusters: number, fat32Layout: boolean, label = 'LABEL'): SparseDisk {
  const bytesPerSector = 512;
  const rootEntries = fat32Layout ? 0 : 512;
  const reserved = fat32Layout ? 32 : 1;
  const entryBytes = fat32Layout ? 4 : clusters < 4085 ? 1.5 : 2;
  const fatSectors = Math.ceil(((clusters + 2) * entryBytes) / bytesPerSector);
  const total = reserved + 2 * fatSectors + (rootEntries * 32) / bytesPerSector + clusters;
  const bs = new Uint8Array(512);
  const v = new DataView(bs.buffer);
  bs.set([0xeb, 0x3c, 0x90], 0);
  bs.set(text('mkfs.fat'), 3);
  v.setUint16(11, bytesPerSector, true);
  v.setUint8(13, 1);
  v.setUint16(14, reserved, true);
  v.setUint8(16, 2);
  v.setUint16(17, rootEntries, true);
  if (total < 0x10000) v.setUint16(19, total, true);
  else v.setUint32(32, total, true);
  v.setUint8(21, 0xf8);
  if (fat32Layout) {
    v.setUint32(36, fatSectors, true);
    v.setUint8(0x42, 0x29);
    bs.set(text(label.padEnd(11)), 0x47);
    bs.set(text('FAT32   '), 0x52);
  } else {
    v.setUint16(22, fatSectors, true);
    v.setUint8(0x26, 0x29);
    bs.set(text(label.padEnd(11)), 0x2b);
  }
  bs[510] = 0x55;
  bs[511] = 0xaa;
  return volume(total * bytesPerSector, [[0, bs]]);
}

describe('detectFileSystem', () => {
  it('knows each signature (and reads labels where they are cheap)', async () => {
    const cases: [SparseDisk, { fs: string; label?: string }][] = [
      [volume(1 << 20, [[3, text('NTFS    ')], [510, Uint8Array.of(0x55, 0xaa)]]), { fs: 'ntfs' }],
      [volume(1 << 20, [[3, text('ReFS\0\0\0\0')]]), { fs: 'refs' }],
      [volume(1 << 20, [[3, text('-FVE-FS-')]]), { fs: 'bitlocker' }],
      [volume(1 << 20, [[0, text('XFSB')], [108, text('xfslabel')]]), { fs: 'xfs', label: 'xfslabel' }],
      [volume(1 << 20, [[0, text('LUKS\xba\xbe\0\x01')]]), { fs: 'luks' }],
      [volume(1 << 20, [[0, text('LUKS\xba\xbe\0\x02')], [24, text('secret')]]), { fs: 'luks', label: 'secret' }],
      [volume(1 << 20, [[512, text('LABELONE')], [512 + 24, text('LVM2 001')]]), { fs: 'lvm2' }],
      [volume(1 << 20, [[4086, text('SWAPSPACE2')], [1024 + 28, text('swp')]]), { fs: 'swap', label: 'swp' }],
      [volume(1 << 20, [[65526, text('SWAPSPACE2')]]), { fs: 'swap' }],
      [volume(1 << 20, [[65600, text('_BHRfS_M')], [0x10000 + 0x12b, text('btr')]]), { fs: 'btrfs', label: 'btr' }],
      [volume(1 << 20, extSuperblock(0, 0, 0, 'two')), { fs: 'ext2', label: 'two' }],
      [volume(1 << 20, extSuperblock(0x4, 0, 0, 'three')), { fs: 'ext3', label: 'three' }],
      [volume(1 << 20, extSuperblock(0x4, 0x40, 0, '')), { fs: 'ext4' }],
      [volume(1 << 20, extSuperblock(0, 0, 0x400, '')), { fs: 'ext4' }],
      [volume(1 << 20, [[0, new Uint8Array(512).fill(0xee)]]), { fs: 'unknown' }],
      [fatVolume(70_000, true, 'ESP'), { fs: 'fat32', label: 'ESP' }],
      [fatVolume(1000, false, 'NO NAME'), { fs: 'fat12' }],
    ];
    for (const [source, expected] of cases) expect(await detectFileSystem(source)).toEqual(expected);
  });

  it('exFAT label from the volume label entry in the root directory', async () => {
    const bs = new Uint8Array(512);
    const v = new DataView(bs.buffer);
    bs.set(text('EXFAT   '), 3);
    v.setUint32(88, 64, true); // cluster heap at sector 64
    v.setUint32(96, 4, true); // root directory in cluster 4
    v.setUint8(108, 9); // 512-byte sectors
    v.setUint8(109, 3); // 8 sectors per cluster
    const entry = new Uint8Array(32);
    entry[0] = 0x83;
    entry[1] = 4;
    entry.set(new Uint8Array(Buffer.from('Data', 'utf16le')), 2);
    const rootOffset = 64 * 512 + 2 * 4096;
    const disk = volume(1 << 20, [[0, bs], [rootOffset, Uint8Array.of(0x81)], [rootOffset + 32, entry]]);
    expect(await detectFileSystem(disk)).toEqual({ fs: 'exfat', label: 'Data' });
  });

  it('FAT12/16/32 by the cluster-count rule at its boundaries', async () => {
    const kinds = await Promise.all([4084, 4085, 65524, 65525].map(async (n) => (await detectFileSystem(fatVolume(n, false))).fs));
    expect(kinds).toEqual(['fat12', 'fat16', 'fat16', 'fat32']);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200_000 }), async (clusters) => {
        const expected = clusters < 4085 ? 'fat12' : clusters < 65525 ? 'fat16' : 'fat32';
        expect((await detectFileSystem(fatVolume(clusters, false))).fs).toBe(expected);
      }),
      { seed: 1801, numRuns: 100 },
    );
  });

  it('never throws for small or random volumes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), fc.constantFrom('', 'NTFS    ', 'EXFAT   ', 'LUKS\xba\xbe'), async (bytes, magic) => {
        const copy = bytes.slice();
        if (magic && copy.length > 11) copy.set(text(magic).subarray(0, Math.min(8, copy.length - 3)), magic.startsWith('LUKS') ? 0 : 3);
        const { fs } = await detectFileSystem(new MemorySource(copy));
        expect(typeof fs).toBe('string');
        await listVolumes(new MemorySource(copy)).catch((e: unknown) => {
          if (!(e instanceof GrtError)) throw e;
        });
      }),
      { seed: 1802, numRuns: 300 },
    );
    expect(await detectFileSystem(new MemorySource(new Uint8Array(0)))).toEqual({ fs: 'unknown' });
  });
});

describe('listVolumes without a partition table', () => {
  it('a FAT boot sector at byte 0 is the whole disk, even when its boot code looks like MBR records', async () => {
    const disk = fatVolume(20_000, false, 'WHOLE');
    // Plausible-looking "records": status 0x00, a type, a start and a size.
    disk.write(446, Uint8Array.of(0, 0, 0, 0, 0x07, 0, 0, 0, 0x20, 0, 0, 0, 0x00, 0x10, 0, 0));
    const layout = await listVolumes(disk);
    expect(layout.scheme).toBe('none');
    expect(layout.volumes.map(({ index, start, size, fs, label }) => ({ index, start, size, fs, label }))).toEqual([
      { index: 0, start: 0, size: disk.size, fs: 'fat16', label: 'WHOLE' },
    ]);
  });

  it('an NTFS boot sector at byte 0 is the whole disk whatever its bytes at 446 look like', async () => {
    const disk = volume(1 << 20, [[3, text('NTFS    ')], [446, Uint8Array.of(0x80, 0, 0, 0, 0x07, 0, 0, 0, 0x3f, 0, 0, 0, 0, 0x10, 0, 0)], [510, Uint8Array.of(0x55, 0xaa)]]);
    const layout = await listVolumes(disk);
    expect([layout.scheme, layout.volumes.length, layout.volumes[0]!.fs, layout.warnings.length]).toEqual(['none', 1, 'ntfs', 0]);
  });

  it('an ext superblock magic in the gap after a real MBR does not hide its partitions', async () => {
    const disk = volume(1 << 20, [...extSuperblock(0, 0, 0, ''), [446, Uint8Array.of(0x80, 0, 0, 0, 0x83, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 0, 0, 0)], [510, Uint8Array.of(0x55, 0xaa)]]);
    const layout = await listVolumes(disk);
    expect(layout.scheme).toBe('mbr');
    expect(layout.volumes.map((v) => [v.index, v.start, v.size, v.bootable])).toEqual([[1, 64 * 512, 64 * 512, true]]);
    expect(layout.warnings.map((w) => w.message).join()).toMatch(/ignoring a ext2 signature/);
    // Without the partition record it is a whole-disk ext2.
    disk.write(446, new Uint8Array(16));
    expect((await listVolumes(disk)).volumes.map((v) => [v.index, v.fs])).toEqual([[0, 'ext2']]);
  });

  it('nothing recognisable: the whole disk as one unknown volume, with a warning', async () => {
    const layout = await listVolumes(new MemorySource(new Uint8Array(4096)));
    expect(layout.scheme).toBe('none');
    expect(layout.volumes[0]!.fs).toBe('unknown');
    expect(layout.warnings[0]!.code).toBe('NOT_FOUND');
  });

  it('a protective MBR without any GPT header: the MBR view with a warning', async () => {
    const disk = new SparseDisk(1 << 20);
    disk.write(446, Uint8Array.of(0, 0, 2, 0, 0xee, 0, 0, 0, 1, 0, 0, 0, 0xff, 0x07, 0, 0));
    disk.write(510, Uint8Array.of(0x55, 0xaa));
    const layout = await listVolumes(disk);
    expect(layout.scheme).toBe('mbr');
    expect(layout.volumes.map((v) => [v.index, v.type, v.typeName])).toEqual([[1, '0xee', 'GPT protective']]);
    expect(layout.warnings.map((w) => w.message).join()).toMatch(/no GPT header/);
  });

  it('refuses a sector size other than 512 or 4096', async () => {
    await expect(listVolumes(new MemorySource(new Uint8Array(512)), { sectorSize: 1024 as 512 })).rejects.toMatchObject({ code: 'USAGE' });
  });
});
