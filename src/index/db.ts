/**
 * What the index operations need of a database, so one set of SQL serves SQLite and PostgreSQL.
 * SQL is written with `?` placeholders (PostgreSQL's back end numbers them); every integer comes
 * back as a bigint from both back ends, so answers compare equal whichever stored them.
 */
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
  /** Creates the temporary `stage` table (stageTable), empty. */
  createStage(): Promise<void>;
  /** Appends rows to the stage: STAGE_COLUMNS.length values a row, flat (PostgreSQL: one COPY). */
  appendStage(values: Param[]): Promise<void>;
  /** Called once every row is staged, before the merge reads the stage (PostgreSQL: ANALYZE). */
  finishStage(): Promise<void>;
  /**
   * SQL of a set of rows (rank, value) from one parameter holding a JSON array of integers: value
   * is an element, rank orders them as the array does.
   */
  idSet(): string;
  /** SQL of a set of rows (value) from one parameter holding a JSON array of strings. */
  textSet(): string;
  /** Bytes the database takes on disk. */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

/** Columns of the staging table, in the order appendStage fills them: one version of the backup being added. */
export const STAGE_COLUMNS = ['folder_id', 'slot', 'deleted', 'owner_id', 'facts'] as const;

/** The staging table's definition for `dialect`. */
export function stageTable(dialect: Dialect): string {
  const int = dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  const blob = dialect === 'postgres' ? 'BYTEA' : 'BLOB';
  return `CREATE TEMP TABLE stage (folder_id ${int} NOT NULL, slot ${int} NOT NULL, deleted ${int} NOT NULL, owner_id ${int} NOT NULL,
    facts ${blob} NOT NULL)${dialect === 'postgres' ? ' ON COMMIT DROP' : ''}`;
}
