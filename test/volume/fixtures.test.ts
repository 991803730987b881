import { describe, expect, it } from 'vitest';
import { createReadStream, existsSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { join } from 'node:path';
import { GrtError } from '../../src/errors.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { listVolumes } from '../../src/volume/index.js';

const fixtures = join(import.meta.dirname, '../../../shared/fixtures');
const haveFixtures = existsSync(fixtures);
if (!haveFixtures) console.warn(`volume fixtures tests skipped: ${fixtures} is absent`);

/** The uncompressed size a gzip file records in its trailer (ISIZE, size mod 2^32: fine below 4 GiB). */
function gzipSize(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const trailer = Buffer.alloc(4);
    readSync(fd, trailer, 0, 4, fstatSync(fd).size - 4);
    return trailer.readUInt32LE(0);
  } finally {
    closeSync(fd);
  }
}

/** The first `prefixBytes` of a gzip'd disk; the rest of its (known) size reads as MISSING_DATA. */
async function gzipPrefix(path: string, prefixBytes: number): Promise<ByteSource> {
  const chunks: Buffer[] = [];
  let have = 0;
  const stream = createReadStream(path).pipe(createGunzip());
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    have += chunk.length;
    if (have >= prefixBytes) break; // leaving the loop destroys the stream: no more inflating
  }
  const prefix = Buffer.concat(chunks).subarray(0, prefixBytes);
  const size = gzipSize(path);
  return {
    size,
    async read(offset, length) {
      if (offset + length > prefix.length) throw new GrtError('MISSING_DATA', 'past the unpacked prefix', { offset });
      return new Uint8Array(prefix.buffer, prefix.byteOffset + offset, length);
    },
  };
}

const samples = ['ntfs-2m', 'ntfs-lastaccess', 'ntfs-ptrn', 'ntfs-ramslack', 'ntfs-si-vs-fn'];

describe.skipIf(!haveFixtures)('real-world fixtures (../shared/fixtures)', () => {
  for (const name of samples) {
    it(`${name}: one MBR partition at sector 128 holding NTFS`, async () => {
      const disk = await gzipPrefix(join(fixtures, 'ntfs-samples', `${name}.raw.gz`), 2 * 1024 * 1024);
      const layout = await listVolumes(disk);
      expect(layout.scheme).toBe('mbr');
      expect(layout.warnings).toEqual([]);
      expect(layout.volumes).toHaveLength(1);
      const [volume] = layout.volumes;
      expect(volume).toMatchObject({ index: 1, scheme: 'mbr', start: 128 * 512, type: '0x07', fs: 'ntfs' });
      expect(volume!.start + volume!.size).toBeLessThanOrEqual(disk.size);
    });
  }

  const vmdk = join(fixtures, 'osv-scalibr', 'valid-ext-exfat-fat32-ntfs.vmdk');
  const diskModule = join(import.meta.dirname, '../../src/vmdk/disk.ts');
  if (existsSync(diskModule)) {
    it('osv-scalibr VMDK: GPT with ext4, exFAT, FAT32 and NTFS partitions', async () => {
      const { openDisk } = (await import('../../src/vmdk/disk.js')) as { openDisk: (path: string) => Promise<ByteSource> };
      const disk = await openDisk(vmdk);
      try {
        const layout = await listVolumes(disk);
        expect(layout.scheme).toBe('gpt');
        expect(layout.sectorSize).toBe(512);
        expect(layout.volumes.map((v) => v.fs)).toEqual(['ext4', 'exfat', 'fat32', 'ntfs']);
        expect(layout.volumes.map((v) => [v.index, v.start / 512, v.size / 512])).toEqual([
          [1, 2048, 129024],
          [2, 131072, 131072],
          [3, 262144, 131072],
          [4, 393216, 129024],
        ]);
        expect(layout.warnings).toEqual([]);
      } finally {
        await disk.close?.();
      }
    });
  } else {
    it.todo('osv-scalibr VMDK: needs openDisk from src/vmdk/disk.ts');
  }
});
