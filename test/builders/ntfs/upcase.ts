/**
 * The $UpCase table the builder writes, and the name order it implies.
 *
 * NOTE: an approximation of Windows' table: each BMP code unit maps to JavaScript's
 * `toUpperCase()` of it when that is exactly one code unit, else to itself (so 'ß' stays 'ß' and
 * surrogates stay as they are). Windows' real table differs for a few hundred code points; since
 * the builder writes this very table into the volume, a reader that collates with the volume's
 * own $UpCase sees a consistent index.
 */

let table: Uint16Array | undefined;

export function upcaseTable(): Uint16Array {
  if (table) return table;
  table = new Uint16Array(65536);
  for (let c = 0; c < 65536; c++) {
    const up = String.fromCharCode(c).toUpperCase();
    table[c] = up.length === 1 ? up.charCodeAt(0) : c;
  }
  return table;
}

/** The name with every UTF-16 code unit upcased through the table. */
export function upcaseName(name: string): string {
  const t = upcaseTable();
  let out = '';
  for (let i = 0; i < name.length; i++) out += String.fromCharCode(t[name.charCodeAt(i)]);
  return out;
}

/** $I30 collation (COLLATION_FILE_NAME): upcased code units, shorter prefix first, then exact units. */
export function compareNtfsNames(a: string, b: string): number {
  const t = upcaseTable();
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = t[a.charCodeAt(i)] - t[b.charCodeAt(i)];
    if (d !== 0) return d;
  }
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return 0;
}

/** The table as it is stored on disk: 65536 little-endian u16. */
export function upcaseBytes(): Uint8Array {
  const t = upcaseTable();
  const out = new Uint8Array(131072);
  for (let c = 0; c < 65536; c++) {
    out[2 * c] = t[c] & 0xff;
    out[2 * c + 1] = t[c] >>> 8;
  }
  return out;
}
