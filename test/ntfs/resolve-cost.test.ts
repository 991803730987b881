/**
 * Looking up a path describes only its last component: the directories on the way are checked
 * cheaply (directory flag, $I30 root, no reparse point) — their descriptions were thrown away.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import * as fileEntry from '../../src/fs/ntfs/file-entry.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { buildNtfsVolume, type NodeSpec } from '../builders/ntfs-builder.js';

vi.mock('../../src/fs/ntfs/file-entry.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/fs/ntfs/file-entry.js')>();
  return { ...original, describeFile: vi.fn(original.describeFile) };
});
const describeFile = vi.mocked(fileEntry.describeFile);

/** /d0/d1/.../d7/leaf.txt */
function nested(depth: number): NodeSpec {
  let node: NodeSpec = { kind: 'file', name: 'leaf.txt', data: new TextEncoder().encode('leaf') };
  for (let i = depth - 1; i >= 0; i--) node = { kind: 'dir', name: `d${i}`, children: [node] };
  return node;
}
const DEPTH = 8;
const BUILT = buildNtfsVolume({ root: { kind: 'dir', name: '', children: [nested(DEPTH), { kind: 'file', name: 'plain.txt', data: new Uint8Array(5) }] } });
const DEEP = `/${Array.from({ length: DEPTH }, (_, i) => `d${i}`).join('/')}/leaf.txt`;


describe('resolve describes only the last component', () => {
  it('stat of a deep path: one description, the right entry', async () => {
    const volume = await openNtfs(new MemorySource(BUILT.image));
    describeFile.mockClear();
    const entry = await volume.stat(DEEP);
    expect([entry.path, entry.type, entry.size]).toEqual([DEEP, 'file', 4]);
    expect(describeFile).toHaveBeenCalledTimes(1);
    const dir = await volume.stat('/D0/d1'); // case-insensitive lookup, exact spelling in the entry
    expect([dir.path, dir.type]).toEqual(['/d0/d1', 'dir']);
    expect(describeFile).toHaveBeenCalledTimes(2);
    expect((await volume.stat('/')).path).toBe('/');
  });

  it('readDir of a deep directory describes the directory and its children only', async () => {
    const volume = await openNtfs(new MemorySource(BUILT.image));
    describeFile.mockClear();
    const children = await volume.readDir(DEEP.slice(0, DEEP.lastIndexOf('/')));
    expect(children.map((c) => c.name)).toEqual(['leaf.txt']);
    expect(describeFile).toHaveBeenCalledTimes(2);
  });

  it('a file on the way is not a directory; a missing name is not found', async () => {
    const volume = await openNtfs(new MemorySource(BUILT.image));
    await expect(volume.stat('/plain.txt/x')).rejects.toMatchObject({ code: 'NOT_A_DIRECTORY', message: expect.stringContaining('/plain.txt is not a directory') });
    await expect(volume.stat('/d0/nope/leaf.txt')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a junction on the way is not followed (described to know its type)', async () => {
    const image = gunzipSync(readFileSync(new URL('../../test-images/ntfs-unit/n512.img.gz', import.meta.url)));
    const volume = await openNtfs(new MemorySource(new Uint8Array(image.buffer, image.byteOffset, image.length)));
    expect((await volume.stat('/junction')).type).toBe('junction');
    await expect(volume.stat('/junction/x')).rejects.toMatchObject({ code: 'NOT_A_DIRECTORY' });
  });
});
