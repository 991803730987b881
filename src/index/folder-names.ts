/**
 * The names of one folder's children, packed into one blob (schema version 2, README "grt-index"):
 * a folder row holds them in slot order, so a name costs its bytes once and no row, key or index
 * of its own. Each name is front-coded against the one before it (as the catalog's NAMES records
 * are, docs/catalog-format.md §5): a varint of the UTF-16 units it shares with the previous name,
 * a varint of its remaining UTF-8 bytes, then those bytes. A name keeps its slot for good; names a
 * later backup brings are appended, so slots already stored in version rows never move.
 */
import { GrtError, isGrtError } from '../errors.js';
import { ByteReader, ByteWriter } from '../catalog/varint.js';
import { nameKey } from './row.js';

/** Code points of a name's key its prefix gram keeps: a glob's leading literal narrows by these. */
export const PREFIX_GRAM_CHARS = 3;
const STRUCTURE = 'index folder names';

const decoder = new TextDecoder('utf-8', { fatal: true });

function damaged(detail: string, offset: number): never {
  throw new GrtError('UNSUPPORTED', `a folder in the index is damaged (${detail})`, { structure: STRUCTURE, offset });
}

/** UTF-16 units `a` and `b` share at their start, never ending between the halves of a surrogate pair. */
function sharedUnits(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let n = 0;
  while (n < max && a.charCodeAt(n) === b.charCodeAt(n)) n++;
  if (n > 0 && n < b.length && (b.charCodeAt(n - 1) & 0xfc00) === 0xd800) n--;
  return n;
}

/**
 * The blob of `names` following a folder whose last stored name is `previous` ('' for a new
 * folder): appended to that folder's blob, it stores them after its names. Varints as the
 * catalog's (catalog/varint.ts).
 */
export function encodeFolderNames(names: readonly string[], previous = ''): Uint8Array {
  const out = new ByteWriter();
  for (const name of names) {
    const shared = sharedUnits(previous, name);
    const rest = Buffer.from(name.slice(shared), 'utf8');
    out.u(shared);
    out.u(rest.length);
    out.raw(rest);
    previous = name;
  }
  return out.bytes();
}

/** The names of a stored blob, in slot order; a blob that is not one (a damaged database) is a GrtError. */
export function decodeFolderNames(blob: Uint8Array): string[] {
  const names: string[] = [];
  const reader = new ByteReader(blob, 0, STRUCTURE);
  let previous = '';
  try {
    while (reader.remaining > 0) {
      const shared = reader.u();
      const rest = reader.raw(reader.u());
      if (shared > previous.length) damaged('a name shares more than the previous one has', reader.position);
      previous = previous.slice(0, shared) + decoder.decode(rest);
      names.push(previous);
    }
  } catch (error) {
    if (isGrtError(error) && error.code === 'UNSUPPORTED') throw error;
    // The reader's BAD_CATALOG (a varint or name past the blob), or a name that is not UTF-8.
    damaged(isGrtError(error) ? error.message : 'a name is not UTF-8', reader.position);
  }
  return names;
}

/** Code points of a name's key a trigram holds: a glob's literal run this long selects by it. */
export const TRIGRAM_CHARS = 3;
/** Three ASCII characters: a glob's literal runs are ASCII (names.ts), so only such trigrams are ever asked for. */
const ASCII_TRIGRAM = /^[\x00-\x7f]{3}$/;
const ASCII_KEY = /^[\x00-\x7f]*$/;

/**
 * The search grams of a name (gram_folders lists, gram-lists.ts): 'p' and the first
 * PREFIX_GRAM_CHARS code points of its key (the whole key when shorter); when it has a dot, 'e'
 * and its extension's key; and 't' and each ASCII TRIGRAM_CHARS-character run of its key.
 * names.ts turns a glob's literal start, end and runs into these. A removed name ('') has none.
 */
export function gramsOf(name: string): string[] {
  if (name === '') return [];
  const key = nameKey(name);
  const first = Array.from(key.slice(0, PREFIX_GRAM_CHARS * 2)).slice(0, PREFIX_GRAM_CHARS).join('');
  const dot = key.lastIndexOf('.');
  const grams = dot < 0 ? [`p${first}`] : [`p${first}`, `e${key.slice(dot + 1)}`];
  const ascii = ASCII_KEY.test(key);
  for (let at = 0; at + TRIGRAM_CHARS <= key.length; at++) {
    const run = key.slice(at, at + TRIGRAM_CHARS);
    if (ascii || ASCII_TRIGRAM.test(run)) grams.push(`t${run}`);
  }
  return grams;
}

/** The grams names `added` bring to a folder holding `stored`: those no stored name has (each once). */
export function gramsAdded(stored: readonly string[], added: readonly string[]): string[] {
  if (added.length === 0) return [];
  const had = new Set(stored.flatMap(gramsOf));
  return [...new Set(added.flatMap(gramsOf))].filter((gram) => !had.has(gram));
}
