/**
 * The one place a catalog entry becomes an index row. Everything the index stores about a file
 * version comes from here, so a change in the entry's shape (times, ids) is adapted in one function.
 *
 * Times are stored as integer microseconds since 1970-01-01 UTC (signed 64-bit): entries carry
 * nanoseconds since 1970 as bigints, which can pass 2^63 for the far FILETIMEs a damaged NTFS
 * record may hold; whole microseconds always fit, and both SQLite and PostgreSQL compare them as
 * plain integers.
 */
import type { EntryType, FileEntry } from '../fs/file-system.js';
import type { VersionFacts } from './facts.js';

/** Nanoseconds per microsecond. */
const NS_PER_MICROSECOND = 1000n;

export const TYPE_CODES: Record<EntryType, number> = { file: 0, dir: 1, symlink: 2, junction: 3, other: 4 };
export const TYPE_NAMES: EntryType[] = ['file', 'dir', 'symlink', 'junction', 'other'];

/** One entry of one backup as the index stores it: a file version plus where its path is. */
export interface VersionRow extends VersionFacts {
  /** Partition index of the volume (as the catalog numbers it). */
  volume: number;
  /** Parent directory path ('/' for names in the root). */
  dir: string;
  name: string;
  /** The search key of `name` (nameKey), as the paths table's key index computes it in SQL. */
  fkey: string;
  /** The owner: an NTFS owner SID (S-1-5-…), or a POSIX uid as decimal text; null when unknown. */
  owner: string | null;
  deleted: number;
}

/** Nanoseconds since 1970 → microseconds since 1970 (floor, so ordering is kept). */
export function microsFromNs(ns: bigint): bigint {
  const whole = ns / NS_PER_MICROSECOND;
  return ns < 0n && whole * NS_PER_MICROSECOND !== ns ? whole - 1n : whole;
}

/** ISO 8601 text of microseconds since 1970 (out-of-range values as the number itself). */
export function isoFromMicros(micros: bigint): string {
  const ms = Number(micros / 1000n);
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return `${micros}us`;
  const sub = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${date.toISOString().slice(0, 19)}.${String(sub).padStart(6, '0')}Z`;
}

const LONE_SURROGATE_OR_NUL = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\0/g;
/** Text that may hold what storableText() replaces: any surrogate or NUL (a plain test, far cheaper than the lookarounds). */
const SURROGATE_OR_NUL = /[\ud800-\udfff\0]/;
/** Text of ASCII characters only: nameKey() is then toLowerCase(), which folds exactly A-Z there. */
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/**
 * Text both back ends store as given: lone surrogates become U+FFFD (UTF-8 cannot hold them) and
 * NUL becomes U+FFFD (PostgreSQL text cannot hold it). NTFS names have neither on a sound volume.
 */
export function storableText(text: string): string {
  if (!SURROGATE_OR_NUL.test(text)) return text;
  return text.replace(LONE_SURROGATE_OR_NUL, '\uFFFD');
}

/**
 * The key names are searched by: ASCII letters lower-cased, and the two non-ASCII letters whose
 * case folding gives an ASCII letter (U+017F long s, U+212A Kelvin sign) mapped to it. Other
 * characters stay as they are. A glob's leading ASCII literals therefore select, by a range of this
 * key, a superset of the names the glob matches case-insensitively (src/util/glob.ts folds ASCII
 * case, and Unicode case folding maps only those two characters onto ASCII); the glob itself then
 * decides.
 */
export function nameKey(name: string): string {
  if (ASCII_ONLY.test(name)) return name.toLowerCase();
  let out = '';
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x41 && cp <= 0x5a) out += String.fromCharCode(cp + 0x20);
    else if (cp === 0x17f) out += 's';
    else if (cp === 0x212a) out += 'k';
    else out += ch;
  }
  return out;
}

/** What the index reads of an entry, or of a catalog's file record (the same fields in both). */
export type FactSource = Pick<FileEntry, 'type' | 'size' | 'times' | 'id' | 'attributes' | 'uid' | 'security'>;

/** Who owns `entry`: the NTFS owner SID when the catalog recorded one, else the POSIX uid. */
export function ownerOf(entry: FactSource): string | null {
  const sid = entry.security?.owner;
  if (sid !== undefined) return storableText(sid);
  return entry.uid !== undefined ? String(entry.uid) : null;
}

/** The index row of `entry` found on volume `volume` of a catalog. */
export function rowOf(volume: number, entry: FileEntry): VersionRow {
  const path = storableText(entry.path);
  const slash = path.lastIndexOf('/');
  const dir = slash <= 0 ? '/' : path.slice(0, slash);
  const name = path.slice(slash + 1);
  return {
    volume,
    dir,
    name,
    fkey: nameKey(name),
    owner: ownerOf(entry),
    ...factsOf(entry),
    deleted: entry.deleted === true ? 1 : 0,
  };
}

/** The facts of a file version, as its facts blob stores them. */
export function factsOf(f: FactSource): VersionFacts {
  return {
    type: TYPE_CODES[f.type],
    size: f.size,
    mtime: microsFromNs(f.times.mtime),
    ctime: microsFromNs(f.times.ctime),
    record: f.id.record,
    sequence: f.id.sequence,
    attributes: f.attributes ?? 0,
  };
}

/** The full path of a stored row. */
export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}
