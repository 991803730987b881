/**
 * A file version's facts packed into one blob: type, size, times, file-system identity and
 * attributes as LEB128 varints (times zigzag-coded, ctime as its distance from mtime). The index
 * filters and prints them in JavaScript, never in SQL, so a blob costs one column header and the
 * bytes of its numbers (~17 bytes for a typical NTFS file, where eight integer columns took ~34),
 * and two versions are the same when their blobs are equal.
 */
import { GrtError } from '../errors.js';

/** Bytes of the longest varint a 64-bit zigzag value needs (10 × 7 bits ≥ 64). */
const MAX_VARINT_BYTES = 10;
/** Numbers in a facts blob, in order. */
const FACT_COUNT = 7;
/** Bytes of the longest facts blob. */
export const FACTS_MAX_BYTES = FACT_COUNT * MAX_VARINT_BYTES;
/** Past this, a Number loses integer precision: the bigint path takes over. */
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export interface VersionFacts {
  type: number;
  size: number;
  /** Microseconds since 1970. */
  mtime: bigint;
  ctime: bigint;
  record: number;
  sequence: number;
  attributes: number;
}

/** Zigzag-coded values of magnitude up to this fit a Number exactly: such times skip bigint arithmetic. */
const SAFE_HALF = SAFE >> 1n;

function zigzag(value: bigint): bigint | number {
  if (value <= SAFE_HALF && value >= -SAFE_HALF) {
    const n = Number(value);
    return n >= 0 ? n * 2 : -n * 2 - 1;
  }
  return value >= 0n ? value << 1n : ((-value) << 1n) - 1n;
}

function unzigzag(value: bigint): bigint {
  return (value & 1n) === 0n ? value >> 1n : -((value + 1n) >> 1n);
}

/** Appends `value` (≥ 0, < 2^64) as a LEB128 varint at `at`; returns the next offset. */
function putVarint(out: Uint8Array, at: number, value: bigint | number): number {
  if (typeof value === 'bigint' && value <= SAFE) value = Number(value);
  if (typeof value === 'number') {
    while (value >= 0x80) {
      out[at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    out[at++] = value;
    return at;
  }
  while (value >= 0x80n) {
    out[at++] = Number(value & 0x7fn) | 0x80;
    value >>= 7n;
  }
  out[at++] = Number(value);
  return at;
}

/**
 * The blob of `facts` (see the file comment for the order), written in `scratch` (at least
 * FACTS_MAX_BYTES, reused by a caller encoding many) and copied out at its length unless `copy`
 * is false (a view of `scratch`, valid until its next use).
 */
export function encodeFacts(facts: VersionFacts, scratch = new Uint8Array(FACTS_MAX_BYTES), copy = true): Uint8Array {
  const out = scratch;
  let at = putVarint(out, 0, facts.type);
  at = putVarint(out, at, facts.size);
  at = putVarint(out, at, zigzag(facts.mtime));
  at = putVarint(out, at, zigzag(facts.ctime - facts.mtime));
  at = putVarint(out, at, facts.record);
  at = putVarint(out, at, facts.sequence);
  at = putVarint(out, at, facts.attributes);
  return copy ? out.slice(0, at) : out.subarray(0, at);
}

/** The facts of a stored blob; a blob that is not one (a damaged database) is a GrtError. */
export function decodeFacts(blob: Uint8Array): VersionFacts {
  let at = 0;
  const next = (): bigint => {
    let value = 0n;
    for (let shift = 0n; at < blob.length && shift < BigInt(MAX_VARINT_BYTES * 7); shift += 7n) {
      const byte = blob[at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    throw new GrtError('UNSUPPORTED', 'a file version in the index is damaged (facts blob)', { structure: 'index version facts', offset: at });
  };
  const type = Number(next());
  const size = Number(next());
  const mtime = unzigzag(next());
  const ctime = mtime + unzigzag(next());
  return { type, size, mtime, ctime, record: Number(next()), sequence: Number(next()), attributes: Number(next()) };
}
