/**
 * The server back end: PostgreSQL through pg, bulk ingest with COPY (pg-copy-streams). Several
 * backup proxies may add at once: each add is one transaction, and the row lock its ordinal
 * update takes on the VM serializes adds of the same VM only.
 */
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GrtError } from '../errors.js';
import { STAGE_COLUMNS, stageTable, type Db, type Param, type Row } from './db.js';

/** Rows a cursor fetches per round trip: large answers stream, small ones take one trip. */
const FETCH_ROWS = 2000;
/** Stage rows joined into one COPY write. */
const COPY_BATCH_ROWS = 1000;
/** PostgreSQL int8 type oid (pg_type.dat): returned as bigint, as SQLite's safe integers are. */
const INT8_OID = 20;
/** unique_violation (PostgreSQL Appendix A, class 23). */
const UNIQUE_VIOLATION = '23505';

function wrap(location: string, error: unknown): never {
  if (error instanceof GrtError) throw error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  throw new GrtError(code === UNIQUE_VIOLATION ? 'EXISTS' : 'IO_ERROR', `index ${location}: ${message.split('\n')[0]}`, { path: location, cause: error });
}

/** `?` placeholders as PostgreSQL's `$1, $2, ...` (the SQL of the operations has no other `?`). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** A value in COPY's text format (PostgreSQL COPY, "Text Format"): backslash escapes. */
function copyText(value: Param): string {
  if (value === null) return '\\N';
  // bytea in hex form (PostgreSQL "Binary Data Types"), its backslash escaped for COPY.
  if (value instanceof Uint8Array) return `\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (typeof value !== 'string') return String(value);
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  private inTransaction = false;
  private constructor(private readonly client: pg.Client, readonly location: string) {}

  static async open(url: string): Promise<PostgresDb> {
    const location = redacted(url);
    const client = new pg.Client({
      connectionString: url,
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? BigInt : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser },
    });
    // A dropped connection is reported by the query that meets it; this keeps it from crashing the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      wrap(location, error);
    }
    return new PostgresDb(client, location);
  }

  async run(sql: string, params: Param[] = []): Promise<number> {
    try {
      return (await this.client.query(numbered(sql), params)).rowCount ?? 0;
    } catch (error) {
      wrap(this.location, error);
    }
  }

  async all(sql: string, params: Param[] = []): Promise<Row[]> {
    try {
      return (await this.client.query(numbered(sql), params)).rows as Row[];
    } catch (error) {
      wrap(this.location, error);
    }
  }

  async *iterate(sql: string, params: Param[] = []): AsyncIterable<Row> {
    const own = !this.inTransaction;
    if (own) await this.run('BEGIN READ ONLY');
    try {
      await this.run(`DECLARE grt_rows NO SCROLL CURSOR FOR ${sql}`, params);
      for (;;) {
        const rows = await this.all(`FETCH ${FETCH_ROWS} FROM grt_rows`);
        for (const row of rows) yield row;
        if (rows.length < FETCH_ROWS) break;
      }
      await this.run('CLOSE grt_rows');
    } finally {
      if (own) await this.run('COMMIT').catch(() => undefined);
    }
  }

  async transaction<T>(body: () => Promise<T>): Promise<T> {
    await this.run('BEGIN');
    this.inTransaction = true;
    try {
      const result = await body();
      await this.run('COMMIT');
      return result;
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      this.inTransaction = false;
    }
  }

  async createStage(): Promise<void> {
    await this.run(stageTable('postgres'));
    this.stageRows = 0;
  }

  async appendStage(values: Param[]): Promise<void> {
    const width = STAGE_COLUMNS.length;
    const client = this.client;
    function* lines(): Iterable<string> {
      for (let at = 0; at < values.length; at += width * COPY_BATCH_ROWS) {
        let batch = '';
        for (let row = at; row < Math.min(values.length, at + width * COPY_BATCH_ROWS); row += width) {
          for (let k = 0; k < width; k++) batch += (k === 0 ? '' : '\t') + copyText(values[row + k]!);
          batch += '\n';
        }
        yield batch;
      }
    }
    try {
      await pipeline(Readable.from(lines()), client.query(copyFrom(`COPY stage (${STAGE_COLUMNS.join(', ')}) FROM STDIN`)));
    } catch (error) {
      wrap(this.location, error);
    }
    this.stageRows += values.length / width;
  }

  /** Rows staged since createStage. */
  private stageRows = 0;

  /** Autovacuum never analyzes temporary tables: without row counts the merge's joins are planned for a small stage. */
  async finishStage(): Promise<void> {
    if (this.stageRows > 0) await this.run('ANALYZE stage');
  }

  idSet(): string {
    return 'SELECT ordinality - 1 AS rank, value::bigint AS value FROM jsonb_array_elements_text(?::jsonb) WITH ORDINALITY';
  }

  textSet(): string {
    return 'SELECT value FROM jsonb_array_elements_text(?::jsonb)';
  }

  async sizeBytes(): Promise<number> {
    const rows = await this.all(`SELECT CAST(SUM(pg_total_relation_size(c.oid)) AS BIGINT) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind = 'r'`);
    return Number(rows[0]?.bytes ?? 0n);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
