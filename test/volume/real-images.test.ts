import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { MemorySource } from '../../src/io/memory-source.js';
import { listVolumes } from '../../src/volume/index.js';

const dir = join(import.meta.dirname, '../../test-images/partitions');

interface ManifestPartition {
  index: number;
  start: number;
  size: number;
  type: string;
  fs: string;
  name?: string;
  bootable?: boolean;
}
interface ManifestImage {
  file: string;
  sha256: string;
  rawSha256: string;
  scheme: string;
  sectorSize: number;
  rawSize: number;
  partitions: ManifestPartition[];
}
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { images: ManifestImage[] };

const loaded = new Map<string, MemorySource>();
/** Each image is gunzipped once into memory (the largest is 96 MiB, mostly zeros). */
function load(file: string): MemorySource {
  let source = loaded.get(file);
  if (!source) loaded.set(file, (source = new MemorySource(new Uint8Array(gunzipSync(readFileSync(join(dir, file)))), file)));
  return source;
}

/** Labels given to mkfs in make.sh (NTFS labels live in the MFT and are not read here). */
const LABELS: Record<string, Record<number, string>> = {
  'mbr-logical.img.gz': { 1: 'MBRFAT16', 2: 'mbrext4', 6: 'mbrswap', 7: 'MBREXFAT' },
  'gpt-windows.img.gz': { 1: 'SYSTEM' },
  'gpt-slots.img.gz': { 5: 'slot5' },
  'bare-fat.img.gz': { 0: 'BAREFAT' },
};

describe('images made by sfdisk/sgdisk/mkfs (test-images/partitions)', () => {
  for (const image of manifest.images) {
    it(`${image.file}: ${image.scheme}, ${image.sectorSize}-byte sectors, partitions as sfdisk reports them`, async () => {
      const disk = load(image.file);
      expect(disk.size).toBe(image.rawSize);
      expect(createHash('sha256').update(readFileSync(join(dir, image.file))).digest('hex')).toBe(image.sha256);
      expect(createHash('sha256').update(await disk.read(0, disk.size)).digest('hex')).toBe(image.rawSha256);
      const layout = await listVolumes(disk);
      expect(layout.scheme).toBe(image.scheme);
      expect(layout.sectorSize).toBe(image.sectorSize);
      const got = layout.volumes.map((v) => {
        const row: ManifestPartition = { index: v.index, start: v.start, size: v.size, type: v.type, fs: v.fs };
        if (v.scheme === 'gpt') row.name = v.name!;
        if (v.scheme === 'mbr') row.bootable = v.bootable!;
        return row;
      });
      expect(got).toEqual(image.partitions);
      for (const [index, label] of Object.entries(LABELS[image.file] ?? {})) {
        expect(layout.volumes.find((v) => v.index === Number(index))?.label).toBe(label);
      }
      if (image.file.startsWith('gpt-damaged')) {
        expect(layout.warnings.map((w) => w.message).join('\n')).toMatch(/primary GPT is damaged, using the backup/);
      } else {
        expect(layout.warnings).toEqual([]);
      }
    });
  }

  it('names types and keeps attributes (gpt-windows)', async () => {
    const layout = await listVolumes(load('gpt-windows.img.gz'));
    expect(layout.volumes.map((v) => v.typeName)).toEqual(['EFI system', 'Microsoft reserved', 'Microsoft basic data', 'Windows recovery']);
    expect(layout.volumes[3]!.attributes).toBe('0x8000000000000001');
    expect(layout.volumes[0]!.guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('names MBR types (mbr-logical)', async () => {
    const layout = await listVolumes(load('mbr-logical.img.gz'));
    expect(layout.volumes.map((v) => v.typeName)).toEqual(['FAT16 (LBA)', 'Linux', 'Extended', 'NTFS/exFAT/HPFS', 'Linux swap', 'NTFS/exFAT/HPFS']);
  });

  it('a volume source reads the partition bytes', async () => {
    const disk = load('gpt-4kn.img.gz');
    const layout = await listVolumes(disk);
    const ntfs = layout.volumes[1]!;
    expect(await ntfs.source.read(3, 8)).toEqual(await disk.read(ntfs.start + 3, 8));
    expect(ntfs.source.size).toBe(ntfs.size);
  });
});
