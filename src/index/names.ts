/**
 * Name search without a scan: a glob's leading literal characters select a range of the paths
 * table's name-key index, or its trailing literal, when it holds a '.', the names whose extension
 * key equals the extension it ends with; the glob itself then tests each candidate. A glob without
 * a leading literal nor a trailing one with a dot (`*report*`, `*sx`) reads every path's name.
 */
import { compileGlob } from '../util/glob.js';
import type { Db } from './db.js';
import { nameKey } from './row.js';
import { extSql, keySql } from './schema.js';

/** Characters that end a glob's literal prefix or suffix (wildcards, classes, escapes). */
const GLOB_SPECIAL = new Set(['*', '?', '[', ']', '\\']);
/**
 * A literal prefix at least this long is preferred to an extension: a few characters of a name
 * already narrow the names to a small range, while one extension can be a third of a volume.
 */
const SELECTIVE_PREFIX_CHARS = 3;

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
  /** How the candidates were found: 'exact', 'prefix', 'extension' (an index range) or 'scan'. */
  plan: 'exact' | 'prefix' | 'extension' | 'scan';
  /** Ids of the paths whose name matches. */
  ids: bigint[];
}

/** Ids of the paths whose name `glob` (a name glob, no '/') matches. */
export async function matchingNames(db: Db, glob: string): Promise<NameSearch> {
  const pattern = compileGlob(glob);
  const chars = Array.from(glob);
  const prefix = literalPrefix(chars);
  const suffix = literalPrefix(chars.slice().reverse()).split('').reverse().join('');
  const dot = suffix.lastIndexOf('.');
  let plan: NameSearch['plan'];
  let where: string;
  let params: string[];
  if (prefix.length === chars.length && prefix.length > 0) {
    [plan, where, params] = ['exact', `${keySql('name')} = ?`, [prefix]];
  } else if (prefix.length > 0 && (prefix.length >= SELECTIVE_PREFIX_CHARS || dot < 0)) {
    [plan, where, params] = ['prefix', `${keySql('name')} >= ? AND ${keySql('name')} < ?`, [prefix, prefixEnd(prefix)]];
  } else if (dot >= 0) {
    [plan, where, params] = ['extension', `${extSql('name')} = ?`, [suffix.slice(dot + 1)]];
  } else {
    [plan, where, params] = ['scan', 'true', []];
  }
  const ids: bigint[] = [];
  for await (const row of db.iterate(`SELECT id, name FROM paths WHERE ${where}`, params)) if (pattern.test(row.name as string)) ids.push(row.id as bigint);
  return { plan, ids };
}
