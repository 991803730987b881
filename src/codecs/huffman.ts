/**
 * Canonical Huffman decoding tables for the XPRESS Huffman and LZX decompressors.
 *
 * Sources: [MS-XCA] 2.1 (canonical codes: codes of one length are consecutive, assigned in symbol
 * order, shorter codes first; codes are read most significant bit first) and the LZX format as WIM
 * and WOF use it (the same construction, lengths up to 16 bits).
 *
 * A code is decoded in two steps: a table indexed by the next `tableBits` bits gives the symbol and
 * its length for every code of at most `tableBits` bits (nearly all symbols of real data); a code
 * longer than that (or bits that are no code) finds an empty entry and goes to `decodeLong`, which
 * walks the lengths above `tableBits` using the first code of each length. The table is rebuilt per
 * block, so it stays small (2^tableBits entries) rather than 2^maxLength.
 */
import { GrtError } from '../errors.js';

/**
 * Copy a match of `length` bytes from `distance` back to output[outPos..]. Short matches (most of
 * them) go byte by byte. A long one goes through copyWithin (memmove): at once when it does not
 * overlap; a run of one byte (distance 1) is a fill; another overlapping match repeats its first
 * `distance` bytes, so it is copied in doubling pieces, each a copy of everything before it.
 */
export function copyMatch(output: Uint8Array, outPos: number, distance: number, length: number): void {
  let from = outPos - distance;
  const end = outPos + length;
  if (length >= LONG_MATCH) {
    if (distance >= length) {
      output.copyWithin(outPos, from, from + length);
      return;
    }
    if (distance === 1) {
      output.fill(output[from]!, outPos, end);
      return;
    }
    if (distance >= MIN_DOUBLING_DISTANCE) {
      let piece = distance;
      while (outPos < end) {
        const take = Math.min(piece, end - outPos);
        output.copyWithin(outPos, from, from + take);
        outPos += take;
        piece += take;
      }
      return;
    }
  }
  // Every match is at least 2 bytes (LZX; XPRESS 3): the first two need no loop test.
  output[outPos] = output[from]!;
  output[outPos + 1] = output[from + 1]!;
  for (let i = 2; i < length; i++) output[outPos + i] = output[from + i]!;
}
/** From this length a match is copied by copyWithin or fill rather than byte by byte. */
const LONG_MATCH = 32;
/** Overlapping matches with a shorter period stay byte by byte: the pieces would be too many. */
const MIN_DOUBLING_DISTANCE = 8;

/** Bits of an entry holding the code length; the symbol is above them. */
export const LENGTH_BITS = 5;
export const LENGTH_MASK = (1 << LENGTH_BITS) - 1;

export interface HuffmanCode {
  readonly symbolCount: number;
  readonly tableBits: number;
  readonly maxLength: number;
  /** Entry = symbol << LENGTH_BITS | length; 0 = a code longer than tableBits, or no code. */
  readonly table: Uint16Array;
  /** Per length: how many codes, the first code, and where its symbols start in `sorted`. */
  readonly counts: Uint16Array;
  readonly firstCode: Int32Array;
  readonly firstIndex: Uint16Array;
  /** Symbols in code order (by length, then symbol). */
  readonly sorted: Uint16Array;
}

export function createHuffmanCode(symbolCount: number, tableBits: number, maxLength: number): HuffmanCode {
  return {
    symbolCount,
    tableBits,
    maxLength,
    table: new Uint16Array(1 << tableBits),
    counts: new Uint16Array(maxLength + 1),
    firstCode: new Int32Array(maxLength + 2),
    firstIndex: new Uint16Array(maxLength + 2),
    sorted: new Uint16Array(symbolCount),
  };
}

/**
 * Build `code` from `symbolCount` code lengths starting at lengths[start] (0 = symbol unused).
 * Over-subscribed lengths (more codes than the bits allow) are BAD_COMPRESSED_DATA. An incomplete
 * code is accepted, as Windows and wimlib accept it (a block using one symbol, or none): bits that
 * are no code fail when met.
 */
export function buildHuffmanCode(code: HuffmanCode, lengths: Uint8Array, start: number, structure: string): void {
  const { symbolCount, tableBits, maxLength, table, counts, firstCode, firstIndex, sorted } = code;
  counts.fill(0);
  for (let symbol = 0; symbol < symbolCount; symbol++) {
    const length = lengths[start + symbol]!;
    if (length > maxLength) throw new GrtError('BAD_COMPRESSED_DATA', 'Huffman code length too long', { structure, expected: maxLength, actual: length });
    counts[length]++;
  }
  counts[0] = 0;
  let left = 1; // unused share of the code space, in units of the current length
  let next = 0;
  let index = 0;
  for (let length = 1; length <= maxLength; length++) {
    left = left * 2 - counts[length]!;
    if (left < 0) throw new GrtError('BAD_COMPRESSED_DATA', 'Huffman code lengths are over-subscribed', { structure, actual: length });
    firstCode[length] = next;
    firstIndex[length] = index;
    next = (next + counts[length]!) * 2;
    index += counts[length]!;
  }
  // Place the symbols in code order; firstIndex is advanced and then restored.
  for (let symbol = 0; symbol < symbolCount; symbol++) {
    const length = lengths[start + symbol]!;
    if (length !== 0) sorted[firstIndex[length]!++] = symbol;
  }
  for (let length = 1; length <= maxLength; length++) firstIndex[length] = firstIndex[length]! - counts[length]!;

  // Canonical codes of at most tableBits fill the table from entry 0 on, shorter codes first and
  // without gaps; what is left (long codes' prefixes, unused code space) is cleared once.
  const shortest = Math.min(tableBits, maxLength);
  let at = 0;
  for (let length = 1; length <= shortest; length++) {
    const span = 1 << (tableBits - length);
    const symbols = firstIndex[length]!;
    for (let i = 0, count = counts[length]!; i < count; i++) {
      const entry = (sorted[symbols + i]! << LENGTH_BITS) | length;
      // A loop, not table.fill: most spans are a few entries, and the call costs more than them.
      for (const end = at + span; at < end; at++) table[at] = entry;
    }
  }
  table.fill(0, at);
}

/**
 * The entry (symbol << LENGTH_BITS | length) of a code longer than tableBits; `bits` are the next
 * maxLength bits of the stream, most significant first. BAD_COMPRESSED_DATA when they are no code.
 */
export function decodeLong(code: HuffmanCode, bits: number, structure: string): number {
  const { maxLength, counts, firstCode, firstIndex, sorted } = code;
  for (let length = code.tableBits + 1; length <= maxLength; length++) {
    const index = (bits >>> (maxLength - length)) - firstCode[length]!;
    if (index >= 0 && index < counts[length]!) return (sorted[firstIndex[length]! + index]! << LENGTH_BITS) | length;
  }
  throw new GrtError('BAD_COMPRESSED_DATA', 'bits that are no Huffman code', { structure });
}
