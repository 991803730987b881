/**
 * WOF (Compact OS) files on NTFS volumes made by mkntfs + ntfs-3g (test-images/wof/make.sh; the
 * chunks compressed by wimlib, every readable file checked there through ntfs-3g with the
 * ntfs-3g-system-compression plugin), read through the VMDK, volume and NTFS layers.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import type { FileSystem } from '../../src/fs/file-system.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { openImage, type Image } from '../../src/image.js';
import { MemorySource } from '../../src/io/memory-source.js';

const DIR = new URL('../../test-images/wof/', import.meta.url).pathname;
interface WofFile { path: string; format: string; chunkSize: number; size: number; sha256: string; streamBytes: number; damaged: boolean }
const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as {
  files: WofFile[];
  refused: { path: string; undecodable: string }[];
  large: WofFile & { regions: { offset: number; length: number; sha256: string }[] };
};
const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const good = manifest.files.filter((f) => !f.damaged);

for (const file of ['wof.vmdk', 'wof-stream.vmdk']) {
  describe(`WOF files in ${file}`, () => {
    let image: Image;
    let fs: FileSystem;
    beforeAll(async () => {
      image = await openImage(`${DIR}${file}`);
      fs = await image.openFileSystem();
    });
    afterAll(() => image.close());

    it('covers every format, one chunk, an exact multiple, stored chunks and an empty file', () => {
      expect(new Set(good.map((f) => f.format))).toEqual(new Set(['XPRESS4K', 'LZX', 'XPRESS8K', 'XPRESS16K']));
      expect(good.some((f) => f.size > 0 && f.size <= f.chunkSize)).toBe(true);
      expect(good.some((f) => f.size > f.chunkSize && f.size % f.chunkSize === 0)).toBe(true);
      expect(good.some((f) => f.streamBytes > f.size)).toBe(true); // every chunk stored
      expect(good.some((f) => f.size === 0)).toBe(true);
    });

    for (const f of good) {
      it(`${f.path} (${f.format}) lists its real size and reads as its plaintext`, async () => {
        const entry = await fs.stat(f.path);
        expect(entry.size).toBe(f.size);
        expect(entry.undecodable).toBeUndefined();
        // The compressed stream is how the plaintext is stored, not a stream to restore.
        expect(entry.streams).toEqual([]);
        const stream = await fs.openStream(entry);
        expect(stream.size).toBe(f.size);
        expect(sha(await stream.read(0, f.size))).toBe(f.sha256);
      });
    }

    it('reads any range the same as the whole', async () => {
      const f = good.find((x) => x.path === '/formats/xpress8k-mixed.bin')!;
      const stream = await fs.openStream(f.path);
      const whole = await stream.read(0, f.size);
      for (const [offset, length] of [[0, 1], [8191, 2], [5000, 20000], [f.size - 1, 1], [f.size, 0], [12345, f.size - 12345]] as const) {
        const part = new Uint8Array(length);
        await stream.readInto!(offset, part);
        expect(Buffer.from(part).equals(whole.subarray(offset, offset + length))).toBe(true);
      }
      await expect(stream.read(f.size - 1, 2)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    });

    it('a damaged table or chunk fails the reads that need it, with GrtError only', async () => {
      const table = await fs.openStream('/damaged/bad-table.txt');
      const plain = (await fs.openStream('/formats/xpress4k.txt')).read(0, 8192);
      expect(Buffer.from(await table.read(0, 8192)).equals(Buffer.from(await plain))).toBe(true);
      await expect(table.read(8192, 10)).rejects.toMatchObject({ code: 'BAD_TABLE' });
      const chunk = await fs.openStream('/damaged/bad-chunk.lzx.txt');
      await chunk.read(0, 32768);
      await expect(chunk.read(32768, 10)).rejects.toMatchObject({ code: 'BAD_COMPRESSED_DATA' });
      const short = await fs.openStream('/damaged/short-stream.txt');
      await short.read(0, 16384);
      await expect(short.read(16384, 3616)).rejects.toBeInstanceOf(GrtError);
    });

    it('WIM-backed, unknown-format and deduplicated files are listed and refused with their reason', async () => {
      for (const r of manifest.refused) {
        const entry = await fs.stat(r.path);
        expect(entry.undecodable).toBe(r.undecodable);
        expect(entry.size).toBe(5000);
        await expect(fs.openStream(entry)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
      }
      await expect(fs.openStream('/refused/wim-backed.dll')).rejects.toThrow(/WIM image outside the volume/);
      await expect(fs.openStream('/refused/dedup.bin')).rejects.toThrow(/chunk store/);
    });

    it('gives a WOF file a wof layout: its format and where its compressed stream is', async () => {
      const f = good.find((x) => x.path === '/formats/lzx.exe')!;
      const layout = await fs.streamLayout(f.path);
      expect(layout).toMatchObject({ encoding: 'wof', size: f.size, initializedSize: f.size, wof: { algorithm: 'LZX', size: f.streamBytes, initializedSize: f.streamBytes } });
      expect(layout.runs.length).toBeGreaterThan(0);
      expect(sha(await fs.openLayout!(layout).read(0, f.size))).toBe(f.sha256);
    });
  });
}

describe('rawWof: WOF files as stored', () => {
  it('lists WofCompressedData and reads the unnamed stream as the sparse zeros it is', async () => {
    const image = await openImage(`${DIR}wof.vmdk`);
    try {
      const fs = await openNtfs(image.layout.volumes[0]!.source, { rawWof: true });
      const f = good.find((x) => x.format === 'LZX')!;
      const entry = await fs.stat(f.path);
      expect(entry.size).toBe(f.size);
      expect(entry.streams).toEqual([{ name: 'WofCompressedData', size: f.streamBytes }]);
      await expect((await fs.openStream(entry)).read(0, 64)).resolves.toEqual(new Uint8Array(64));
      expect((await fs.openStream(entry, 'WofCompressedData')).size).toBe(f.streamBytes);
    } finally {
      await image.close();
    }
  });
});

describe('a WOF file over 4 GiB (8-byte chunk table entries)', () => {
  it('lists its size and reads its first chunk, the chunks around 4 GiB and its last bytes', async () => {
    const fs = await openNtfs(new MemorySource(new Uint8Array(gunzipSync(readFileSync(`${DIR}wof-large.img.gz`)))));
    const large = manifest.large;
    expect(large.size).toBeGreaterThan(2 ** 32);
    const entry = await fs.stat(large.path);
    expect(entry.size).toBe(large.size);
    const stream = await fs.openStream(entry);
    for (const region of large.regions) expect(sha(await stream.read(region.offset, region.length))).toBe(region.sha256);
  });
});
