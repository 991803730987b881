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
const SURROGATE = /[\ud800-\udfff]/;
/** Key code units of an ASCII character: below this. */
const ASCII_END = 0x80;

/**
 * The grams of some names (see gramsOf). ASCII trigrams are kept as 21-bit numbers, three 7-bit
 * characters, so a folder's names make one string per distinct gram rather than one per trigram met.
 */
class GramSet {
  private readonly trigrams = new Set<number>();
  private readonly others = new Set<string>();

  addName(name: string): this {
    if (name === '') return this;
    const key = nameKey(name);
    // PREFIX_GRAM_CHARS code points: as many UTF-16 units unless a surrogate pair is among them.
    const head = key.slice(0, PREFIX_GRAM_CHARS * 2);
    this.others.add(`p${SURROGATE.test(head) ? Array.from(head).slice(0, PREFIX_GRAM_CHARS).join('') : head.slice(0, PREFIX_GRAM_CHARS)}`);
    const dot = key.lastIndexOf('.');
    if (dot >= 0) this.others.add(`e${key.slice(dot + 1)}`);
    // A run of TRIGRAM_CHARS ASCII units (a unit of a non-ASCII character breaks it).
    let code = 0;
    let run = 0;
    for (let at = 0; at < key.length; at++) {
      const unit = key.charCodeAt(at);
      if (unit >= ASCII_END) (run = 0), (code = 0);
      else if (((code = ((code << 7) | unit) & 0x1fffff), ++run >= TRIGRAM_CHARS)) this.trigrams.add(code);
    }
    return this;
  }

  /** The grams of this set, less those of `than`. */
  grams(than?: GramSet): string[] {
    const out: string[] = [];
    for (const gram of this.others) if (!than?.others.has(gram)) out.push(gram);
    for (const code of this.trigrams) {
      if (!than?.trigrams.has(code)) out.push(`t${String.fromCharCode(code >> 14, (code >> 7) & 0x7f, code & 0x7f)}`);
    }
    return out;
  }
}

/**
 * The search grams of a name (gram_folders lists, gram-lists.ts), each once: 'p' and the first
 * PREFIX_GRAM_CHARS code points of its key (the whole key when shorter); when it has a dot, 'e'
 * and its extension's key; and 't' and each TRIGRAM_CHARS-character run of its key's ASCII
 * characters (a glob's literal runs are ASCII, names.ts, so no other trigram is ever asked for).
 * names.ts turns a glob's literal start, end and runs into these. A removed name ('') has none.
 */
export function gramsOf(name: string): string[] {
  return new GramSet().addName(name).grams();
}

/** The grams names `added` bring to a folder holding `stored`: those no stored name has (each once). */
export function gramsAdded(stored: readonly string[], added: readonly string[]): string[] {
  if (added.length === 0) return [];
  const had = new GramSet();
  for (const name of stored) had.addName(name);
  const now = new GramSet();
  for (const name of added) now.addName(name);
  return now.grams(had);
}
