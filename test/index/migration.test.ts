/**
 * An index of schema version 1 or 2 (made here with the tables schema.ts keeps for them, and rows
 * as grt of that version wrote them) is migrated in place on open, on both back ends: the same
 * backups, files, versions and differences answer afterwards, substring globs are served by the
 * gram lists, and the older tables are gone.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { encodeFacts, type VersionFacts } from '../../src/index/facts.js';
import { openIndex } from '../../src/index/index.js';
import { encodeFolderNames } from '../../src/index/folder-names.js';
import { schemaV1, schemaV2 } from '../../src/index/schema.js';
import { BACKENDS, useBackend, type BackendName } from './backends.js';

const T0 = 1_704_067_200_000_000n;
const facts = (size: number, day: number): Uint8Array => {
  const f: VersionFacts = { type: 0, size, mtime: T0 + BigInt(day) * 86_400_000_000n, ctime: T0, record: 40 + size, sequence: 1, attributes: 0x20 };
  return encodeFacts(f);
};

/** What grt with schema 1 stored for two backups of pc1: /a.txt unchanged, /Users/b.xlsx changed, /gone.txt only in the first. */
const V1_ROWS: [string, unknown[]][] = [
  ["INSERT INTO meta (key, value) VALUES ('schema_version', '1')", []],
  ["INSERT INTO vms (id, name, last_ordinal) VALUES (1, 'pc1', 2)", []],
  ...[1, 2].map((ord): [string, unknown[]] => [
    `INSERT INTO backups (id, backup, vm_id, ordinal, time_us, catalog, image, catalog_sha256, volumes, files, bytes, with_deleted)
     VALUES (?, ?, 1, ?, ?, NULL, NULL, ?, '[]', 2, 10, 0)`,
    [ord, `b${ord}`, ord, T0 + BigInt(ord) * 86_400_000_000n, `sha${ord}`],
  ]),
  ["INSERT INTO dirs (id, path) VALUES (1, '/'), (2, '/Users')", []],
  ["INSERT INTO owners (id, owner) VALUES (1, 'S-1-5-18')", []],
  ["INSERT INTO paths (id, dir_id, name) VALUES (1, 1, 'a.txt'), (2, 2, 'b.xlsx'), (3, 1, 'gone.txt')", []],
  [
    `INSERT INTO versions (vm_id, path_id, volume, deleted, first_ord, last_ord, owner_id, facts)
     VALUES (1, 1, 1, 0, 1, NULL, 1, ?), (1, 2, 1, 0, 1, 1, 0, ?), (1, 2, 1, 0, 2, NULL, 0, ?), (1, 3, 1, 0, 1, 1, 0, ?)`,
    [facts(3, 0), facts(5, 0), facts(6, 1), facts(1, 0)],
  ],
];

/**
 * The same two backups as grt with schema 2 stored them: a folder row per folder with its names
 * packed, name_grams rows of their prefixes and extensions, versions by (folder, slot).
 */
const V2_ROWS: [string, unknown[]][] = [
  ...V1_ROWS.filter(([sql]) => /INTO (vms|backups|owners) /.test(sql)),
  ["INSERT INTO meta (key, value) VALUES ('schema_version', '2')", []],
  ['INSERT INTO folders (id, vm_id, volume, path, names) VALUES (1, 1, 1, ?, ?), (2, 1, 1, ?, ?)', ['/', encodeFolderNames(['a.txt', 'gone.txt']), '/Users', encodeFolderNames(['b.xlsx'])]],
  ["INSERT INTO name_grams (gram, folder_id) VALUES ('pa.t', 1), ('etxt', 1), ('pgon', 1), ('pb.x', 2), ('exlsx', 2)", []],
  [
    `INSERT INTO versions (folder_id, slot, deleted, first_ord, last_ord, owner_id, facts)
     VALUES (1, 0, 0, 1, NULL, 1, ?), (2, 0, 0, 1, 1, 0, ?), (2, 0, 0, 2, NULL, 0, ?), (1, 1, 0, 1, 1, 0, ?)`,
    [facts(3, 0), facts(5, 0), facts(6, 1), facts(1, 0)],
  ],
];

/** An index of schema `version` (1 or 2) at `url`, made with raw SQL. */
async function makeOld(backend: BackendName, url: string, version: 1 | 2): Promise<void> {
  const statements = ['CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)', ...(version === 1 ? schemaV1(backend) : schemaV2(backend))];
  const rows = version === 1 ? V1_ROWS : V2_ROWS;
  if (backend === 'sqlite') {
    const raw = new Database(url);
    for (const sql of statements) raw.prepare(sql).run();
    for (const [sql, params] of rows) raw.prepare(sql).run(...params);
    raw.close();
    return;
  }
  const raw = new pg.Client({ connectionString: url });
  await raw.connect();
  try {
    for (const sql of statements) await raw.query(sql);
    for (const [sql, params] of rows) {
      let n = 0;
      await raw.query(sql.replace(/\?/g, () => `$${++n}`), params.map((p) => (typeof p === 'bigint' ? String(p) : p instanceof Uint8Array ? Buffer.from(p) : p)));
    }
  } finally {
    await raw.end();
  }
}

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

describe.each(BACKENDS)('%s', (backend) => {
  const newUrl = useBackend(backend);

  it.each([1, 2] as const)('a schema %i index is migrated in place when opened, and answers as before', async (version) => {
    const url = await newUrl();
    await makeOld(backend, url, version);
    const index = await openIndex(url);
    try {
      expect((await index.list()).map((b) => b.backup)).toEqual(['b2', 'b1']);
      expect((await collect(index.find('*.xlsx'))).map((r) => [r.backup, r.path, r.size])).toEqual([['b2', '/Users/b.xlsx', 6], ['b1', '/Users/b.xlsx', 5]]);
      expect((await collect(index.find('a*'))).map((r) => [r.backup, r.path, r.owner])).toEqual([['b2', '/a.txt', 'S-1-5-18'], ['b1', '/a.txt', 'S-1-5-18']]);
      expect((await index.versions('/Users/b.xlsx')).map((v) => [v.size, v.backups])).toEqual([[6, ['b2']], [5, ['b1']]]);
      const diff = (await collect(index.diff('b1', 'b2'))).map((d) => `${d.change} ${d.path}`).sort();
      expect(diff).toEqual(['changed /Users/b.xlsx', 'removed /gone.txt']);
      // Substrings are found through the gram lists built from the stored names.
      expect((await collect(index.find('*ONE.t*'))).map((r) => [r.backup, r.path])).toEqual([['b1', '/gone.txt']]);
      expect((await collect(index.find('?.xls*'))).map((r) => [r.backup, r.path])).toEqual([['b2', '/Users/b.xlsx'], ['b1', '/Users/b.xlsx']]);
      const stats = await index.stats();
      expect(stats.rows).toMatchObject({ backups: 2, versions: 4, folders: 2, owners: 1 });
      // The next add and a remove work on the migrated tables.
      await index.remove('b1');
      expect((await collect(index.find('*'))).map((r) => r.path).sort()).toEqual(['/Users/b.xlsx', '/a.txt']);
    } finally {
      await index.close();
    }
    const tables = await tableNames(backend, url);
    expect(tables).toEqual(expect.arrayContaining(['folders', 'gram_folders', 'versions']));
    expect(tables).not.toContain('name_grams');
    expect(tables).not.toContain('paths');
    expect(tables).not.toContain('dirs');
    expect(tables).not.toContain('versions_v2');
  });
});

/** The tables of the index at `url`, and its schema version. */
async function tableNames(backend: BackendName, url: string): Promise<string[]> {
  if (backend === 'sqlite') {
    const raw = new Database(url, { readonly: true });
    try {
      expect(raw.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({ value: '3' });
      return raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => (r as { name: string }).name);
    } finally {
      raw.close();
    }
  }
  const raw = new pg.Client({ connectionString: url });
  await raw.connect();
  try {
    expect((await raw.query("SELECT value FROM meta WHERE key = 'schema_version'")).rows).toEqual([{ value: '3' }]);
    return (await raw.query('SELECT tablename FROM pg_tables WHERE schemaname = current_schema()')).rows.map((r: { tablename: string }) => r.tablename);
  } finally {
    await raw.end();
  }
}
