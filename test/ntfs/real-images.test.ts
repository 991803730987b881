/**
 * Small real volumes made by mkntfs + ntfs-3g (test-images/ntfs-unit/make.sh): every $DATA stream
 * reads as TSK's icat reads it, and the features ntfs-3g can write behave as specified.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { openLayoutStream } from '../../src/fs/ntfs/data-stream.js';
import { openNtfs, type NtfsVolume } from '../../src/fs/ntfs/volume.js';

const DIR = new URL('../../test-images/ntfs-unit/', import.meta.url);

function load(name: string): { source: MemorySource; manifest: Record<string, { size: number; sha256: string }> } {
  const image = gunzipSync(readFileSync(new URL(`${name}.img.gz`, DIR)));
  const manifest = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')).files;
  return { source: new MemorySource(new Uint8Array(image.buffer, image.byteOffset, image.length)), manifest };
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function read(volume: NtfsVolume, target: string | FileEntry, stream = ''): Promise<Uint8Array> {
  const source = await volume.openStream(target, stream);
  return source.read(0, source.size);
}

for (const [name, sectorSize] of [['n512', 512], ['n4k', 4096]] as const) {
  describe(`ntfs-3g image ${name}`, () => {
    const { source, manifest } = load(name);

    it('every stream lists and reads as icat does', async () => {
      const volume = await openNtfs(source);
      expect(volume.info.sectorSize).toBe(sectorSize);
      expect(volume.info.label).toBe(`unit-${name}`);
      expect(volume.info.serial).toMatch(/^[0-9A-F]{16}$/);
      const byPath = new Map<string, FileEntry>();
      for await (const entry of volume.walk('/', { all: true })) byPath.set(entry.path, entry);
      for (const [key, want] of Object.entries(manifest)) {
        const colon = key.indexOf(':');
        const path = colon < 0 ? key : key.slice(0, colon);
        const stream = colon < 0 ? '' : key.slice(colon + 1);
        const entry = byPath.get(path);
        expect(entry, key).toBeDefined();
        const bytes = await read(volume, entry!, stream);
        expect(bytes.length, key).toBe(want.size);
        expect(sha(bytes), key).toBe(want.sha256);
      }
      // Without `all`, metafiles are hidden; user files are all there.
      const plain = new Set<string>();
      for await (const entry of volume.walk('/')) plain.add(entry.path);
      expect([...plain].some((p) => p.startsWith('/$'))).toBe(false);
      expect(plain.size).toBe([...byPath.keys()].filter((p) => !p.startsWith('/$')).length);
    });

    it('links, reparse points, names, case and deleted files', async () => {
      const volume = await openNtfs(source);
      const rel = await volume.stat('/symlink-rel');
      expect([rel.type, rel.target]).toEqual(['symlink', 'linked.txt']); // Interix symlink from ln -s
      expect((await volume.stat('/symlink-abs')).target).toBe('/some/abs/target');
      const junction = await volume.stat('/junction');
      expect([junction.type, junction.target]).toEqual(['junction', 'C:\\junction-target']);
      expect((await volume.stat('/winlink')).target).toBe('..\\linked.txt');
      const linked = await volume.stat('/linked.txt');
      const hard = await volume.stat('/BIG/HardLink.TXT');
      expect(hard.id).toEqual(linked.id);
      expect(linked.links).toBe(2);
      expect((await volume.stat('/longname-for-dos.txt')).dosName).toBe('LONGNA~1.TXT');
      expect(new TextDecoder().decode(await read(volume, '/ÉTÉ 日本 😀.txt'))).toBe('unicode');
      expect(new TextDecoder().decode(await read(volume, '/Case.txt'))).toBe('upper');
      expect(new TextDecoder().decode(await read(volume, '/case.txt'))).toBe('lower');
      expect(new TextDecoder().decode(await read(volume, '/ads.txt', 'small'))).toBe('tiny stream');
      expect((await volume.stat('/ads.txt')).streams.map((s) => s.name).sort()).toEqual(['large', 'small']);
      expect((await volume.readDir('/big')).length).toBe(1201);
      const root = await volume.readDir('/', { deleted: true });
      expect(root.filter((e) => e.deleted).map((e) => e.name).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `del${i}.txt`).sort());
      expect(root.filter((e) => !e.deleted).some((e) => e.name.startsWith('del'))).toBe(false);
      const walked: string[] = [];
      for await (const entry of volume.walk('/', { deleted: true })) if (entry.deleted) walked.push(entry.path);
      expect(walked.length).toBe(20);
      await expect(volume.stat('/nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(volume.stat('/linked.txt/x')).rejects.toMatchObject({ code: 'NOT_A_DIRECTORY' });
      await expect(volume.openStream('/big')).rejects.toMatchObject({ code: 'IS_A_DIRECTORY' });
      await expect(volume.openStream('/ads.txt', 'missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('layouts: compressed, sparse, fragmented; readable from the layout alone', async () => {
      const volume = await openNtfs(source);
      const text = await volume.streamLayout('/comp/text.txt');
      expect(text.encoding).toBe('lznt1');
      const sparse = await volume.streamLayout('/sparse.bin');
      expect(sparse.runs.some((r) => r.sourceOffset === null)).toBe(true);
      const frag = await volume.streamLayout('/frag1.bin');
      expect(frag.runs.filter((r) => r.sourceOffset !== null).length).toBeGreaterThan(1);
      for (const path of ['/comp/text.txt', '/comp/random.bin', '/comp/partsparse.bin', '/sparse.bin', '/frag1.bin', '/resident.txt']) {
        const layout = await volume.streamLayout(path);
        const copy = JSON.parse(JSON.stringify({ ...layout, resident: undefined }));
        if (layout.resident) copy.resident = layout.resident;
        const viaLayout = openLayoutStream(source, copy);
        expect(sha(await viaLayout.read(0, viaLayout.size))).toBe(manifest[path]!.sha256);
        // Unaligned small reads agree with the whole.
        const whole = await read(volume, path);
        for (const [at, len] of [[1, 5000], [65530, 70000], [whole.length - 3, 3]] as const) {
          if (at + len > whole.length || at < 0) continue;
          expect(Buffer.from(await viaLayout.read(at, len)).equals(Buffer.from(whole.subarray(at, at + len)))).toBe(true);
        }
      }
      const chunks: Buffer[] = [];
      for await (const chunk of volume.createReadStream('/comp/text.txt')) chunks.push(chunk as Buffer);
      expect(sha(Buffer.concat(chunks))).toBe(manifest['/comp/text.txt']!.sha256);
    });

    it('scan yields layouts for the catalog, parents before children', async () => {
      const volume = await openNtfs(source);
      const seen = new Set<string>(['/']);
      let withLayouts = 0;
      for await (const entry of volume.scan({ layouts: true })) {
        expect(seen.has(entry.path.slice(0, entry.path.lastIndexOf('/')) || '/'), entry.path).toBe(true);
        seen.add(entry.path);
        if (entry.type === 'file' && entry.layouts?.length) withLayouts++;
      }
      expect(withLayouts).toBeGreaterThan(1200);
    });
  });
}
