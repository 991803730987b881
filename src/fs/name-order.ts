/**
 * Name comparison rules (fs/file-system.ts NameRule): the key two names share exactly when the
 * volume considers them the same name, and the order a directory lists in. The live volume and
 * a catalog list a directory alike with these — an index read block by block is sorted only
 * within each block, and a catalog keeps the build's order.
 */
import type { FileEntry, NameRule } from './file-system.js';

/**
 * NTFS: each UTF-16 code unit mapped through the volume's $UpCase table (`units`, 65536 entries).
 * NTFS compares names so, unit by unit (not String.prototype.toUpperCase, whose rules differ).
 */
export function upcaseKey(units: Uint16Array, name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) out += String.fromCharCode(units[name.charCodeAt(i)]!);
  return out;
}

/**
 * An upcase table of JavaScript's upper case of each UTF-16 unit (a unit whose upper case is
 * longer stays itself): the rule of catalogs of format 1.0 and of the test file systems.
 */
export function unicodeUpcaseTable(): Uint16Array {
  const table = new Uint16Array(65536);
  for (let u = 0; u < 65536; u++) {
    const upper = String.fromCharCode(u).toUpperCase();
    table[u] = upper.length === 1 ? upper.charCodeAt(0) : u;
  }
  return table;
}

/** The lookup key of a name under `rule`: names with equal keys are one name on the volume. */
export function nameKeyOf(rule: NameRule): (name: string) => string {
  if (rule.kind === 'upcase') {
    const units = rule.table;
    return (name) => upcaseKey(units, name);
  }
  return (name) => name;
}

/**
 * Code point order, which is the byte order of the names' UTF-8 form (how ext and XFS hash-free
 * listings and `LC_ALL=C ls` sort). UTF-16 unit order differs only where a surrogate pair meets a
 * unit in U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800..DFFF) stand for code points past FFFF: lift them above E000..FFFF.
    const xs = x >= 0xd800 && x <= 0xdfff ? x + 0x2000 : x >= 0xe000 ? x - 0x800 : x;
    const ys = y >= 0xd800 && y <= 0xdfff ? y + 0x2000 : y >= 0xe000 ? y - 0x800 : y;
    return xs - ys;
  }
  return a.length - b.length;
}

/** Entries in the order `rule` gives: see inIndexOrder ('upcase') and compareCodePoints ('bytes'). */
export function inNameOrder<E extends Pick<FileEntry, 'name'>>(entries: readonly E[], rule: NameRule): E[] {
  if (rule.kind === 'upcase') return inIndexOrder(entries, nameKeyOf(rule));
  // Without surrogates, UTF-16 unit order is code point order, and `<` compares units natively.
  if (!entries.some((entry) => SURROGATE.test(entry.name))) return [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...entries].sort((a, b) => compareCodePoints(a.name, b.name));
}

/** A UTF-16 surrogate: a name with one is where unit order and code point order may differ. */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Entries in the order of an NTFS directory index (COLLATION_FILE_NAME, libfsntfs "Index" notes):
 * names upper-cased through the volume's $UpCase (`key`), then names equal but for case by their
 * exact UTF-16 units.
 */
export function inIndexOrder<E extends Pick<FileEntry, 'name'>>(entries: readonly E[], key: (name: string) => string): E[] {
  const keyed = entries.map((entry) => ({ entry, key: key(entry.name) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.entry.name < b.entry.name ? -1 : a.entry.name > b.entry.name ? 1 : 0));
  return keyed.map((k) => k.entry);
}
