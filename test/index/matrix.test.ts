/**
 * The index operations over both back ends (one matrix): a snapshot chain's backups give the
 * right versions and diffs, add/remove semantics, SQL text in names, damaged catalogs and newer
 * databases refused, and the same answers from SQLite and PostgreSQL.
 */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { openIndex, type GrtIndex } from '../../src/index/index.js';
import { BACKENDS, useBackend, type BackendName } from './backends.js';
import { catalogOf, catalogRows, day, expectedDiff, imageCatalog, type Tree } from './catalogs.js';

const CHAIN = ['ntfs-mbr.vmdk', 'ntfs-mbr-child1.vmdk', 'ntfs-mbr-child2.vmdk'];
const TIMES = ['2024-03-01T00:00:00Z', '2024-03-02T00:00:00Z', '2024-03-03T00:00:00Z'].map((t) => new Date(t));
let chain: Uint8Array[] = [];

beforeAll(async () => {
  chain = [];
  for (const file of CHAIN) {
    chain.push(await imageCatalog(`test-images/ntfs/${file}`));
  }
}, 60_000);

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

async function addChain(index: GrtIndex): Promise<void> {
  for (const [i, bytes] of chain.entries()) await index.add(bytes, { backup: `c${i}`, vm: 'chain', time: TIMES[i]! });
}

async function expectGrtError(promise: Promise<unknown>, code?: string): Promise<GrtError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(GrtError);
  if (code) expect((error as GrtError).code).toBe(code);
  return error as GrtError;
}

/** What a standard scenario answers, per back end, compared at the end. */
const answers = new Map<BackendName, unknown>();

describe.each(BACKENDS)('%s', (backend) => {
  const newUrl = useBackend(backend);
  let index: GrtIndex;
  const fresh = async () => (index = await openIndex(await newUrl()));
  afterAll(async () => index?.close());

  it('a snapshot chain: each version once with its backups, unchanged files one version, diffs exact', async () => {
    await fresh();
    await addChain(index);
    const story = await index.versions('/chain/story.txt');
    expect(story.map((v) => v.backups)).toEqual([['c2'], ['c1'], ['c0']]);
    expect(story.slice(0, 2).map((v) => v.size)).toEqual([3000, 12000]);
    const [base] = [...(await catalogRows(chain[0]!)).keys()].filter((k) => k.endsWith('.txt') && !k.includes('/chain/')).slice(0, 1);
    const unchanged = await index.versions(base!.slice(base!.indexOf(':') + 1));
    expect(unchanged).toHaveLength(1);
    expect(unchanged[0]!.backups).toEqual(['c2', 'c1', 'c0']);
    for (const [a, b] of [[0, 1], [1, 2], [0, 2]] as const) {
      const expected = expectedDiff(await catalogRows(chain[a]!), await catalogRows(chain[b]!));
      const diff = await collect(index.diff(`c${a}`, `c${b}`));
      expect(diff.map((d) => `${d.change} ${d.volume}:${d.path}`).sort()).toEqual(expected);
      expect(diff.map((d) => d.path)).toContain('/chain/story.txt');
    }
    expect((await collect(index.diff('c1', 'c2'))).filter((d) => d.change === 'added').map((d) => d.path)).toContain('/chain/added-in-child2.txt');
    answers.set(backend, {
      list: await index.list(),
      find: await collect(index.find('*.txt')),
      paths: await collect(index.find('/chain/**')),
      versions: story,
      diff: await collect(index.diff('c0', 'c2')),
      stats: { ...(await index.stats()), bytes: 0 },
    });
  });

  it('the same id with the same catalog is a no-op, with another an error; a new id is a new backup sharing every version', async () => {
    await fresh();
    expect((await index.add(chain[0]!, { backup: 'x', vm: 'v', time: TIMES[0]! })).added).toBe(true);
    const before = await index.stats();
    expect((await index.add(chain[0]!, { backup: 'x', vm: 'v', time: TIMES[0]! })).added).toBe(false);
    await expectGrtError(index.add(chain[1]!, { backup: 'x', vm: 'v', time: TIMES[1]! }), 'EXISTS');
    expect(await index.stats()).toEqual(before);
    await index.add(chain[0]!, { backup: 'y', vm: 'v', time: TIMES[1]! });
    const after = await index.stats();
    expect(after.rows.versions).toBe(before.rows.versions);
    expect(after.backups).toBe(2);
    expect((await index.list()).map((b) => b.backup)).toEqual(['y', 'x']);
  });

  it('remove then add again gives the same answers; remove drops versions no backup holds', async () => {
    await fresh();
    await addChain(index);
    const find = await collect(index.find('*'));
    const versions = await index.versions('/chain/story.txt');
    await index.remove('c1');
    expect((await index.versions('/chain/story.txt')).map((v) => v.backups)).toEqual([['c2'], ['c0']]);
    expect((await collect(index.find('*'))).some((r) => r.backup === 'c1')).toBe(false);
    await expectGrtError(index.remove('c1'), 'NOT_FOUND');
    await index.add(chain[1]!, { backup: 'c1', vm: 'chain', time: TIMES[1]! });
    expect(await collect(index.find('*'))).toEqual(find);
    expect(await index.versions('/chain/story.txt')).toEqual(versions);
  });

  it('names that are SQL are data: found by their own globs, nothing else touched', async () => {
    await fresh();
    const names = ["'; DROP TABLE versions; --", '100%', 'a_b', 'x" OR "1"="1', 'back\\slash', "it's"];
    const tree: Tree = Object.fromEntries(names.map((n, i) => [`/sql/${n}`, { data: `d${i}`, time: day(i) }]));
    tree['/sql/aXb'] = { data: 'decoy' };
    await index.add(await catalogOf(tree), { backup: "b'1", vm: "vm'; --", time: TIMES[0]! });
    for (const name of names) {
      const literal = name.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
      expect((await collect(index.find(literal))).map((r) => r.path)).toEqual([`/sql/${name}`]);
    }
    expect((await collect(index.find('a?b'))).map((r) => r.path).sort()).toEqual(['/sql/aXb', '/sql/a_b']);
    expect((await index.versions("/sql/'; DROP TABLE versions; --"))[0]!.backups).toEqual(["b'1"]);
    expect((await index.stats()).rows.versions).toBe(names.length + 2);
  });

  it('a damaged, truncated or future-version catalog is refused and nothing is written', async () => {
    await fresh();
    await index.add(chain[0]!, { backup: 'ok', vm: 'v', time: TIMES[0]! });
    const before = { stats: await index.stats(), find: await collect(index.find('*')) };
    const good = chain[1]!;
    const future = good.slice();
    future[8] = 0xff;
    const damaged: Uint8Array[] = [good.subarray(0, good.length >> 1), good.subarray(0, 10), future];
    for (let k = 0; k < 6; k++) {
      const bad = good.slice();
      bad[Math.floor(((k + 0.5) / 6) * bad.length)]! ^= 0x5a;
      damaged.push(bad);
    }
    for (const bytes of damaged) {
      const result = await index.add(bytes, { backup: 'bad', vm: 'v', time: TIMES[1]! }).then(() => undefined, (e: unknown) => e);
      expect(result).toBeInstanceOf(GrtError);
      expect({ stats: await index.stats(), find: await collect(index.find('*')) }).toEqual(before);
    }
  });

  it('an index written by a newer grt is refused with a clear message', async () => {
    const url = await newUrl();
    await (await openIndex(url)).close();
    if (backend === 'sqlite') {
      const raw = new Database(url);
      raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
      raw.close();
    } else {
      const raw = new pg.Client({ connectionString: url });
      await raw.connect();
      await raw.query("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
      await raw.end();
    }
    const error = await expectGrtError(openIndex(url), 'UNSUPPORTED');
    expect(error.message).toMatch(/newer grt.*schema 99/);
  });
});

describe.skipIf(BACKENDS.length < 2)('back ends agree', () => {
  it('SQLite and PostgreSQL give identical answers to the chain scenario', () => {
    expect(answers.get('postgres')).toEqual(answers.get('sqlite'));
  });
});

it('a file that is not an index is refused with a GrtError', async () => {
  const path = 'test-images/ntfs/manifest.json';
  expect(readFileSync(path).length).toBeGreaterThan(0);
  await expectGrtError(openIndex(path));
});
