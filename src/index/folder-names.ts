/**
 * The names of one folder's children, packed into one blob (schema version 2, README "grt-index"):
 * a folder row holds them in slot order, so a name costs its bytes once and no row, key or index
 * of its own. Each name is front-coded against the one before it (as the catalog's NAMES records
 * are, docs/catalog-format.md §5): a varint of the UTF-16 units it shares with the previous name,
 * a varint of its remaining UTF-8 bytes, then those bytes. A name keeps its slot for good; names a
 * later backup brings are appended, so slots already stored in version rows never move.
 */
import { GrtError } from '../errors.js';
import { nameKey } from './row.js';

/** Bytes of a varint for any count here (< 2^35 ≥ every string and blob length). */
const MAX_COUNT_VARINT_BYTES = 5;
/** Code points of a name's key its prefix gram keeps: a glob's leading literal narrows by these. */
export const PREFIX_GRAM_CHARS = 3;

const decoder = new TextDecoder('utf-8', { fatal: true });

function damaged(detail: string, offset: number): never {
  throw new GrtError('UNSUPPORTED', `a folder in the index is damaged (${detail})`, { structure: 'index folder names', offset });
}

/** UTF-16 units `a` and `b` share at their start, never ending between the halves of a surrogate pair. */
function sharedUnits(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let n = 0;
  while (n < max && a.charCodeAt(n) === b.charCodeAt(n)) n++;
  if (n > 0 && n < b.length && (b.charCodeAt(n - 1) & 0xfc00) === 0xd800) n--;
  return n;
}

function putCount(out: number[], value: number): void {
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  out.push(value);
}

/**
 * The blob of `names` following a folder whose last stored name is `previous` ('' for a new
 * folder): appended to that folder's blob, it stores them after its names.
 */
export function encodeFolderNames(names: readonly string[], previous = ''): Uint8Array {
  const head: number[] = [];
  const parts: Buffer[] = [];
  let bytes = 0;
  for (const name of names) {
    const shared = sharedUnits(previous, name);
    const rest = Buffer.from(name.slice(shared), 'utf8');
    putCount(head, shared);
    putCount(head, rest.length);
    parts.push(Buffer.from(head), rest);
    bytes += head.length + rest.length;
    head.length = 0;
    previous = name;
  }
  return Buffer.concat(parts, bytes);
}

/** The names of a stored blob, in slot order; a blob that is not one (a damaged database) is a GrtError. */
export function decodeFolderNames(blob: Uint8Array): string[] {
  const names: string[] = [];
  let previous = '';
  let at = 0;
  const count = (): number => {
    let value = 0;
    for (let i = 0; i < MAX_COUNT_VARINT_BYTES && at < blob.length; i++) {
      const byte = blob[at++]!;
      value += (byte & 0x7f) * 2 ** (7 * i);
      if (byte < 0x80) return value;
    }
    return damaged('a length runs past its blob', at);
  };
  while (at < blob.length) {
    const shared = count();
    const length = count();
    if (shared > previous.length) damaged('a name shares more than the previous one has', at);
    if (length > blob.length - at) damaged('a name runs past its blob', at);
    let rest: string;
    try {
      rest = decoder.decode(blob.subarray(at, at + length));
    } catch {
      return damaged('a name is not UTF-8', at);
    }
    at += length;
    previous = shared === 0 ? rest : previous.slice(0, shared) + rest;
    names.push(previous);
  }
  return names;
}

/**
 * The search grams of a name (name_grams rows, with its folder): 'p' and the first
 * PREFIX_GRAM_CHARS code points of its key (the whole key when shorter), and, when it has a dot,
 * 'e' and its extension's key. names.ts turns a glob's literal start or end into these.
 */
export function gramsOf(name: string): string[] {
  const key = nameKey(name);
  const first = Array.from(key.slice(0, PREFIX_GRAM_CHARS * 2)).slice(0, PREFIX_GRAM_CHARS).join('');
  const dot = key.lastIndexOf('.');
  return dot < 0 ? [`p${first}`] : [`p${first}`, `e${key.slice(dot + 1)}`];
}
