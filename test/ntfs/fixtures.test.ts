/**
 * Real Windows 10 volumes (shared fixtures): every $DATA stream lists and reads exactly as The
 * Sleuth Kit's icat reads it (expected hashes precomputed in fixtures-expected.json).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SliceSource } from '../../src/io/slice-source.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { openNtfs, type NtfsVolume } from '../../src/fs/ntfs/volume.js';
import { nsToIso } from '../../src/util/time.js';
import { fixturePath, loadGzImage } from './gz-image.js';

const expected = JSON.parse(readFileSync(new URL('./fixtures-expected.json', import.meta.url), 'utf8')) as {
  images: Record<string, Record<string, { size: number; sha256: string }>>;
};
/** The fixtures' NTFS partition starts at sector 128. */
const PARTITION_OFFSET = 65536;

async function open(name: string): Promise<NtfsVolume> {
  const source = loadGzImage(fixturePath(name)!, name === 'ntfs-lastaccess' ? 256 * 1024 * 1024 : undefined);
  return openNtfs(new SliceSource(source, PARTITION_OFFSET, source.size - PARTITION_OFFSET));
}

async function sha256(volume: NtfsVolume, entry: FileEntry, stream: string): Promise<string> {
  const source = await volume.openStream(entry, stream);
  return createHash('sha256').update(await source.read(0, source.size)).digest('hex');
}

for (const [name, files] of Object.entries(expected.images)) {
  describe.skipIf(!fixturePath(name))(`fixture ${name}`, () => {
    it('lists and reads every stream as icat does', { timeout: 30_000 }, async () => {
      const volume = await open(name);
      const byPath = new Map<string, FileEntry>();
      for await (const entry of volume.walk('/', { all: true })) byPath.set(entry.path, entry);
      for (const [key, want] of Object.entries(files)) {
        const colon = key.indexOf(':');
        const path = colon < 0 ? key : key.slice(0, colon);
        const stream = colon < 0 ? '' : key.slice(colon + 1);
        const entry = byPath.get(path);
        expect(entry, key).toBeDefined();
        expect(stream === '' ? entry!.size : entry!.streams.find((s) => s.name === stream)?.size, key).toBe(want.size);
        expect(await sha256(volume, entry!, stream), key).toBe(want.sha256);
        // The same through a path lookup (case-insensitive via $UpCase).
        expect(createHash('sha256').update(await (await volume.openStream(path.toUpperCase(), stream)).read(0, want.size)).digest('hex')).toBe(want.sha256);
      }
      expect(volume.warnings).toEqual([]);
    });
  });
}

describe.skipIf(!fixturePath('ntfs-ramslack'))('ntfs-ramslack', () => {
  it('/1.txt is LZNT1-compressed and decodes', async () => {
    const volume = await open('ntfs-ramslack');
    const layout = await volume.streamLayout('/1.txt');
    expect(layout.encoding).toBe('lznt1');
    expect(layout.compressionUnit).toBe(16 * 4096);
    expect(volume.info.label).toBe('RAM Slack');
    expect(volume.info.serial).toBe('BAA85F5BA85F14EB');
  });
});

describe.skipIf(!fixturePath('ntfs-2m'))('ntfs-2m', () => {
  it('has 2 MiB clusters', async () => {
    const volume = await open('ntfs-2m');
    expect(volume.info.clusterSize).toBe(2 * 1024 * 1024);
    expect((await volume.readDir('/')).map((e) => e.name)).toEqual(['System Volume Information']);
  });
});

describe.skipIf(!fixturePath('ntfs-si-vs-fn'))('ntfs-si-vs-fn', () => {
  it('times come from $STANDARD_INFORMATION', async () => {
    const volume = await open('ntfs-si-vs-fn');
    const entry = await volume.stat('/test/test.txt');
    for (const time of Object.values(entry.times)) expect(nsToIso(time!).slice(0, 10)).toBe('2015-11-03');
    const listed = (await volume.readDir('/test')).find((e) => e.name === 'test.txt')!;
    expect(listed.times).toEqual(entry.times);
  });
});

describe.skipIf(!fixturePath('ntfs-lastaccess'))('ntfs-lastaccess', () => {
  it('atime is the $STANDARD_INFORMATION one, not the $I30 copy', async () => {
    const volume = await open('ntfs-lastaccess');
    const entry = await volume.stat('/test/1.txt');
    expect(entry.times.atime).not.toBe(entry.times.mtime);
    expect(entry.type).toBe('file');
  });
});
