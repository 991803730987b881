/**
 * An add's merge runs with a small main page cache (SQLite): the sorter of its INSERT … SELECT
 * keeps in memory as much as that cache may hold, which made the peak RSS of a big add. The
 * connection's own cache size comes back afterwards, also when the merge fails.
 */
import { describe, expect, it } from 'vitest';
import type { Db, Param } from '../../src/index/db.js';
import { addBackup } from '../../src/index/ingest.js';
import { migrate } from '../../src/index/schema.js';
import { SqliteDb } from '../../src/index/sqlite.js';
import { useBackend } from './backends.js';
import { catalogOf, day } from './catalogs.js';

/** `db` with each `INSERT INTO versions` preceded by a look at the cache size it runs under (`seen`). */
function watched(db: Db, seen: number[], fail = false): Db {
  return new Proxy(db, {
    get(target, key) {
      if (key === 'run') {
        return async (sql: string, params?: Param[]) => {
          if (sql.trimStart().startsWith('INSERT INTO versions')) {
            const [row] = await target.all('PRAGMA main.cache_size');
            seen.push(Number(row!.cache_size));
            if (fail) throw new Error('merge failed');
          }
          return target.run(sql, params);
        };
      }
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('sqlite', () => {
  const newUrl = useBackend('sqlite');

  it('the merge runs under a 4 MiB page cache; the connection\'s cache size is restored after, even on failure', async () => {
    const db = SqliteDb.open(await newUrl());
    try {
      await db.transaction(() => migrate(db));
      await db.run('PRAGMA main.cache_size = -12345');
      const seen: number[] = [];
      const bytes = await catalogOf({ '/a.txt': { data: 'a', time: day(1) }, '/d/b.txt': { data: 'b', time: day(2) } });
      await addBackup(watched(db, seen), bytes, { backup: 'b1', vm: 'vm', time: new Date(Date.UTC(2024, 0, 1)) });
      await expect(addBackup(watched(db, seen, true), bytes, { backup: 'b2', vm: 'vm', time: new Date(Date.UTC(2024, 0, 2)) })).rejects.toThrow('merge failed');
      expect(seen).toEqual([-4096, -4096]);
      const [row] = await db.all('PRAGMA main.cache_size');
      expect(Number(row!.cache_size)).toBe(-12345);
    } finally {
      await db.close();
    }
  });
});
