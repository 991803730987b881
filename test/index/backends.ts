/**
 * The back ends every index test runs over: SQLite files in a temporary folder, and databases on
 * a throwaway PostgreSQL cluster (skipped with a message when PostgreSQL is not installed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { postgresBinDir, startPostgres, type PgServer } from './pg-server.js';

export type BackendName = 'sqlite' | 'postgres';

export const POSTGRES_AVAILABLE = postgresBinDir() !== undefined;
if (!POSTGRES_AVAILABLE) console.warn('index tests: PostgreSQL (initdb, pg_ctl) is not installed; its half of the matrix is skipped');

export const BACKENDS: BackendName[] = POSTGRES_AVAILABLE ? ['sqlite', 'postgres'] : ['sqlite'];

/** Registers setup/teardown for `name` in the enclosing describe; returns a maker of fresh, empty index URLs. */
export function useBackend(name: BackendName): () => Promise<string> {
  let dir = '';
  let server: PgServer | undefined;
  let next = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'grt-index-'));
    if (name === 'postgres') {
      const started = await startPostgres();
      if (typeof started === 'string') throw new Error(started);
      server = started;
    }
  }, 120_000);
  afterAll(() => {
    server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return async () => (server ? server.newDatabase() : join(dir, `index-${next++}.sqlite`));
}
