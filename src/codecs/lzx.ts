/**
 * LZX decompression of one chunk, in the variant WIM and WOF use: a 32 KiB window, each chunk an
 * independent stream, no E8 header bit (the E8 call translation is always on, with the file size
 * fixed at 12000000), block sizes as one bit "32768" or 16 bits.
 *
 * Sources: the LZX format as [MS-PATCH] and the CAB LZX description define it (blocks of type
 * 1 verbatim, 2 aligned offset, 3 uncompressed; a main code over 256 literals and 8 length headers
 * per offset slot, a length code of 249 symbols, an aligned code of 8 symbols; code lengths sent
 * through a 20-symbol pre-code as differences from the previous block's lengths; the three
 * most recent offsets), and wimlib's notes on the WIM variant (the points above).
 * The bit stream is little-endian 16-bit words read most significant bit first.
 */
import { GrtError } from '../errors.js';
import { buildHuffmanCode, copyMatch, createHuffmanCode, decodeLong, LENGTH_BITS, LENGTH_MASK, type HuffmanCode } from './huffman.js';
import { LzxBits } from './lzx-bits.js';

const STRUCTURE = 'LZX chunk';
/** WOF's LZX chunks and window are 32 KiB; a chunk never refers before its own start. */
export const MAX_LZX_OUTPUT = 32768;
/** Offset slots a 32 KiB window needs (slot 29 reaches offsets up to 32765). */
const OFFSET_SLOTS = 30;
const LITERALS = 256;
const LENGTH_HEADERS = 8;
const MAIN_SYMBOLS = LITERALS + LENGTH_HEADERS * OFFSET_SLOTS;
const LENGTH_SYMBOLS = 249;
const PRECODE_SYMBOLS = 20;
const ALIGNED_SYMBOLS = 8;
/** Main and length code lengths go up to 16 bits; pre-code lengths are 4-bit fields, aligned 3-bit. */
const MAX_CODE_LENGTH = 16;
const MAX_PRECODE_LENGTH = 15;
const MAX_ALIGNED_LENGTH = 7;
const MIN_MATCH = 2;
/** Offsets below this are the recent-offset slots; formatted offsets are real offset + 2. */
const OFFSET_ADJUSTMENT = 2;
const ALIGNED_OFFSET_BITS = 3;
const DEFAULT_BLOCK_SIZE = 32768;
const BLOCK_VERBATIM = 1;
const BLOCK_ALIGNED = 2;
const BLOCK_UNCOMPRESSED = 3;
/** The E8 translation's fixed "file size" in WIM and WOF. */
const E8_FILE_SIZE = 12000000;
/** The E8 translation stops this far from the end (a call needs 5 bytes; CAB LZX leaves 10). */
const E8_TAIL = 10;

/** Formatted offset base and extra bits per offset slot. */
const SLOT_BASE = new Int32Array(OFFSET_SLOTS);
const SLOT_EXTRA_BITS = new Uint8Array(OFFSET_SLOTS);
for (let slot = 0, base = 0; slot < OFFSET_SLOTS; slot++) {
  const extra = slot < 4 ? 0 : (slot >>> 1) - 1;
  SLOT_BASE[slot] = base;
  SLOT_EXTRA_BITS[slot] = extra;
  base += 1 << extra;
}

/** A reusable decompressor: its tables are allocated once. */
export class LzxDecompressor {
  private readonly mainLengths = new Uint8Array(MAIN_SYMBOLS);
  private readonly lengthLengths = new Uint8Array(LENGTH_SYMBOLS);
  private readonly alignedLengths = new Uint8Array(ALIGNED_SYMBOLS);
  private readonly precodeLengths = new Uint8Array(PRECODE_SYMBOLS);
  private readonly main = createHuffmanCode(MAIN_SYMBOLS, 11, MAX_CODE_LENGTH);
  private readonly length = createHuffmanCode(LENGTH_SYMBOLS, 9, MAX_CODE_LENGTH);
  private readonly aligned = createHuffmanCode(ALIGNED_SYMBOLS, MAX_ALIGNED_LENGTH, MAX_ALIGNED_LENGTH);
  private readonly precode = createHuffmanCode(PRECODE_SYMBOLS, 6, MAX_PRECODE_LENGTH);
  private readonly bits = new LzxBits(STRUCTURE);

  /** Decompress `input` into all of `output` (its length is the exact uncompressed size). */
  decompress(input: Uint8Array, output: Uint8Array): void {
    const outEnd = output.length;
    if (outEnd > MAX_LZX_OUTPUT) throw new GrtError('LIMIT_EXCEEDED', 'LZX chunk larger than its window', { structure: STRUCTURE, expected: MAX_LZX_OUTPUT, actual: outEnd });
    const bits = this.bits;
    bits.start(input);
    // Each chunk is a stream of its own: lengths start at zero, recent offsets at 1.
    this.mainLengths.fill(0);
    this.lengthLengths.fill(0);
    const recent = new Int32Array([1, 1, 1]);
    let outPos = 0;
    while (outPos < outEnd) {
      const type = bits.read(3);
      const blockSize = bits.read(1) === 1 ? DEFAULT_BLOCK_SIZE : bits.read(16);
      if (blockSize === 0 || blockSize > outEnd - outPos) {
        throw new GrtError('BAD_COMPRESSED_DATA', 'block size out of range', { structure: STRUCTURE, offset: bits.pos, expected: outEnd - outPos, actual: blockSize });
      }
      const blockEnd = outPos + blockSize;
      if (type === BLOCK_UNCOMPRESSED) {
        bits.copyUncompressed(output, outPos, blockSize, recent);
      } else if (type === BLOCK_VERBATIM || type === BLOCK_ALIGNED) {
        if (type === BLOCK_ALIGNED) {
          for (let i = 0; i < ALIGNED_SYMBOLS; i++) this.alignedLengths[i] = bits.read(3);
          buildHuffmanCode(this.aligned, this.alignedLengths, 0, STRUCTURE);
        }
        this.readLengths(this.mainLengths, 0, LITERALS);
        this.readLengths(this.mainLengths, LITERALS, MAIN_SYMBOLS - LITERALS);
        buildHuffmanCode(this.main, this.mainLengths, 0, STRUCTURE);
        this.readLengths(this.lengthLengths, 0, LENGTH_SYMBOLS);
        buildHuffmanCode(this.length, this.lengthLengths, 0, STRUCTURE);
        this.decodeBlock(output, outPos, blockEnd, type === BLOCK_ALIGNED, recent);
      } else {
        throw new GrtError('BAD_COMPRESSED_DATA', 'unknown block type', { structure: STRUCTURE, offset: bits.pos, actual: type });
      }
      outPos = blockEnd;
    }
    bits.finish();
    undoE8Translation(output);
  }

  /** Code lengths [start, start+count) of `lengths`, sent through a pre-code as deltas from their previous values. */
  private readLengths(lengths: Uint8Array, start: number, count: number): void {
    const bits = this.bits;
    for (let i = 0; i < PRECODE_SYMBOLS; i++) this.precodeLengths[i] = bits.read(4);
    buildHuffmanCode(this.precode, this.precodeLengths, 0, STRUCTURE);
    const end = start + count;
    let i = start;
    while (i < end) {
      const presym = this.decode(this.precode);
      if (presym < 17) {
        lengths[i] = (lengths[i]! + 17 - presym) % 17;
        i++;
        continue;
      }
      let run: number;
      let value = 0;
      if (presym === 17) run = 4 + bits.read(4);
      else if (presym === 18) run = 20 + bits.read(5);
      else {
        run = 4 + bits.read(1);
        const delta = this.decode(this.precode);
        if (delta > 16) throw new GrtError('BAD_COMPRESSED_DATA', 'run of code lengths without a length', { structure: STRUCTURE, offset: bits.pos, actual: delta });
        value = (lengths[i]! + 17 - delta) % 17;
      }
      if (run > end - i) throw new GrtError('BAD_COMPRESSED_DATA', 'run of code lengths past the last symbol', { structure: STRUCTURE, offset: bits.pos, expected: end - i, actual: run });
      lengths.fill(value, i, i + run);
      i += run;
    }
  }

  /** The next symbol of `code`. */
  private decode(code: HuffmanCode): number {
    const bits = this.bits;
    bits.ensure(code.maxLength);
    let entry = code.table[bits.peek(code.tableBits)]!;
    if (entry === 0) entry = decodeLong(code, bits.peek(code.maxLength), STRUCTURE);
    bits.skip(entry & LENGTH_MASK);
    return entry >>> LENGTH_BITS;
  }

  /**
   * Literals and matches of a verbatim or aligned block into output[outPos, blockEnd). The hot
   * loop: the bit reader's state lives in locals and the main code is decoded inline (through
   * `this.decode` it ran at about half the speed).
   */
  private decodeBlock(output: Uint8Array, outPos: number, blockEnd: number, alignedBlock: boolean, recent: Int32Array): void {
    const bits = this.bits;
    const input = bits.input;
    const inLength = input.length;
    const main = this.main;
    const mainTable = main.table;
    const mainShift = main.tableBits;
    const mainMask = (1 << mainShift) - 1;
    let buffer = bits.buffer;
    let count = bits.count;
    let pos = bits.pos;
    let r0 = recent[0]!;
    let r1 = recent[1]!;
    let r2 = recent[2]!;
    while (outPos < blockEnd) {
      if (count < MAX_CODE_LENGTH) {
        buffer = (buffer << 16) | (pos + 1 < inLength ? input[pos]! | (input[pos + 1]! << 8) : bits.wordPastEnd(pos));
        pos += 2;
        count += 16;
      }
      let entry = mainTable[(buffer >>> (count - mainShift)) & mainMask]!;
      if (entry === 0) entry = decodeLong(main, (buffer >>> (count - MAX_CODE_LENGTH)) & 0xffff, STRUCTURE);
      count -= entry & LENGTH_MASK;
      const symbol = entry >>> LENGTH_BITS;
      if (symbol < LITERALS) {
        output[outPos++] = symbol;
        continue;
      }
      const header = (symbol - LITERALS) & 7;
      const slot = (symbol - LITERALS) >>> 3;
      let length = header + MIN_MATCH;
      if (header === 7 || slot >= 3) {
        // Store the state back for the slower helpers (length code, extra bits, aligned code).
        bits.buffer = buffer;
        bits.count = count;
        bits.pos = pos;
        if (header === 7) length += this.decode(this.length);
      }
      let distance: number;
      if (slot === 0) distance = r0;
      else if (slot === 1) {
        distance = r1;
        r1 = r0;
        r0 = distance;
      } else if (slot === 2) {
        distance = r2;
        r2 = r0;
        r0 = distance;
      } else {
        const extraBits = SLOT_EXTRA_BITS[slot]!;
        distance = SLOT_BASE[slot]! - OFFSET_ADJUSTMENT;
        if (alignedBlock && extraBits >= ALIGNED_OFFSET_BITS) {
          distance += bits.read(extraBits - ALIGNED_OFFSET_BITS) << ALIGNED_OFFSET_BITS;
          distance += this.decode(this.aligned);
        } else {
          distance += bits.read(extraBits);
        }
        r2 = r1;
        r1 = r0;
        r0 = distance;
      }
      if (header === 7 || slot >= 3) {
        buffer = bits.buffer;
        count = bits.count;
        pos = bits.pos;
      }
      if (distance > outPos) throw new GrtError('BAD_COMPRESSED_DATA', 'match reaches before the chunk start', { structure: STRUCTURE, offset: pos, expected: outPos, actual: distance });
      if (length > blockEnd - outPos) throw new GrtError('BAD_COMPRESSED_DATA', 'match runs past its block', { structure: STRUCTURE, offset: pos, expected: blockEnd - outPos, actual: length });
      copyMatch(output, outPos, distance, length);
      outPos += length;
    }
    bits.buffer = buffer;
    bits.count = count;
    bits.pos = pos;
    recent[0] = r0;
    recent[1] = r1;
    recent[2] = r2;
  }
}

/**
 * Undo the E8 translation: the compressor turned the relative target of each x86 CALL (0xE8 then
 * a 32-bit operand) into an absolute one (operand + position) when it fell in [−position, size);
 * the operand after each E8 byte is skipped by the scan.
 */
export function undoE8Translation(data: Uint8Array): void {
  const last = data.length - E8_TAIL;
  // indexOf is a native byte search: the E8 bytes are a few percent of the data, and a JS loop
  // over every byte cost about a tenth of the decoding time.
  for (let i = data.indexOf(0xe8); i >= 0 && i < last; i = data.indexOf(0xe8, i + 1)) {
    const absolute = data[i + 1]! | (data[i + 2]! << 8) | (data[i + 3]! << 16) | (data[i + 4]! << 24);
    let relative: number | undefined;
    if (absolute >= 0) {
      if (absolute < E8_FILE_SIZE) relative = absolute - i;
    } else if (absolute >= -i) {
      relative = absolute + E8_FILE_SIZE;
    }
    if (relative !== undefined) {
      data[i + 1] = relative;
      data[i + 2] = relative >>> 8;
      data[i + 3] = relative >>> 16;
      data[i + 4] = relative >>> 24;
    }
    i += 4;
  }
}

/** Decompress one LZX chunk into exactly `outputLength` bytes. */
export function decompressLzx(input: Uint8Array, outputLength: number): Uint8Array {
  const output = new Uint8Array(outputLength);
  new LzxDecompressor().decompress(input, output);
  return output;
}
