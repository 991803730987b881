/**
 * The estate index: every backup's catalog in one database, searched without opening catalogs.
 * `openIndex('file.sqlite')` is the embedded SQLite back end, `openIndex('postgres://…')` a
 * PostgreSQL server shared by several backup proxies; both run the same schema and operations.
 */
import type { Db } from './db.js';
import { addBackup, removeBackup, type AddOptions, type AddResult } from './ingest.js';
import { diffBackups, type DiffRow } from './diff.js';
import { findFiles, indexStats, listBackups, locate, locateVersion, pathVersions, type BackupInfo, type FindOptions, type FindRow, type IndexStats, type Location, type VersionChoice, type VersionInfo } from './query.js';
import { migrate } from './schema.js';

export { SCHEMA_VERSION } from './schema.js';
export { rowOf, microsFromNs, isoFromMicros, type VersionRow } from './row.js';
export type { AddOptions, AddResult, BackupInfo, DiffRow, FindOptions, FindRow, IndexStats, Location, VersionChoice, VersionInfo };

/** The database used when none is named: $GRT_INDEX, else this file in the working directory. */
export const DEFAULT_INDEX_FILE = 'grt-index.sqlite';

export class GrtIndex {
  private constructor(private readonly db: Db) {}

  static async open(url: string): Promise<GrtIndex> {
    const db = /^postgres(ql)?:\/\//i.test(url)
      ? await (await import('./postgres.js')).PostgresDb.open(url)
      : (await import('./sqlite.js')).SqliteDb.open(url);
    try {
      await db.transaction(async () => {
        // PostgreSQL: one migrating process at a time (a transaction-scoped advisory lock).
        if (db.dialect === 'postgres') await db.run('SELECT pg_advisory_xact_lock(7274696)');
        await migrate(db);
      });
    } catch (error) {
      await db.close();
      throw error;
    }
    return new GrtIndex(db);
  }

  get dialect(): Db['dialect'] {
    return this.db.dialect;
  }

  add(catalog: string | Uint8Array, options?: AddOptions): Promise<AddResult> {
    return addBackup(this.db, catalog, options);
  }

  remove(backup: string): Promise<void> {
    return removeBackup(this.db, backup);
  }

  list(vm?: string): Promise<BackupInfo[]> {
    return listBackups(this.db, vm);
  }

  find(glob: string, options?: FindOptions): AsyncIterable<FindRow> {
    return findFiles(this.db, glob, options);
  }

  versions(path: string, vm?: string): Promise<VersionInfo[]> {
    return pathVersions(this.db, path, vm);
  }

  diff(a: string, b: string): AsyncIterable<DiffRow> {
    return diffBackups(this.db, a, b);
  }

  stats(): Promise<IndexStats> {
    return indexStats(this.db);
  }

  locate(backup: string, path: string): Promise<Location> {
    return locate(this.db, backup, path);
  }

  /** The newest backup before `before` holding `path` live, and where to restore it from. */
  locateVersion(path: string, options?: VersionChoice): Promise<Location> {
    return locateVersion(this.db, path, options);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** Opens (creating or migrating) the index at `url`: a SQLite file path or a postgres:// URL. */
export function openIndex(url: string): Promise<GrtIndex> {
  return GrtIndex.open(url);
}
