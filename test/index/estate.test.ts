/**
 * The estate index's done-when over both back ends: thirty backups of three VMs are added,
 * searched (against the naive loop over their catalogs), versioned, diffed, pruned and restored
 * from (grt-extract --index, from the images the index recorded).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImageCatalog, openCatalog } from '../../src/catalog/index.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { openImage } from '../../src/image.js';
import { openIndex, type GrtIndex } from '../../src/index/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { catalogOf, catalogRows, day, expectedDiff, type Tree } from './catalogs.js';

const BACKUPS_PER_VM = 10;
/** Backups pruned per VM (the oldest), as a retention policy would. */
const PRUNED = 5;
/** Files of a synthetic VM: past the 128 rows SQLite stages per INSERT, and not a multiple of it. */
const FILES = 300;
/** pc1's backups are of the NTFS snapshot chain: base, child1, child2, each several days running. */
const CHAIN = ['ntfs-mbr.vmdk', 'ntfs-mbr-child1.vmdk', 'ntfs-mbr-child2.vmdk'];
const CHAIN_OF_BACKUP = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
/** sha256 of /chain/story.txt in child2 (extract.test.ts). */
const STORY_IN_CHILD2 = '8ab09d4334315e804d0fab54f19df8403316df0a1963d2d34460fece865e3398';

interface Backup {
  id: string;
  vm: string;
  time: Date;
  bytes: Uint8Array;
  catalog?: string;
  image?: string;
}

const dir = mkdtempSync(join(tmpdir(), 'grt-index-estate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const backups: Backup[] = [];

/**
 * A synthetic VM's tree at backup `b`: FILES lasting files, a few rewritten every third backup,
 * then files that last two backups (one added and one removed per backup). The lasting files come
 * first, so their MFT record numbers (given in order) stay the same from backup to backup.
 */
function treeAt(vm: number, b: number): Tree {
  const tree: Tree = {};
  const add = (i: number, rewrites: number) => {
    tree[`/vm${vm}/d${i % 7}/f${i}.${i % 50 === 0 ? 'xlsx' : 'txt'}`] = { data: 'x'.repeat((i % 40) + rewrites), time: day(rewrites) };
  };
  for (let i = 0; i < FILES; i++) add(i, i % 97 < 3 ? Math.floor((b + (i % 3)) / 3) : 0);
  for (let i = Math.max(0, b - 1); i <= b; i++) add(FILES + i, 0);
  return tree;
}

beforeAll(async () => {
  const chain: string[] = [];
  for (const [i, file] of CHAIN.entries()) {
    const image = await openImage(`test-images/ntfs/${file}`);
    try {
      chain.push(join(dir, `chain${i}.grtcat`));
      await buildImageCatalog(image, chain[i]);
    } finally {
      await image.close();
    }
  }
  for (let b = 0; b < BACKUPS_PER_VM; b++) {
    const time = new Date(Date.UTC(2024, 2, 1 + b));
    const c = CHAIN_OF_BACKUP[b]!;
    backups.push({ id: `pc1-${b}`, vm: 'pc1', time, bytes: readFileSync(chain[c]!), catalog: chain[c]!, image: resolve(`test-images/ntfs/${CHAIN[c]}`) });
    for (const vm of [2, 3]) backups.push({ id: `pc${vm}-${b}`, vm: `pc${vm}`, time, bytes: await catalogOf(treeAt(vm, b), `00000000000000A${vm}`) });
  }
  for (const b of backups.filter((x) => x.catalog === undefined)) writeFileSync((b.catalog = join(dir, `${b.id}.grtcat`)), b.bytes);
}, 120_000);

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** `backup volume:path` of every entry `glob` finds in each backup's catalog: the naive loop. */
async function naiveFind(of: Backup[], glob: string): Promise<string[]> {
  const out: string[] = [];
  for (const b of of) {
    const catalog = await openCatalog(b.bytes);
    for await (const entry of catalog.find(undefined, glob)) if (!entry.deleted) out.push(`${b.id} ${entry.path}`);
  }
  return out.sort();
}

async function indexFind(index: GrtIndex, glob: string): Promise<string[]> {
  return (await collect(index.find(glob))).map((r) => `${r.backup} ${r.path}`).sort();
}

async function restore(argv: string[]): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const code = await extract(argv, { stdout: { write: () => true }, stderr: { write: (c) => (err.push(String(c)), true) }, env: {} });
  return { code, stderr: err.join('') };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.each(BACKENDS)('%s', (backend) => {
  const newUrl = useBackend(backend);

  it('thirty backups of three VMs: added, searched, versioned, diffed, pruned and restored from', async () => {
    const url = await newUrl();
    const index = await openIndex(url);
    try {
      for (const b of backups) await index.add(b.catalog!, { backup: b.id, vm: b.vm, time: b.time, ...(b.image ? { image: b.image } : {}) });
      expect((await index.list()).length).toBe(30);
      expect((await index.list('pc2')).map((b) => b.backup)).toEqual(Array.from({ length: BACKUPS_PER_VM }, (_, b) => `pc2-${BACKUPS_PER_VM - 1 - b}`));
      for (const glob of ['*.xlsx', 'f1*', '/vm3/d2/*', 'story.txt']) expect(await indexFind(index, glob), glob).toEqual(await naiveFind(backups, glob));

      // A file rewritten every third backup: one version per rewrite, each with its backups.
      const path = `/vm2/d${97 % 7}/f97.txt`;
      const expected = new Map<string, string[]>();
      for (let b = BACKUPS_PER_VM - 1; b >= 0; b--) {
        const spec = treeAt(2, b)[path];
        if (spec) expected.set(String(spec.data), [...(expected.get(String(spec.data)) ?? []), `pc2-${b}`]);
      }
      const versions = await index.versions(path, 'pc2');
      expect(versions.map((v) => v.backups)).toEqual([...expected.values()]);
      expect(versions.length).toBeGreaterThan(2);

      for (const vm of ['pc1', 'pc2']) {
        for (const [a, b] of [[0, 1], [3, 4], [0, 9]]) {
          const [ba, bb] = [`${vm}-${a}`, `${vm}-${b}`].map((id) => backups.find((x) => x.id === id)!);
          const diff = (await collect(index.diff(ba!.id, bb!.id))).map((d) => `${d.change} ${d.volume}:${d.path}`).sort();
          expect(diff, `${ba!.id} → ${bb!.id}`).toEqual(expectedDiff(await catalogRows(ba!.bytes), await catalogRows(bb!.bytes)));
        }
      }

      const pruned = backups.filter((b) => Number(b.id.split('-')[1]) < PRUNED);
      for (const b of pruned) await index.remove(b.id);
      const kept = backups.filter((b) => !pruned.includes(b));
      expect((await index.list()).length).toBe(kept.length);
      for (const glob of ['*.xlsx', 'f2*', 'story.txt']) expect(await indexFind(index, glob), glob).toEqual(await naiveFind(kept, glob));
      expect((await index.versions(path, 'pc2')).flatMap((v) => v.backups).sort()).toEqual(kept.filter((b) => b.vm === 'pc2').map((b) => b.id).sort());
    } finally {
      await index.close();
    }

    // The newest version of story.txt is child2's; the oldest backup left holds child1's (12,000 bytes).
    const newest = join(dir, `${backend}-newest`);
    const result = await restore(['--index', url, '--version-of', '/chain/story.txt', '-o', newest]);
    expect(result.code, result.stderr).toBe(0);
    expect(sha256(join(newest, 'story.txt'))).toBe(STORY_IN_CHILD2);
    const oldest = join(dir, `${backend}-oldest`);
    const fromBackup = await restore(['--index', url, '--backup', `pc1-${PRUNED}`, '/chain/story.txt', '-o', oldest]);
    expect(fromBackup.code, fromBackup.stderr).toBe(0);
    expect(readFileSync(join(oldest, 'story.txt')).length).toBe(12_000);
    const gone = await restore(['--index', url, '--version-of', '/chain/story.txt', '--before', '2024-03-05T00:00:00Z', '-o', join(dir, 'none')]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/no backup with an image before/);
  }, 180_000);
});
