/**
 * Name search reads only candidate folders: a glob with three consecutive literal characters
 * anywhere is served by the gram lists, counted as the folder-name blobs the database hands back
 * (a Db wrapper), on both back ends; a remove takes a gone name's folder out of its grams' lists;
 * two PostgreSQL adds merging into one list at once both keep their folders.
 */
import { describe, expect, it } from 'vitest';
import type { Db, Param, Row } from '../../src/index/db.js';
import { addBackup, removeBackup } from '../../src/index/ingest.js';
import { foldersWithGrams, GramWriter } from '../../src/index/gram-lists.js';
import { gramTerms, matchingNames } from '../../src/index/names.js';
import { PostgresDb } from '../../src/index/postgres.js';
import { migrate } from '../../src/index/schema.js';
import { SqliteDb } from '../../src/index/sqlite.js';
import { BACKENDS, useBackend, type BackendName } from './backends.js';
import { catalogOf, day, type Tree } from './catalogs.js';

const FOLDERS = 30;

/** FOLDERS folders of a few files; one folder holds the budget and, in the first backup only, a one-off name. */
function tree(first: boolean): Tree {
  const out: Tree = {};
  for (let d = 0; d < FOLDERS; d++) {
    for (const name of ['notes.txt', `file${d}.docx`, 'img.jpg']) out[`/d${d}/${name}`] = { data: 'x', time: day(0) };
  }
  out['/d7/Budget 2024.xlsx'] = { data: 'b', time: day(0) };
  if (first) out['/d9/zqwone.tmp'] = { data: 'z', time: day(0) };
  return out;
}

/** `db` with a count of the folder-name blobs (rows with a `names` column) its queries returned. */
function counting(db: Db): { db: Db; blobs: () => number } {
  let blobs = 0;
  const seen = (row: Row) => (row.names !== undefined ? blobs++ : 0);
  const wrapped = new Proxy(db, {
    get(target, key) {
      if (key === 'all') return async (sql: string, params?: Param[]) => (await target.all(sql, params)).map((r) => (seen(r), r));
      if (key === 'iterate') {
        return async function* (sql: string, params?: Param[]) {
          for await (const row of target.iterate(sql, params)) (seen(row), yield row);
        };
      }
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: wrapped, blobs: () => blobs };
}

async function open(backend: BackendName, url: string): Promise<Db> {
  const db = backend === 'sqlite' ? SqliteDb.open(url) : await PostgresDb.open(url);
  await db.transaction(() => migrate(db));
  return db;
}

it('a glob\'s gram terms: trigrams of every literal run, its literal start and extension; none without a literal', () => {
  expect(gramTerms('*budget*')).toEqual(['tbud', 'tudg', 'tdge', 'tget'].map((gram) => ({ gram })));
  expect(gramTerms('?udget*')).toEqual(['tudg', 'tdge', 'tget'].map((gram) => ({ gram })));
  expect(gramTerms('Bud*.XLSX')).toEqual(['pbud', 'exlsx', 'tbud', 't.xl', 'txls', 'tlsx'].map((gram) => ({ gram })));
  // A literal start shorter than a prefix gram is a range, read only when nothing else narrows.
  expect(gramTerms('Bu*.XLSX')).toEqual(['exlsx', 't.xl', 'txls', 'tlsx'].map((gram) => ({ gram })));
  expect(gramTerms('ab*')).toEqual([{ from: 'pab', to: 'pac' }]);
  // A class's members and escaped characters are no literals: `[abc]de*` has only 'de' after the class.
  expect(gramTerms('*[abc]de*')).toEqual([]);
  expect(gramTerms('*\\*ab*')).toEqual([]);
  for (const glob of ['*', '?*', '*x*', '*sx', '*ü*ü*']) expect(gramTerms(glob), glob).toEqual([]);
});

describe.each(BACKENDS)('%s', (backend) => {
  const newUrl = useBackend(backend);

  it('substring globs read only the folders holding their trigrams; a remove prunes a gone name', async () => {
    const raw = await open(backend, await newUrl());
    try {
      await addBackup(raw, await catalogOf(tree(true)), { backup: 'b1', vm: 'pc', time: new Date(Date.UTC(2024, 0, 1)) });
      await addBackup(raw, await catalogOf(tree(false)), { backup: 'b2', vm: 'pc', time: new Date(Date.UTC(2024, 0, 2)) });
      for (const glob of ['*budget*', '*dget 2024.xl*', '?udget*', '*DGET*', '*024.xlsx']) {
        const { db, blobs } = counting(raw);
        const found = await matchingNames(db, glob);
        expect(found.matches.map((m) => `${m.dir}/${m.name}`), glob).toEqual(['/d7/Budget 2024.xlsx']);
        expect(found.plan).toBe('grams');
        expect(blobs(), glob).toBe(1);
      }
      // The one-off name is found while a backup holds it; once that backup is removed its folder is no candidate.
      const before = counting(raw);
      expect((await matchingNames(before.db, '*qwo*')).matches.map((m) => m.name)).toEqual(['zqwone.tmp']);
      expect(before.blobs()).toBe(1);
      await removeBackup(raw, 'b1');
      const after = counting(raw);
      expect((await matchingNames(after.db, '*qwo*')).matches).toEqual([]);
      expect(after.blobs()).toBe(0);
      // The folder keeps its other names, found as before.
      expect((await matchingNames(raw, 'notes.txt', 'f.path = ?', ['/d9'])).matches.map((m) => m.name)).toEqual(['notes.txt']);
      // Globs without a usable literal still read every folder (README "grt-index").
      const scan = counting(raw);
      expect((await matchingNames(scan.db, '*x*')).plan).toBe('scan');
      expect(scan.blobs()).toBe(FOLDERS + 1);
    } finally {
      await raw.close();
    }
  });

  it.runIf(backend === 'postgres')('two adds merging into one gram list at once keep both folders', async () => {
    const url = await newUrl();
    const [first, second] = [await open(backend, url), await open(backend, url)];
    try {
      await first.run('BEGIN');
      const one = new GramWriter(first);
      one.add('tabc', 1);
      await one.flush();
      // The second add merges while the first has not committed; it must wait and merge into the first's list.
      const later = second.transaction(async () => {
        const two = new GramWriter(second);
        two.add('tabc', 2);
        await two.flush();
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await first.run('COMMIT');
      await later;
      expect(await foldersWithGrams(first, [{ gram: 'tabc' }])).toEqual([1, 2]);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
