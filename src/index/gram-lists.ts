/**
 * Posting lists of name grams (schema version 3, README "grt-index"): for each gram of a stored
 * name's key (folder-names.ts gramsOf), the folders holding such a name. A list is kept as rows
 * of `gram_folders (gram, chunk, folders)`: `folders` is a chunk of the list, its folder ids
 * ascending as varints of their differences (the first one whole), so a folder in a gram's list
 * costs one or two bytes and no row. Chunk 0 is the gram's open chunk: an add merges the folders
 * it brings into it and rewrites it; once it passes CHUNK_BYTES its full part is sealed under
 * the next chunk number and stays as it is (unless `remove` prunes it). A gram's list is the union
 * of its chunks: a folder that gains a gram after later folders did sits in a later chunk.
 */
import { GrtError, isGrtError } from '../errors.js';
import { ByteReader } from '../catalog/varint.js';
import type { Db, Param } from './db.js';

/**
 * Bytes at which the open chunk is sealed: each add rewrites the open chunks it touches, so they
 * stay small, and a row this size stays inside its SQLite b-tree page (an index-tree cell of a
 * 4 KiB page keeps about 1000 bytes in place before it spills to an overflow page).
 */
export const CHUNK_BYTES = 512;
/** The chunk number of a gram's open chunk; sealed chunks are numbered from 1 up. */
const OPEN_CHUNK = 0;
/**
 * (gram, folder) pairs an add holds before it writes them: one write of each open chunk per
 * flush rather than per batch of folders, and memory bounded (about 8 bytes a pair, and the garbage
 * of a flush) whatever the catalog.
 */
const FLUSH_PAIRS = 65_536;
/** Grams read or written by one statement (a JSON set, or 2 values a row: under both back ends' parameter limits). */
const GRAMS_PER_STATEMENT = 500;
const STRUCTURE = 'index gram list';
/**
 * PostgreSQL advisory lock key of the gram lists. A flush reads a list's open chunk and writes it
 * back merged: two adds running at once (READ COMMITTED) would each write their own merge and one
 * would lose the other's folders, so a transaction takes this lock before its first list read and
 * holds it to its commit. SQLite has one writer at a time anyway.
 */
const GRAM_LISTS_LOCK = 7274697;

/** Waits for (and then holds until commit) the right to rewrite gram lists. */
async function lockLists(db: Db): Promise<void> {
  if (db.dialect === 'postgres') await db.run(`SELECT pg_advisory_xact_lock(${GRAM_LISTS_LOCK})`);
}

/** Bytes of `value` as an unsigned LEB128 varint (catalog/varint.ts). */
function varintBytes(value: number): number {
  let n = 1;
  while (value >= 0x80) (value = Math.floor(value / 0x80)), n++;
  return n;
}

/**
 * The chunk blob of `ids` (ascending, distinct): LEB128 varints as catalog/varint.ts writes them,
 * into a buffer of the exact size (a ByteWriter starts at 64 KiB, too much for thousands of small chunks).
 */
export function encodeFolderIds(ids: readonly number[]): Uint8Array {
  let size = 0;
  for (let i = 0; i < ids.length; i++) size += varintBytes(ids[i]! - (i === 0 ? 0 : ids[i - 1]!));
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i < ids.length; i++) {
    let value = ids[i]! - (i === 0 ? 0 : ids[i - 1]!);
    for (; value >= 0x80; value = Math.floor(value / 0x80)) out[at++] = (value % 0x80) | 0x80;
    out[at++] = value;
  }
  return out;
}

/** The folder ids of a chunk blob, ascending; a blob that is not one (a damaged database) is a GrtError. */
export function decodeFolderIds(blob: Uint8Array): number[] {
  const reader = new ByteReader(blob, 0, STRUCTURE);
  const ids: number[] = [];
  let id = 0;
  try {
    while (reader.remaining > 0) {
      const delta = reader.u();
      // Only the first id may be 0 away from nothing; later ones ascend strictly.
      if (delta === 0 && ids.length > 0) reader.fail('folder ids do not ascend');
      id += delta;
      if (!Number.isSafeInteger(id)) reader.fail('a folder id is beyond 2^53');
      ids.push(id);
    }
  } catch (error) {
    const detail = isGrtError(error) ? error.message : String(error);
    throw new GrtError('UNSUPPORTED', `a name search list in the index is damaged (${detail})`, { structure: STRUCTURE, offset: reader.position });
  }
  return ids;
}

/** True when `ids` ascend strictly (distinct, in order). */
function ascending(ids: readonly number[]): boolean {
  for (let i = 1; i < ids.length; i++) if (ids[i]! <= ids[i - 1]!) return false;
  return true;
}

/** The ascending union of two ascending lists (one after the other when their ranges do not meet, the common case). */
function mergeAscending(a: number[], b: number[]): number[] {
  if (a[a.length - 1]! < b[0]!) return a.concat(b);
  if (b[b.length - 1]! < a[0]!) return b.concat(a);
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    if (i < a.length && a[i] === next) i++;
    if (j < b.length && b[j] === next) j++;
    out.push(next);
  }
  return out;
}

/** The ascending union of `lists` (each in any order). */
export function unionIds(lists: readonly number[][]): number[] {
  const full = lists.filter((list) => list.length > 0);
  if (full.length === 0) return [];
  if (full.length === 2 && ascending(full[0]!) && ascending(full[1]!)) return mergeAscending(full[0]!, full[1]!);
  // A gram's chunks mostly cover ranges one after the other: then the union is their concatenation.
  const byFirst = full.slice().sort((a, b) => a[0]! - b[0]!);
  if (byFirst.every((list, i) => ascending(list) && (i === 0 || list[0]! > byFirst[i - 1]![byFirst[i - 1]!.length - 1]!))) return byFirst.flat();
  const all = Float64Array.from(full.flat()).sort();
  const out: number[] = [];
  for (const id of all) if (out.length === 0 || out[out.length - 1] !== id) out.push(id);
  return out;
}

/** The ids both ascending lists hold. */
export function intersectIds(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i]! < b[j]!) i++;
    else if (a[i]! > b[j]!) j++;
    else (out.push(a[i]!), i++, j++);
  }
  return out;
}

/** `ids` (ascending) cut into chunk-sized runs: every run but the last holds CHUNK_BYTES or a little less. */
function splitChunks(ids: readonly number[]): number[][] {
  const runs: number[][] = [[]];
  let bytes = 0;
  for (const id of ids) {
    let run = runs[runs.length - 1]!;
    let cost = varintBytes(run.length === 0 ? id : id - run[run.length - 1]!);
    if (bytes + cost > CHUNK_BYTES && run.length > 0) (runs.push((run = [])), (bytes = 0), (cost = varintBytes(id)));
    run.push(id);
    bytes += cost;
  }
  return runs;
}

/** Writes `chunks` (gram, chunk number, ids) in multi-row upserts. */
async function writeChunks(db: Db, chunks: [string, number, number[]][]): Promise<void> {
  for (let at = 0; at < chunks.length; at += GRAMS_PER_STATEMENT) {
    const part = chunks.slice(at, at + GRAMS_PER_STATEMENT);
    const params: Param[] = part.flatMap(([gram, chunk, ids]) => [gram, chunk, encodeFolderIds(ids)]);
    await db.run(
      `INSERT INTO gram_folders (gram, chunk, folders) VALUES ${part.map(() => '(?, ?, ?)').join(', ')}
       ON CONFLICT (gram, chunk) DO UPDATE SET folders = excluded.folders`,
      params,
    );
  }
}

/** The next sealed chunk number of `gram`. */
async function nextChunk(db: Db, gram: string): Promise<number> {
  const [row] = await db.all('SELECT MAX(chunk) AS top FROM gram_folders WHERE gram = ?', [gram]);
  return Math.max(OPEN_CHUNK, Number(row?.top ?? OPEN_CHUNK)) + 1;
}

/**
 * Collects the (gram, folder) pairs an add or a migration brings and merges them into the gram
 * lists a flush at a time. A pair must be new (the folder did not hold the gram before): lists
 * are unions of chunks, and a pair already in a sealed chunk would be stored twice.
 */
export class GramWriter {
  private pending = new Map<string, number[]>();
  private pairs = 0;
  constructor(private readonly db: Db) {}

  add(gram: string, folder: bigint | number): void {
    const list = this.pending.get(gram);
    if (list) list.push(Number(folder));
    else this.pending.set(gram, [Number(folder)]);
    this.pairs++;
  }

  /** Flushes once FLUSH_PAIRS pairs are held (called between batches). */
  async flushIfFull(): Promise<void> {
    if (this.pairs >= FLUSH_PAIRS) await this.flush();
  }

  /** Merges what was collected into the open chunks, sealing the full ones. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    await lockLists(this.db);
    const pending = [...this.pending].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.pending = new Map();
    this.pairs = 0;
    for (let at = 0; at < pending.length; at += GRAMS_PER_STATEMENT) {
      const part = pending.slice(at, at + GRAMS_PER_STATEMENT);
      const open = new Map<string, number[]>();
      const rows = await this.db.all(`SELECT gram, folders FROM gram_folders WHERE chunk = ${OPEN_CHUNK} AND gram IN (${this.db.textSet()})`, [
        JSON.stringify(part.map(([gram]) => gram)),
      ]);
      for (const r of rows) open.set(r.gram as string, decodeFolderIds(r.folders as Uint8Array));
      const writes: [string, number, number[]][] = [];
      for (const [gram, ids] of part) {
        const runs = splitChunks(unionIds([open.get(gram) ?? [], ids]));
        const last = runs.pop()!;
        let chunk = runs.length > 0 ? await nextChunk(this.db, gram) : OPEN_CHUNK;
        for (const run of runs) writes.push([gram, chunk++, run]);
        writes.push([gram, OPEN_CHUNK, last]);
      }
      await writeChunks(this.db, writes);
    }
  }
}

/** One search term: a gram, or (for a short literal prefix) every gram in [from, to). */
export type GramTerm = { gram: string } | { from: string; to: string };

/**
 * The folders (ascending ids) holding a gram of every term: each term's list read whole and the
 * lists intersected, smallest first. Terms must be non-empty.
 */
export async function foldersWithGrams(db: Db, terms: readonly GramTerm[]): Promise<number[]> {
  const lists: number[][] = [];
  const exact = terms.flatMap((t) => ('gram' in t ? [t.gram] : []));
  const byGram = new Map<string, number[][]>(exact.map((g) => [g, []]));
  for (let at = 0; at < exact.length; at += GRAMS_PER_STATEMENT) {
    const set = JSON.stringify(exact.slice(at, at + GRAMS_PER_STATEMENT));
    for await (const r of db.iterate(`SELECT gram, folders FROM gram_folders WHERE gram IN (${db.textSet()})`, [set])) {
      byGram.get(r.gram as string)!.push(decodeFolderIds(r.folders as Uint8Array));
    }
  }
  for (const chunks of byGram.values()) lists.push(unionIds(chunks));
  for (const t of terms) {
    if ('gram' in t) continue;
    const chunks: number[][] = [];
    for await (const r of db.iterate('SELECT folders FROM gram_folders WHERE gram >= ? AND gram < ?', [t.from, t.to])) chunks.push(decodeFolderIds(r.folders as Uint8Array));
    lists.push(unionIds(chunks));
  }
  lists.sort((a, b) => a.length - b.length);
  let folders = lists[0]!;
  for (const list of lists.slice(1)) {
    if (folders.length === 0) break;
    folders = intersectIds(folders, list);
  }
  return folders;
}

/**
 * Takes folders out of gram lists (`drops`: by gram, the folders whose names no longer have it,
 * after a remove): each list's chunks are read, and those holding such a folder rewritten, or
 * deleted once empty.
 */
export async function dropGrams(db: Db, drops: Map<string, Set<number>>): Promise<void> {
  if (drops.size === 0) return;
  await lockLists(db);
  const writes: [string, number, number[]][] = [];
  for (const [gram, folders] of drops) {
    for (const r of await db.all('SELECT chunk, folders FROM gram_folders WHERE gram = ?', [gram])) {
      const ids = decodeFolderIds(r.folders as Uint8Array);
      const kept = ids.filter((id) => !folders.has(id));
      if (kept.length === ids.length) continue;
      if (kept.length > 0) writes.push([gram, Number(r.chunk), kept]);
      else await db.run('DELETE FROM gram_folders WHERE gram = ? AND chunk = ?', [gram, r.chunk]);
    }
  }
  await writeChunks(db, writes);
}
