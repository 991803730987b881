/**
 * What the index operations need of a database, so one set of SQL serves SQLite and PostgreSQL.
 * SQL is written with `?` placeholders (PostgreSQL's back end numbers them); every integer comes
 * back as a bigint from both back ends, so answers compare equal whichever stored them.
 */
import type { VersionRow } from './row.js';

export type Dialect = 'sqlite' | 'postgres';

export type Param = string | number | bigint | null;
export type Row = Record<string, string | bigint | null>;

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
export const STAGE_COLUMNS = ['volume', 'dir', 'name', 'fkey', 'rkey', 'type', 'size', 'mtime', 'ctime', 'record', 'sequence', 'attributes', 'deleted'] as const;

/** A stage row's values in STAGE_COLUMNS order. */
export function stageValues(row: VersionRow): Param[] {
  return [row.volume, row.dir, row.name, row.fkey, row.rkey, row.type, row.size, row.mtime, row.ctime, row.record, row.sequence, row.attributes, row.deleted];
}

/** The staging table's definition for `dialect` (text compared byte-wise in both). */
export function stageTable(dialect: Dialect): string {
  const text = dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  const int = dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  return `CREATE TEMP TABLE stage (volume ${int} NOT NULL, dir ${text} NOT NULL, name ${text} NOT NULL, fkey ${text} NOT NULL, rkey ${text} NOT NULL,
    type ${int} NOT NULL, size ${int} NOT NULL, mtime ${int} NOT NULL, ctime ${int} NOT NULL, record ${int} NOT NULL, sequence ${int} NOT NULL,
    attributes ${int} NOT NULL, deleted ${int} NOT NULL, path_id ${int})${dialect === 'postgres' ? ' ON COMMIT DROP' : ''}`;
}
