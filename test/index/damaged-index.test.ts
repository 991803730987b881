/**
 * A damaged index (bytes changed behind grt's back) gives a GrtError from every query that meets
 * the damage, never a crash or a made-up path: a folder's names blob that is not one, a version
 * whose slot names no file of its folder, and a gram list that is not one or names a missing folder.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { openIndex } from '../../src/index/index.js';
import { catalogOf, day } from './catalogs.js';

const dir = mkdtempSync(join(tmpdir(), 'grt-index-damage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

async function indexWithTwoBackups(name: string): Promise<string> {
  const path = join(dir, name);
  const index = await openIndex(path);
  await index.add(await catalogOf({ '/d/a.txt': { data: 'a', time: day(1) } }), { backup: 'b1', vm: 'v', time: new Date(Date.UTC(2024, 0, 1)) });
  await index.add(await catalogOf({ '/d/a.txt': { data: 'ab', time: day(2) } }), { backup: 'b2', vm: 'v', time: new Date(Date.UTC(2024, 0, 2)) });
  await index.close();
  return path;
}

function damage(path: string, sql: string): void {
  const raw = new Database(path);
  raw.prepare(sql).run();
  raw.close();
}

async function expectGrtError(promise: Promise<unknown>): Promise<void> {
  expect(await promise.then(() => undefined, (e: unknown) => e)).toBeInstanceOf(GrtError);
}

it('a names blob that is not one: find, versions and diff give a GrtError', async () => {
  const path = await indexWithTwoBackups('blob.sqlite');
  damage(path, "UPDATE folders SET names = x'05ff' WHERE path = '/d'");
  const index = await openIndex(path);
  try {
    await expectGrtError(collect(index.find('*.txt')));
    await expectGrtError(index.versions('/d/a.txt'));
    await expectGrtError(collect(index.diff('b1', 'b2')));
  } finally {
    await index.close();
  }
});

it('a version whose slot names no file: diff gives a GrtError', async () => {
  const path = await indexWithTwoBackups('slot.sqlite');
  damage(path, 'UPDATE versions SET slot = 99');
  const index = await openIndex(path);
  try {
    await expectGrtError(collect(index.diff('b1', 'b2')));
    expect(await collect(index.find('*.txt'))).toEqual([]);
  } finally {
    await index.close();
  }
});

it('a gram list that is not one: substring finds and a remove give a GrtError, a list naming a missing folder finds nothing', async () => {
  for (const [n, blob] of ["x'80'", "x'0200'", "x'ffffffffffffffffff01'"].entries()) {
    const path = await indexWithTwoBackups(`grams-${n}.sqlite`);
    damage(path, `UPDATE gram_folders SET folders = ${blob} WHERE gram = 'ta.t'`);
    const index = await openIndex(path);
    try {
      await expectGrtError(collect(index.find('*a.t*')));
      // Other grams still serve.
      expect((await collect(index.find('*.txt'))).map((r) => r.backup)).toEqual(['b2', 'b1']);
    } finally {
      await index.close();
    }
  }
  const path = await indexWithTwoBackups('grams-missing.sqlite');
  damage(path, "UPDATE gram_folders SET folders = x'e707' WHERE gram = 'ta.t'");
  const index = await openIndex(path);
  try {
    expect(await collect(index.find('*a.t*'))).toEqual([]);
  } finally {
    await index.close();
  }
});

it('random bytes for a gram list: find gives rows or a GrtError, never another error', async () => {
  const path = await indexWithTwoBackups('grams-fuzz.sqlite');
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 24 }), async (bytes) => {
      damage(path, `UPDATE gram_folders SET folders = x'${Buffer.from(bytes).toString('hex')}' WHERE gram = 'ta.t'`);
      const index = await openIndex(path);
      try {
        const result = await collect(index.find('*a.t*')).then((rows) => rows, (e: unknown) => e);
        if (!Array.isArray(result)) expect(result).toBeInstanceOf(GrtError);
      } finally {
        await index.close();
      }
    }),
    { numRuns: 60 },
  );
});
