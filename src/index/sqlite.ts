/**
 * The embedded back end: one SQLite file through better-sqlite3. WAL journaling lets readers run
 * while one process adds, and the busy timeout makes a second writer wait its turn instead of failing.
 */
import Database from 'better-sqlite3';
import { stat } from 'node:fs/promises';
import { GrtError } from '../errors.js';
import { STAGE_COLUMNS, stageTable, type Db, type Param, type Row } from './db.js';

/** How long a writer waits for another one (an add of a million-file catalog takes a few seconds). */
const BUSY_TIMEOUT_MS = 120_000;
/**
 * Stage rows bound to one INSERT: one statement step per row costs more than binding its values,
 * so a multi-row VALUES list takes a third less CPU; 5 columns × 128 rows stays far under
 * SQLite's 32,766 bound parameters (SQLITE_MAX_VARIABLE_NUMBER).
 */
const STAGE_BATCH_ROWS = 128;
/** Any SQLite failure as a GrtError naming the database. */
function wrap(location: string, error: unknown): never {
  if (error instanceof GrtError) throw error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code ?? '';
  throw new GrtError(code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' ? 'UNSUPPORTED' : 'IO_ERROR', `index ${location}: ${message.split('\n')[0]}`, {
    path: location, cause: error,
  });
}

export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  private readonly stageInserts = new Map<number, Database.Statement>();
  private constructor(private readonly db: Database.Database, readonly location: string) {}

  static open(path: string): SqliteDb {
    try {
      const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
      db.defaultSafeIntegers(true);
      db.pragma('journal_mode = WAL');
      // Durable at each commit of WAL; the index is rebuilt from catalogs if a power cut loses the last add.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      return new SqliteDb(db, path);
    } catch (error) {
      wrap(path, error);
    }
  }

  async run(sql: string, params: Param[] = []): Promise<number> {
    try {
      return this.db.prepare(sql).run(...params).changes;
    } catch (error) {
      wrap(this.location, error);
    }
  }

  async all(sql: string, params: Param[] = []): Promise<Row[]> {
    try {
      return this.db.prepare(sql).all(...params) as Row[];
    } catch (error) {
      wrap(this.location, error);
    }
  }

  async *iterate(sql: string, params: Param[] = []): AsyncIterable<Row> {
    let it: IterableIterator<unknown>;
    try {
      it = this.db.prepare(sql).iterate(...params);
    } catch (error) {
      wrap(this.location, error);
    }
    for (const row of it) yield row as Row;
  }

  async transaction<T>(body: () => Promise<T>): Promise<T> {
    await this.run('BEGIN IMMEDIATE');
    try {
      const result = await body();
      await this.run('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  async createStage(): Promise<void> {
    await this.run('DROP TABLE IF EXISTS temp.stage');
    await this.run(stageTable('sqlite'));
    this.stageInserts.clear();
  }

  async appendStage(values: Param[]): Promise<void> {
    const width = STAGE_COLUMNS.length;
    try {
      for (let at = 0; at < values.length; at += width * STAGE_BATCH_ROWS) {
        const rows = Math.min(STAGE_BATCH_ROWS, (values.length - at) / width);
        this.stageInsert(rows).run(values.slice(at, at + rows * width));
      }
    } catch (error) {
      wrap(this.location, error);
    }
  }

  /** The prepared INSERT of `rows` stage rows, kept for the add. */
  private stageInsert(rows: number): Database.Statement {
    let statement = this.stageInserts.get(rows);
    if (!statement) {
      const values = Array.from({ length: rows }, () => `(${STAGE_COLUMNS.map(() => '?').join(', ')})`).join(', ');
      statement = this.db.prepare(`INSERT INTO stage (${STAGE_COLUMNS.join(', ')}) VALUES ${values}`);
      this.stageInserts.set(rows, statement);
    }
    return statement;
  }

  async finishStage(): Promise<void> {}

  idSet(): string {
    return 'SELECT key AS rank, value FROM json_each(?)';
  }

  textSet(): string {
    return 'SELECT value FROM json_each(?)';
  }

  async sizeBytes(): Promise<number> {
    const files = [this.location, `${this.location}-wal`];
    let total = 0;
    for (const file of files) total += await stat(file).then((s) => s.size, () => 0);
    return total;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
