/**
 * File-system kinds as blkid names them, on volumes made by mke2fs/mkntfs (test-images/fs-kinds):
 * ext2 (large_file set, as mke2fs sets it) is not ext4; a partition holding both an NTFS and an ext2
 * signature (blkid: "ambivalent result") is reported with both, a warning, and `fs` chooses.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { openImage } from '../../src/image.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { detectFileSystem } from '../../src/volume/detect.js';
import { listVolumes } from '../../src/volume/list-volumes.js';

const DIR = join(import.meta.dirname, '../../test-images/fs-kinds');
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { images: { file: string; blkid: string }[] };
const load = (file: string): MemorySource => new MemorySource(new Uint8Array(gunzipSync(readFileSync(join(DIR, file)))), file);
/** KEY=value pairs of `blkid -p -o export`. */
const blkid = (file: string): Record<string, string> =>
  Object.fromEntries(manifest.images.find((i) => i.file === file)!.blkid.trim().split(' ').filter((kv) => kv.includes('=')).map((kv) => kv.split('=') as [string, string]));
const DFVFS_EXT2 = join(import.meta.dirname, '../../../shared/fixtures/dfvfs/ext2.vmdk');

describe('ext2, ext3, ext4 as blkid tells them apart', () => {
  for (const file of ['ext2.img.gz', 'ext3.img.gz', 'ext4.img.gz']) {
    it(`${file}: blkid's TYPE and LABEL`, async () => {
      const expected = blkid(file);
      expect(await detectFileSystem(load(file))).toEqual({ fs: expected.TYPE, label: expected.LABEL });
    });
  }

  it.skipIf(!existsSync(DFVFS_EXT2))('the dfvfs ext2.vmdk fixture is ext2, labelled ext2_test', async () => {
    const image = await openImage(DFVFS_EXT2);
    try {
      expect(image.layout.volumes.map((v) => [v.fs, v.label])).toEqual([['ext2', 'ext2_test']]);
    } finally {
      await image.close();
    }
  });
});

describe('two file systems on one volume', () => {
  it('both are found, NTFS is used, a warning names both', async () => {
    expect(blkid('ntfs-ext2.img.gz')).toEqual({}); // blkid refuses to choose ("ambivalent result")
    const layout = await listVolumes(load('ntfs-ext2.img.gz'));
    expect(layout.volumes.map((v) => [v.fs, v.alternatives])).toEqual([['ntfs', ['ext2']]]);
    expect(layout.warnings.map((w) => w.message)).toEqual(['the disk holds signatures of ntfs and ext2 (one formatted over the other); using ntfs, choose with --fs KIND']);
  });

  it('fs chooses the other; one no volume holds is USAGE', async () => {
    const layout = await listVolumes(load('ntfs-ext2.img.gz'), { fs: 'ext2' });
    expect(layout.volumes.map((v) => [v.fs, v.label, v.alternatives])).toEqual([['ext2', 'ext2-over', ['ntfs']]]);
    expect(layout.warnings.map((w) => w.message)).toEqual(['the disk holds signatures of ext2 and ntfs (one formatted over the other); using ext2, choose with --fs KIND']);
    const error = await listVolumes(load('ntfs-ext2.img.gz'), { fs: 'xfs' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrtError);
    expect((error as GrtError).code).toBe('USAGE');
    // A single-signature volume is not ambiguous, and asking for what it holds is fine.
    const plain = await listVolumes(load('ext4.img.gz'), { fs: 'ext4' });
    expect(plain.volumes.map((v) => [v.fs, v.alternatives])).toEqual([['ext4', undefined]]);
    expect(plain.warnings).toEqual([]);
  });
});
