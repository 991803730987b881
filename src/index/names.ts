/**
 * Name search without a scan of every name: every run of three or more ASCII literal characters
 * in a glob (`*budget*`, `*dget.xl*`, `?udget*`) gives trigrams, its literal start a prefix gram
 * and its literal end, when it holds a '.', an extension gram (folder-names.ts gramsOf); the
 * folders in every one of those grams' lists (gram-lists.ts) are the candidates, and only their
 * names are unpacked and tested against the glob. A glob with only a shorter literal start
 * (`ab*`) reads the lists of the prefix grams it begins; one with no literal run of three
 * characters, no literal start and no literal extension (`*`, `?*`, `*x*`, `*sx`) unpacks every
 * folder's names: one row per folder, not per name.
 */
import { compileGlob } from '../util/glob.js';
import type { Db, Param, Row } from './db.js';
import { decodeFolderNames, PREFIX_GRAM_CHARS, TRIGRAM_CHARS } from './folder-names.js';
import { foldersWithGrams, type GramTerm } from './gram-lists.js';
import { nameKey } from './row.js';

/** Candidate folders read by one statement (their ids one JSON parameter). */
const FOLDERS_PER_STATEMENT = 10_000;
/** Characters that end a glob's literal run (wildcards, classes, escapes). */
const GLOB_SPECIAL = new Set(['*', '?', '[', ']', '\\']);
/**
 * Trigrams of one glob whose lists are intersected, at most: each list is read whole, and past a
 * few trigrams the candidates rarely shrink further (those kept are spread over the runs).
 */
const MAX_TRIGRAM_TERMS = 12;

/** A run of a glob's literal characters, ASCII only (see nameKey), as a key; where it stands. */
interface LiteralRun {
  key: string;
  atStart: boolean;
  atEnd: boolean;
}

/** Where the character class opening at cps[i] ('[') closes, as util/glob.ts parseClass reads it; -1 when it does not. */
function classEnd(cps: string[], i: number): number {
  let j = i + 1;
  if (cps[j] === '!' || cps[j] === '^') j++;
  for (let first = true; j < cps.length && (cps[j] !== ']' || first); ) {
    first = false;
    if (cps[j] === '\\' && j + 1 < cps.length) j++;
    j++;
    if (cps[j] === '-' && j + 1 < cps.length && cps[j + 1] !== ']') j += 2;
  }
  return j < cps.length ? j : -1;
}

/** The glob's runs of ASCII literal characters: a name it matches holds each run's key (nameKey) in its key. */
function literalRuns(glob: string): LiteralRun[] {
  const cps = Array.from(glob);
  const runs: LiteralRun[] = [];
  let run = '';
  let from = 0;
  const end = (at: number) => {
    if (run !== '') runs.push({ key: nameKey(run), atStart: from === 0, atEnd: at === cps.length });
    run = '';
  };
  for (let i = 0; i < cps.length; ) {
    const ch = cps[i]!;
    if (!GLOB_SPECIAL.has(ch) && ch.codePointAt(0)! < 0x80) {
      if (run === '') from = i;
      (run += ch), i++;
      continue;
    }
    end(i);
    // A class's members and an escaped character are not literals of the run (an unclosed '[' is skipped alone).
    const close = ch === '[' ? classEnd(cps, i) : -1;
    i = close >= 0 ? close + 1 : ch === '\\' ? i + 2 : i + 1;
  }
  end(cps.length);
  return runs;
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
  /** How the folders were found: by the lists of the glob's 'grams', or a 'scan' of every folder. */
  plan: 'grams' | 'scan';
  /** The names `glob` matches, by folder path then name. */
  matches: NameMatch[];
}

/**
 * The gram terms a name matching `glob` must have (all of them): each literal run's trigrams,
 * its literal start's prefix gram, its literal end's extension gram. A literal start shorter
 * than a prefix gram is a range of prefix grams, used only when nothing else narrows. None: a scan.
 */
export function gramTerms(glob: string): GramTerm[] {
  const runs = literalRuns(glob);
  const trigrams = new Set<string>();
  const terms: GramTerm[] = [];
  let shortPrefix: string | undefined;
  for (const run of runs) {
    const chars = Array.from(run.key);
    for (let at = 0; at + TRIGRAM_CHARS <= chars.length; at++) trigrams.add(`t${chars.slice(at, at + TRIGRAM_CHARS).join('')}`);
    if (run.atStart && chars.length >= PREFIX_GRAM_CHARS) terms.push({ gram: `p${chars.slice(0, PREFIX_GRAM_CHARS).join('')}` });
    else if (run.atStart) shortPrefix = run.key;
    const dot = run.key.lastIndexOf('.');
    if (run.atEnd && dot >= 0) terms.push({ gram: `e${run.key.slice(dot + 1)}` });
  }
  // At most MAX_TRIGRAM_TERMS of them, evenly spaced over the glob.
  const spread = [...trigrams];
  const step = Math.max(1, spread.length / MAX_TRIGRAM_TERMS);
  for (let at = 0; at < spread.length; at += step) terms.push({ gram: spread[Math.floor(at)]! });
  if (terms.length === 0 && shortPrefix !== undefined) terms.push({ from: `p${shortPrefix}`, to: `p${prefixEnd(shortPrefix)}` });
  return terms;
}

/** The stored names `glob` (a name glob, no '/') matches, optionally only in folders `folderWhere` (SQL on `f`) selects. */
export async function matchingNames(db: Db, glob: string, folderWhere = 'true', folderParams: Param[] = []): Promise<NameSearch> {
  const pattern = compileGlob(glob);
  const terms = gramTerms(glob);
  const matches: NameMatch[] = [];
  const test = (row: Row) => {
    for (const [slot, name] of decodeFolderNames(row.names as Uint8Array).entries()) {
      if (pattern.test(name)) matches.push({ folder: row.id as bigint, slot, dir: row.path as string, name });
    }
  };
  if (terms.length === 0) {
    for await (const row of db.iterate(`SELECT f.id, f.path, f.names FROM folders f WHERE ${folderWhere}`, folderParams)) test(row);
  } else {
    // Candidates by id (rank: their order), each found by its primary key.
    const folders = await foldersWithGrams(db, terms);
    for (let at = 0; at < folders.length; at += FOLDERS_PER_STATEMENT) {
      const ids = JSON.stringify(folders.slice(at, at + FOLDERS_PER_STATEMENT));
      const sql = `SELECT f.id, f.path, f.names FROM (${db.idSet()}) k CROSS JOIN folders f WHERE f.id = k.value AND ${folderWhere}`;
      for await (const row of db.iterate(sql, [ids, ...folderParams])) test(row);
    }
  }
  matches.sort(byPath);
  return { plan: terms.length === 0 ? 'scan' : 'grams', matches };
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
