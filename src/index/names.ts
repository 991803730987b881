/**
 * Name search without a scan: a glob's leading literal characters select a range of the names
 * table's `fkey` index, its trailing ones a range of the reversed key `rkey`; the glob itself then
 * tests each candidate. Only a glob with wildcards at both ends (`*report*`) reads every distinct
 * name, which is one row per name in the estate, not per file or per backup.
 */
import { compileGlob } from '../util/glob.js';
import type { Db } from './db.js';
import { nameKey, reversed } from './row.js';

/** Characters that end a glob's literal prefix or suffix (wildcards, classes, escapes). */
const GLOB_SPECIAL = new Set(['*', '?', '[', ']', '\\']);

/** The literal characters a glob starts with, as far as they are ASCII (see nameKey). */
function literalPrefix(chars: string[]): string {
  let out = '';
  for (const ch of chars) {
    if (GLOB_SPECIAL.has(ch) || ch.codePointAt(0)! >= 0x80) break;
    out += ch;
  }
  return nameKey(out);
}

/** The next string after every string starting with `prefix`, in code point (UTF-8 byte) order. */
function prefixEnd(prefix: string): string {
  const chars = Array.from(prefix);
  const last = chars.pop()!.codePointAt(0)!;
  return chars.join('') + String.fromCodePoint(last + 1);
}

export interface NameSearch {
  /** How the candidates were found: 'exact', 'prefix', 'suffix' (an index range) or 'scan'. */
  plan: 'exact' | 'prefix' | 'suffix' | 'scan';
  ids: bigint[];
}

/** Ids of the names `glob` (a name glob, no '/') matches. */
export async function matchingNames(db: Db, glob: string): Promise<NameSearch> {
  const pattern = compileGlob(glob);
  const chars = Array.from(glob);
  const prefix = literalPrefix(chars);
  const suffix = reversed(literalPrefix(chars.slice().reverse()));
  let plan: NameSearch['plan'];
  let sql: string;
  let params: string[];
  if (prefix.length === chars.length && prefix.length > 0) {
    plan = 'exact';
    sql = 'SELECT id, name FROM names WHERE fkey = ?';
    params = [prefix];
  } else if (prefix.length > 0 && prefix.length >= suffix.length) {
    plan = 'prefix';
    sql = 'SELECT id, name FROM names WHERE fkey >= ? AND fkey < ?';
    params = [prefix, prefixEnd(prefix)];
  } else if (suffix.length > 0) {
    plan = 'suffix';
    const key = reversed(suffix);
    sql = 'SELECT id, name FROM names WHERE rkey >= ? AND rkey < ?';
    params = [key, prefixEnd(key)];
  } else {
    plan = 'scan';
    sql = 'SELECT id, name FROM names';
    params = [];
  }
  const ids: bigint[] = [];
  for await (const row of db.iterate(sql, params)) if (pattern.test(row.name as string)) ids.push(row.id as bigint);
  return { plan, ids };
}
