/**
 * Decoding tables for DEFLATE's Huffman codes (RFC 1951 §3.2.2, §3.2.5–3.2.7).
 *
 * DEFLATE packs a code starting at its most significant bit into the least significant free bit
 * of the stream, so the next N stream bits, read as a number, hold the code bit-reversed. A table
 * indexed by the next `rootBits` stream bits therefore holds each code of at most `rootBits` bits
 * at its reversed value and at every index that has the same low bits. A longer code's low
 * `rootBits` bits lead to a second-level table indexed by the following bits (as zlib's
 * inftrees.c does). huffman.ts builds tables for MSB-first streams (LZX, XPRESS): its index is the
 * code itself, so it cannot serve here without reversing every lookup.
 *
 * An entry (Int32): bits 0–3 the code length to consume, 4–6 its kind, 8–11 extra bits that follow
 * it, 16–31 its value (a literal, a base length or distance, or a second-level table's start).
 */
import { GrtError } from '../errors.js';

export const KIND_LITERAL = 0;
export const KIND_LENGTH = 1;
export const KIND_END = 2;
export const KIND_SUBTABLE = 3;
/** Bits that are no code (an incomplete code's gap) or a symbol the format reserves (286, 287, 30, 31). */
export const KIND_INVALID = 4;
export const KIND_DISTANCE = 5;

/** RFC 1951 §3.2.5: base lengths of symbols 257–285 and their extra bits. */
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
/** RFC 1951 §3.2.5: base distances of symbols 0–29 and their extra bits. */
const DISTANCE_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

/** RFC 1951 §3.2.7: code lengths are at most 15 bits (7 for the code-length code). */
export const MAX_CODE_BITS = 15;

export type CodeKind = 'literal/length' | 'distance' | 'code length';

/** A reusable decoding table: room for the root and for every second-level table a code can need. */
export interface DecodeTable {
  readonly rootBits: number;
  readonly entries: Int32Array;
}

export function createDecodeTable(rootBits: number, maxBits = MAX_CODE_BITS): DecodeTable {
  // Each root entry may lead to a second-level table of at most 2^(maxBits − rootBits) entries.
  return { rootBits, entries: new Int32Array((1 << rootBits) * (1 + (1 << Math.max(0, maxBits - rootBits)))) };
}

function entry(value: number, extra: number, kind: number, length: number): number {
  return (value << 16) | (extra << 8) | (kind << 4) | length;
}

/** The entry a symbol of `kind`'s alphabet decodes to (its code length added by the caller). */
function symbolEntry(kind: CodeKind, symbol: number): number {
  if (kind === 'code length') return entry(symbol, 0, KIND_LITERAL, 0);
  if (kind === 'distance') return symbol < 30 ? entry(DISTANCE_BASE[symbol]!, DISTANCE_EXTRA[symbol]!, KIND_DISTANCE, 0) : entry(0, 0, KIND_INVALID, 0);
  if (symbol < 256) return entry(symbol, 0, KIND_LITERAL, 0);
  if (symbol === 256) return entry(0, 0, KIND_END, 0);
  if (symbol < 286) return entry(LENGTH_BASE[symbol - 257]!, LENGTH_EXTRA[symbol - 257]!, KIND_LENGTH, 0);
  return entry(0, 0, KIND_INVALID, 0);
}

function reverseBits(code: number, length: number): number {
  let reversed = 0;
  for (let i = 0; i < length; i++) {
    reversed = (reversed << 1) | (code & 1);
    code >>>= 1;
  }
  return reversed;
}

/**
 * Build `table` from `count` code lengths at lengths[start…]. Over-subscribed lengths are damage;
 * so is an incomplete code, except what zlib also accepts: a literal/length or distance code of a
 * single 1-bit code, and a distance code with no codes at all (a block of literals only). Bits
 * that are no code decode to KIND_INVALID entries, an error when met. `offset` is where the
 * lengths were read, for the error.
 */
export function buildDecodeTable(table: DecodeTable, lengths: Uint8Array, start: number, count: number, kind: CodeKind, offset: number): void {
  const counts = new Uint16Array(MAX_CODE_BITS + 1);
  for (let i = 0; i < count; i++) counts[lengths[start + i]!]++;
  counts[0] = 0;
  let left = 1;
  let used = 0;
  for (let length = 1; length <= MAX_CODE_BITS; length++) {
    left = left * 2 - counts[length]!;
    used += counts[length]!;
    if (left < 0) throw new GrtError('BAD_COMPRESSED_DATA', `${kind} code lengths are over-subscribed`, { structure: 'DEFLATE block header', offset, space: 'compressed', actual: length });
  }
  const singleOneBit = used === 1 && counts[1] === 1;
  if (left > 0 && !(kind !== 'code length' && singleOneBit) && !(kind === 'distance' && used === 0)) {
    throw new GrtError('BAD_COMPRESSED_DATA', `${kind} code is incomplete`, { structure: 'DEFLATE block header', offset, space: 'compressed' });
  }
  table.entries.fill(entry(0, 0, KIND_INVALID, 0), 0, 1 << table.rootBits);
  fillCodes(table, lengths, start, count, kind, counts);
}

/** Place every symbol's entry: short codes in the root, long ones in second-level tables. */
function fillCodes(table: DecodeTable, lengths: Uint8Array, start: number, count: number, kind: CodeKind, counts: Uint16Array): void {
  const { rootBits, entries } = table;
  const firstCode = new Int32Array(MAX_CODE_BITS + 1);
  for (let length = 1, code = 0; length <= MAX_CODE_BITS; length++) {
    code = (code + counts[length - 1]!) << 1;
    firstCode[length] = code;
  }
  let maxLength = 0;
  for (let length = MAX_CODE_BITS; length > 0; length--) {
    if (counts[length]! > 0) {
      maxLength = length;
      break;
    }
  }
  const subBits = Math.max(0, maxLength - rootBits);
  let nextSubtable = 1 << rootBits;
  for (let symbol = 0; symbol < count; symbol++) {
    const length = lengths[start + symbol]!;
    if (length === 0) continue;
    const reversed = reverseBits(firstCode[length]!++, length);
    const value = symbolEntry(kind, symbol) | length;
    if (length <= rootBits) {
      for (let at = reversed; at < 1 << rootBits; at += 1 << length) entries[at] = value;
      continue;
    }
    const root = reversed & ((1 << rootBits) - 1);
    let link = entries[root]!;
    if (((link >>> 4) & 7) !== KIND_SUBTABLE) {
      link = entry(nextSubtable, subBits, KIND_SUBTABLE, rootBits);
      entries.fill(entry(0, 0, KIND_INVALID, 0), nextSubtable, nextSubtable + (1 << subBits));
      entries[root] = link;
      nextSubtable += 1 << subBits;
    }
    const base = link >>> 16;
    for (let at = reversed >>> rootBits; at < 1 << subBits; at += 1 << (length - rootBits)) entries[base + at] = value;
  }
}

/** RFC 1951 §3.2.6: the fixed code's lengths, literal/length (288) then distance (32). */
export function fixedLengths(): Uint8Array {
  const lengths = new Uint8Array(288 + 32);
  lengths.fill(8, 0, 144);
  lengths.fill(9, 144, 256);
  lengths.fill(7, 256, 280);
  lengths.fill(8, 280, 288);
  lengths.fill(5, 288, 320);
  return lengths;
}
