/**
 * Paths from parent references: names whose parent is gone land under /$Orphan with a warning,
 * and directories that are their own ancestors end the walk instead of looping. Lone surrogates
 * display as U+FFFD and still look up.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { decodeUtf16 } from '../../src/fs/ntfs/utf16.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';
import { reparentRecord } from '../builders/ntfs/reparent.js';

const BUILT = buildNtfsVolume({
  clusterSize: 4096,
  root: {
    kind: 'dir',
    name: '',
    children: [
      { kind: 'file', name: 'lost.txt', data: new TextEncoder().encode('lost') },
      { kind: 'dir', name: 'a', children: [{ kind: 'dir', name: 'b', children: [{ kind: 'file', name: 'deep.txt', data: new Uint8Array(3) }] }] },
    ],
  },
});

/** Point the $FILE_NAME parent reference of `path`'s record at `parentRecord`. */
async function reparent(image: Uint8Array, path: string, parentRecord: number): Promise<void> {
  await reparentRecord(await openNtfs(new MemorySource(BUILT.image)), image, BUILT.records.get(path)!, parentRecord);
}

async function walkAll(image: Uint8Array): Promise<FileEntry[]> {
  const volume = await openNtfs(new MemorySource(image));
  const out: FileEntry[] = [];
  for await (const entry of volume.walk('/')) out.push(entry);
  return out;
}

describe('paths from parent references', () => {
  it('a name whose parent record does not exist is listed under /$Orphan', async () => {
    const image = BUILT.image.slice();
    await reparent(image, '/lost.txt', 60000);
    const entries = await walkAll(image);
    const lost = entries.find((e) => e.name === 'lost.txt')!;
    expect(lost.path).toBe('/$Orphan/lost.txt');
    expect(lost.warnings.map((w) => w.code)).toContain('ORPHAN');
  });

  it('a directory that is its own ancestor: listed once under /$Orphan, the walk ends', async () => {
    const image = BUILT.image.slice();
    await reparent(image, '/a', BUILT.records.get('/a/b')!);
    const paths = (await walkAll(image)).map((e) => e.path);
    expect(paths).toEqual(['/lost.txt', '/$Orphan/a', '/$Orphan/a/b', '/$Orphan/a/b/deep.txt']);
  });

  it('a name that begins with U+FEFF keeps it (not taken for a byte-order mark): listed, looked up, read', async () => {
    const name = '\ufeffbom.txt';
    const built = buildNtfsVolume({ clusterSize: 4096, root: { kind: 'dir', name: '', children: [{ kind: 'file', name, data: new TextEncoder().encode('bom') }] } });
    const volume = await openNtfs(new MemorySource(built.image));
    expect((await volume.readDir('/')).map((e) => e.name)).toContain(name);
    const stream = await volume.openStream(await volume.stat(`/${name}`));
    expect(new TextDecoder().decode(await stream.read(0, stream.size))).toBe('bom');
  });

  it('lone surrogates display as U+FFFD', () => {
    const bytes = Uint8Array.from([0x61, 0, 0x3d, 0xd8, 0x62, 0]); // 'a', lone high surrogate, 'b'
    expect(decodeUtf16(bytes, 0, 3)).toBe('a\ufffdb');
    const pair = Uint8Array.from([0x3d, 0xd8, 0x00, 0xde]);
    expect(decodeUtf16(pair, 0, 2)).toBe('😀');
  });
});
