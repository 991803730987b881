/**
 * A damaged index (bytes changed behind grt's back) gives a GrtError from every query that meets
 * the damage, never a crash or a made-up path: a folder's names blob that is not one, and a
 * version whose slot names no file of its folder.
 */
import Database from 'better-sqlite3';
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
