/**
 * What the index operations need of a database, so one set of SQL serves SQLite and PostgreSQL.
 * SQL is written with `?` placeholders (PostgreSQL's back end numbers them); every integer comes
 * back as a bigint from both back ends, so answers compare equal whichever stored them.
 */
import { encodeFacts } from './facts.js';
import type { VersionRow } from './row.js';

export type Dialect = 'sqlite' | 'postgres';

export type Param = string | number | bigint | Uint8Array | null;
export type Row = Record<string, string | bigint | Uint8Array | null>;

export interface Db {
  readonly dialect: Dialect;
  /** Where the database is, for messages (a file path, or the URL without its password). */
  readonly location: string;
  run(sql: string, params?: Param[]): Promise<number>;
  all(sql: string, params?: Param[]): Promise<Row[]>;
  /** Rows a batch at a time, so a large answer is never held whole. */
  iterate(sql: string, params?: Param[]): AsyncIterable<Row>;
  /**
   * Runs `body` in one write transaction that waits for other writers (SQLite BEGIN IMMEDIATE with
   * a busy timeout; PostgreSQL READ COMMITTED with row locks): committed whole or not at all.
   */
  transaction<T>(body: () => Promise<T>): Promise<T>;
  /** Creates the temporary `stage` table and fills it with `rows` (PostgreSQL: COPY). Returns the count. */
  loadStage(rows: AsyncIterable<VersionRow>): Promise<number>;
  /** SQL that expands one parameter holding a JSON array of integers into a set, for `IN (...)`. */
  idSet(): string;
  /** Bytes the database takes on disk. */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

/** Columns of the staging table, in the order loadStage fills them. */
export const STAGE_COLUMNS = ['volume', 'dir', 'name', 'fkey', 'owner', 'deleted', 'facts'] as const;

/** A stage row's values in STAGE_COLUMNS order. */
export function stageValues(row: VersionRow): Param[] {
  return [row.volume, row.dir, row.name, row.fkey, row.owner, row.deleted, encodeFacts(row)];
}

/**
 * The staging table's definition for `dialect` (text compared byte-wise in both); dir_id, path_id
 * and owner_id are filled from the index's tables once the entries are in.
 */
export function stageTable(dialect: Dialect): string {
  const text = dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  const int = dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  const blob = dialect === 'postgres' ? 'BYTEA' : 'BLOB';
  return `CREATE TEMP TABLE stage (volume ${int} NOT NULL, dir ${text} NOT NULL, name ${text} NOT NULL, fkey ${text} NOT NULL, owner ${text},
    deleted ${int} NOT NULL, facts ${blob} NOT NULL, dir_id ${int}, path_id ${int}, owner_id ${int} NOT NULL DEFAULT 0)${dialect === 'postgres' ? ' ON COMMIT DROP' : ''}`;
}
