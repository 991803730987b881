/**
 * XPRESS Huffman ("LZ77+Huffman") decompression of one chunk, as WOF stores XPRESS4K/8K/16K files.
 *
 * Sources: [MS-XCA] 2.1 (the format) and 2.2 (decompression pseudo-code). A chunk opens with 256
 * bytes holding 512 four-bit code lengths (symbol 2i in the low nibble of byte i, 2i+1 in the high
 * one). The bit stream follows as little-endian 16-bit words read most significant bit first; the
 * decoder keeps 32 bits ahead and refills 16 at a time. Symbols 0–255 are literals; 256–511 are
 * matches: (symbol − 256) low 4 bits = length − 3 (15: more length in the byte stream: one byte,
 * 255: then a u16 — 0: then a u32 — holding the whole length − 3), high 4 bits = n, the offset is
 * 2^n + the next n bits. Extra length bytes come from the byte stream at the current position,
 * between bit-stream words.
 * One block of lengths covers 64 KiB of output; WOF chunks are at most 16 KiB, so one chunk is one
 * block (longer outputs are refused, see MAX_XPRESS_OUTPUT).
 */
import { GrtError } from '../errors.js';
import { buildHuffmanCode, copyMatch, createHuffmanCode, decodeLong, LENGTH_MASK, LENGTH_BITS, type HuffmanCode } from './huffman.js';

const STRUCTURE = 'XPRESS Huffman chunk';
const SYMBOL_COUNT = 512;
const LENGTH_TABLE_BYTES = SYMBOL_COUNT / 2;
/** [MS-XCA] 2.1: code lengths are 4-bit fields, so at most 15. */
const MAX_CODE_LENGTH = 15;
/**
 * Direct table bits: 512 entries, rebuilt per chunk (a tenth of a 4 KiB chunk's time at 10 bits);
 * the symbols of real data nearly all have shorter codes. 9 against 10 bits, bench/wof-codecs.mjs
 * text, 6 alternating runs of CPU time: XPRESS4K 170 against 165 MB/s (with SHORT_MATCH).
 */
const TABLE_BITS = 9;
const MIN_MATCH = 3;
/** Matches shorter than this are copied by copyShortMatch, longer ones by copyMatch. */
const SHORT_MATCH = 16;
/**
 * The decoder reads 32 bits ahead of what it uses, so a valid chunk's last refills may read up to
 * 4 bytes past its end (as zeros); reading further means the chunk was cut short.
 */
const MAX_OVERRUN_BYTES = 4;
/** One block of code lengths serves 64 KiB of output ([MS-XCA] 2.1); grt decodes one block per call. */
export const MAX_XPRESS_OUTPUT = 65536;

/** A reusable decompressor: its decoding table is allocated once. */
export class XpressHuffmanDecompressor {
  private readonly code: HuffmanCode = createHuffmanCode(SYMBOL_COUNT, TABLE_BITS, MAX_CODE_LENGTH);
  private readonly lengths = new Uint8Array(SYMBOL_COUNT);

  /** Decompress `input` into all of `output` (its length is the exact uncompressed size). */
  decompress(input: Uint8Array, output: Uint8Array): void {
    const outEnd = output.length;
    if (outEnd > MAX_XPRESS_OUTPUT) throw new GrtError('LIMIT_EXCEEDED', 'XPRESS chunk larger than one block', { structure: STRUCTURE, expected: MAX_XPRESS_OUTPUT, actual: outEnd });
    if (outEnd === 0) return;
    const inEnd = input.length;
    if (inEnd < LENGTH_TABLE_BYTES + 4) throw new GrtError('BAD_COMPRESSED_DATA', 'chunk shorter than its code length table', { structure: STRUCTURE, expected: LENGTH_TABLE_BYTES + 4, actual: inEnd });
    const lengths = this.lengths;
    for (let i = 0; i < LENGTH_TABLE_BYTES; i++) {
      const byte = input[i]!;
      lengths[2 * i] = byte & 15;
      lengths[2 * i + 1] = byte >>> 4;
    }
    const code = this.code;
    buildHuffmanCode(code, lengths, 0, STRUCTURE);
    const table = code.table;

    let pos = LENGTH_TABLE_BYTES;
    // `bits` holds the next 32 bits, most significant first; `spare` of them beyond the 16 the
    // decoder may use without a refill ([MS-XCA] 2.2 NextBits / ExtraBitCount).
    let bits = ((input[pos]! | (input[pos + 1]! << 8)) << 16) | input[pos + 2]! | (input[pos + 3]! << 8);
    pos += 4;
    let spare = 16;
    let outPos = 0;
    while (outPos < outEnd) {
      let entry = table[bits >>> (32 - TABLE_BITS)]!;
      if (entry === 0) entry = decodeLong(code, bits >>> (32 - MAX_CODE_LENGTH), STRUCTURE);
      const codeLength = entry & LENGTH_MASK;
      const symbol = entry >>> LENGTH_BITS;
      bits <<= codeLength;
      spare -= codeLength;
      if (spare < 0) {
        bits |= word(input, pos) << -spare;
        pos += 2;
        spare += 16;
      }
      if (symbol < 256) {
        output[outPos++] = symbol;
        continue;
      }
      let length = symbol & 15;
      const offsetBits = (symbol >>> 4) & 15;
      if (length === 15) {
        if (pos >= inEnd) throw cutShort(pos);
        length = input[pos++]!;
        if (length === 255) {
          if (pos + 2 > inEnd) throw cutShort(pos);
          length = input[pos]! | (input[pos + 1]! << 8);
          pos += 2;
          if (length === 0) {
            if (pos + 4 > inEnd) throw cutShort(pos);
            length = (input[pos]! | (input[pos + 1]! << 8) | (input[pos + 2]! << 16) | (input[pos + 3]! << 24)) >>> 0;
            pos += 4;
          }
          if (length < 15) throw new GrtError('BAD_COMPRESSED_DATA', 'match length field below its minimum', { structure: STRUCTURE, offset: pos, expected: 15, actual: length });
        } else {
          length += 15;
        }
      }
      length += MIN_MATCH;
      let distance = 1;
      if (offsetBits !== 0) {
        distance = (bits >>> (32 - offsetBits)) | (1 << offsetBits);
        bits <<= offsetBits;
        spare -= offsetBits;
        if (spare < 0) {
          bits |= word(input, pos) << -spare;
          pos += 2;
          spare += 16;
        }
      }
      if (distance > outPos) throw new GrtError('BAD_COMPRESSED_DATA', 'match reaches before the chunk start', { structure: STRUCTURE, offset: pos, expected: outPos, actual: distance });
      if (length > outEnd - outPos) throw new GrtError('BAD_COMPRESSED_DATA', 'match runs past the chunk size', { structure: STRUCTURE, offset: pos, expected: outEnd - outPos, actual: length });
      if (length < SHORT_MATCH) copyShortMatch(output, outPos, outPos - distance, length);
      else copyMatch(output, outPos, distance, length);
      outPos += length;
    }
    if (pos > inEnd + MAX_OVERRUN_BYTES) throw cutShort(inEnd);
  }
}

/** Most matches of text: small enough to be inlined, 3 bytes (the minimum) without a loop test. */
function copyShortMatch(output: Uint8Array, outPos: number, from: number, length: number): void {
  output[outPos] = output[from]!;
  output[outPos + 1] = output[from + 1]!;
  output[outPos + 2] = output[from + 2]!;
  for (let i = 3; i < length; i++) output[outPos + i] = output[from + i]!;
}

/** The little-endian u16 at `pos`; zeros past the end (the read-ahead), bounded by the caller. */
function word(input: Uint8Array, pos: number): number {
  if (pos + 1 < input.length) return input[pos]! | (input[pos + 1]! << 8);
  if (pos > input.length + MAX_OVERRUN_BYTES) throw cutShort(input.length);
  return pos < input.length ? input[pos]! : 0;
}

function cutShort(offset: number): GrtError {
  return new GrtError('BAD_COMPRESSED_DATA', 'chunk ends before its data', { structure: STRUCTURE, offset });
}

/** Decompress one XPRESS Huffman chunk into exactly `outputLength` bytes. */
export function decompressXpressHuffman(input: Uint8Array, outputLength: number): Uint8Array {
  const output = new Uint8Array(outputLength);
  new XpressHuffmanDecompressor().decompress(input, output);
  return output;
}
