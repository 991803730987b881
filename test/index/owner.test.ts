/**
 * Owners per version: `find --owner` selects the versions a POSIX uid (or an NTFS owner SID, once
 * the catalog records it) owns, over both back ends; rowOf takes the SID before the uid.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/catalog/index.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { openIndex, rowOf, type FindRow, type GrtIndex } from '../../src/index/index.js';
import { FakeFs } from '../helpers/fake-fs.js';
import { BACKENDS, useBackend } from './backends.js';
import { bindingFor, day, type Tree } from './catalogs.js';

/** A catalog of `tree` whose entries at the given paths carry those uids. */
async function catalogWithUids(tree: Tree, uids: Record<string, number>): Promise<Uint8Array> {
  const fs = new FakeFs(tree);
  // stat hands out the fake's own entry: setting uid there is what its walk yields too.
  for (const [path, uid] of Object.entries(uids)) (await fs.stat(path)).uid = uid;
  return buildCatalog({ binding: bindingFor('00000000000000AB'), volumes: [{ index: 1, start: 1_048_576, fs }] });
}

async function collect(rows: AsyncIterable<FindRow>): Promise<string[]> {
  const out: string[] = [];
  for await (const r of rows) out.push(`${r.backup} ${r.path} ${r.owner ?? '-'}`);
  return out;
}

it('rowOf records the NTFS owner SID when there is one, else the POSIX uid, else none', () => {
  const entry = { path: '/a', name: 'a', type: 'file', size: 0, times: { mtime: 0n, atime: 0n, ctime: 0n }, streams: [], links: 1, id: { record: 1, sequence: 1 }, warnings: [] } as FileEntry;
  expect(rowOf(1, entry).owner).toBeNull();
  expect(rowOf(1, { ...entry, uid: 0 }).owner).toBe('0');
  expect(rowOf(1, { ...entry, uid: 7, security: { owner: 'S-1-5-18' } }).owner).toBe('S-1-5-18');
});

describe.each(BACKENDS)('%s', (backend) => {
  const newUrl = useBackend(backend);
  let index: GrtIndex | undefined;
  afterAll(async () => index?.close());

  it('find --owner selects the versions of that owner; a change of owner is a new version', async () => {
    index = await openIndex(await newUrl());
    const tree: Tree = { '/home/a.txt': { data: 'a', time: day(1) }, '/home/b.txt': { data: 'b', time: day(1) }, '/root/c.txt': { data: 'c', time: day(1) } };
    await index.add(await catalogWithUids(tree, { '/home/a.txt': 1000, '/home/b.txt': 1001, '/root/c.txt': 0 }), { backup: 'b1', vm: 'v', time: new Date(Number(day(2) / 1_000_000n)) });
    await index.add(await catalogWithUids(tree, { '/home/a.txt': 1001, '/home/b.txt': 1001, '/root/c.txt': 0 }), { backup: 'b2', vm: 'v', time: new Date(Number(day(3) / 1_000_000n)) });
    expect(await collect(index.find('*.txt', { owner: '1001' }))).toEqual(['b2 /home/a.txt 1001', 'b2 /home/b.txt 1001', 'b1 /home/b.txt 1001']);
    expect(await collect(index.find('*.txt', { owner: '1000' }))).toEqual(['b1 /home/a.txt 1000']);
    expect(await collect(index.find('*.txt', { owner: 'S-1-5-18' }))).toEqual([]);
    expect((await index.versions('/home/a.txt')).map((v) => [v.owner, v.backups])).toEqual([['1001', ['b2']], ['1000', ['b1']]]);
    expect((await index.versions('/root/c.txt')).map((v) => [v.owner, v.backups])).toEqual([['0', ['b2', 'b1']]]);
  });
});
