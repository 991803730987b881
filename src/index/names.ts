/**
 * Name search without a scan of every name: a glob's leading literal characters select the
 * folders holding a name with that prefix gram (name_grams, folder-names.ts), or its trailing
 * literal, when it holds a '.', those holding a name with that extension; only those folders'
 * names are unpacked and tested against the glob. A glob without a leading literal nor a trailing
 * one with a dot (`*report*`, `*sx`) unpacks every folder's names: one row per folder, not per name.
 */
import { compileGlob } from '../util/glob.js';
import type { Db, Param } from './db.js';
import { decodeFolderNames, PREFIX_GRAM_CHARS } from './folder-names.js';
import { nameKey } from './row.js';

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

/** One stored name a glob matched: where it is, and the key version rows name it by. */
export interface NameMatch {
  folder: bigint;
  slot: number;
  /** The folder's path and the name. */
  dir: string;
  name: string;
}

export interface NameSearch {
  /** How the folders were found: by a 'prefix' or 'extension' gram, or a 'scan' of every folder. */
  plan: 'prefix' | 'extension' | 'scan';
  /** The names `glob` matches, by folder path then name. */
  matches: NameMatch[];
}

/** The SQL condition on name_grams.gram and its parameters that select a glob's candidate folders. */
function gramFilter(glob: string): { plan: NameSearch['plan']; where: string; params: Param[] } {
  const chars = Array.from(glob);
  const prefix = literalPrefix(chars);
  const suffix = literalPrefix(chars.slice().reverse()).split('').reverse().join('');
  const dot = suffix.lastIndexOf('.');
  if (prefix.length > 0 && (prefix.length >= SELECTIVE_PREFIX_CHARS || dot < 0)) {
    // A prefix gram holds a key's first PREFIX_GRAM_CHARS characters: longer prefixes are one gram,
    // shorter ones a range of grams (names that short included).
    if (prefix.length >= PREFIX_GRAM_CHARS) return { plan: 'prefix', where: 'gram = ?', params: [`p${prefix.slice(0, PREFIX_GRAM_CHARS)}`] };
    return { plan: 'prefix', where: 'gram >= ? AND gram < ?', params: [`p${prefix}`, `p${prefixEnd(prefix)}`] };
  }
  if (dot >= 0) return { plan: 'extension', where: 'gram = ?', params: [`e${suffix.slice(dot + 1)}`] };
  return { plan: 'scan', where: '', params: [] };
}

/** The stored names `glob` (a name glob, no '/') matches, optionally only in folders `folderWhere` (SQL on `f`) selects. */
export async function matchingNames(db: Db, glob: string, folderWhere = 'true', folderParams: Param[] = []): Promise<NameSearch> {
  const pattern = compileGlob(glob);
  const { plan, where, params } = gramFilter(glob);
  const grams = plan === 'scan' ? '' : ` AND f.id IN (SELECT folder_id FROM name_grams WHERE ${where})`;
  const matches: NameMatch[] = [];
  for await (const row of db.iterate(`SELECT f.id, f.path, f.names FROM folders f WHERE ${folderWhere}${grams}`, [...folderParams, ...params])) {
    const names = decodeFolderNames(row.names as Uint8Array);
    for (const [slot, name] of names.entries()) {
      if (pattern.test(name)) matches.push({ folder: row.id as bigint, slot, dir: row.path as string, name });
    }
  }
  matches.sort(byPath);
  return { plan, matches };
}

/** Order of folder path, then name, then folder (UTF-16 units: both back ends alike). */
export function byPath(a: NameMatch, b: NameMatch): number {
  if (a.dir !== b.dir) return a.dir < b.dir ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0;
}

/** Folder and slot as one integer, the form a key set (Db.idSet) passes them to SQL. */
export function slotKey(match: NameMatch): bigint {
  return (match.folder << 32n) | BigInt(match.slot);
}

/** SQL of the rows (rank, folder_id, slot) of a key set parameter (slotKey values). */
export function keyRows(db: Db): string {
  return `SELECT k.rank, k.value / 4294967296 AS folder_id, k.value % 4294967296 AS slot FROM (${db.idSet()}) k`;
}

/** The JSON array parameter of `matches`' keys, in their order. */
export function keyParam(matches: readonly NameMatch[]): string {
  return `[${matches.map((m) => slotKey(m).toString()).join(',')}]`;
}
