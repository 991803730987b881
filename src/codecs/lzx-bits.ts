/**
 * The LZX bit stream: little-endian 16-bit words, each read most significant bit first, with the
 * byte-aligned payload of uncompressed blocks in between (see lzx.ts for the sources).
 */
import { GrtError } from '../errors.js';

/**
 * Before its last symbols the decoder loads up to two words it may not use; a valid stream can so
 * read 4 bytes past its end (as zeros). Further means the chunk was cut short.
 */
const MAX_OVERRUN_BYTES = 4;
/** Three little-endian u32 recent offsets open an uncompressed block. */
const RECENT_OFFSETS_BYTES = 12;

export class LzxBits {
  input: Uint8Array = new Uint8Array(0);
  /** Next byte to load. */
  pos = 0;
  /**
   * The low `count` bits of `buffer` are the next bits, most significant first (count ≤ 31).
   * Public so the block decoder can keep the three in locals in its loop and store them back.
   */
  buffer = 0;
  count = 0;

  constructor(private readonly structure: string) {}

  start(input: Uint8Array): void {
    this.input = input;
    this.pos = 0;
    this.buffer = 0;
    this.count = 0;
  }

  /** Have at least `n` (≤ 16) bits in the buffer. */
  ensure(n: number): void {
    while (this.count < n) {
      const input = this.input;
      const pos = this.pos;
      const word = pos + 1 < input.length ? input[pos]! | (input[pos + 1]! << 8) : this.wordPastEnd(pos);
      this.pos = pos + 2;
      this.buffer = (this.buffer << 16) | word;
      this.count += 16;
    }
  }

  /** The word at `pos` where it is not wholly in the input: the read-ahead's zeros, bounded. */
  wordPastEnd(pos: number): number {
    if (pos >= this.input.length + MAX_OVERRUN_BYTES) throw this.cutShort();
    return pos < this.input.length ? this.input[pos]! : 0;
  }

  /** The next `n` (1..16) bits without consuming them; ensure(n) first. */
  peek(n: number): number {
    return (this.buffer >>> (this.count - n)) & ((1 << n) - 1);
  }

  skip(n: number): void {
    this.count -= n;
  }

  read(n: number): number {
    if (n === 0) return 0;
    this.ensure(n);
    const value = this.peek(n);
    this.count -= n;
    return value;
  }

  /**
   * An uncompressed block: align to the next 16-bit word (a whole word is skipped when already
   * aligned), three u32 recent offsets, `size` bytes, a pad byte when `size` is odd.
   */
  copyUncompressed(output: Uint8Array, outPos: number, size: number, recent: Int32Array): void {
    // Drop the rest of the current word; when the stream is already at a word boundary, drop the
    // next word instead. Whole words loaded ahead and not skipped are given back.
    let wordsAhead = this.count >>> 4;
    if ((this.count & 15) === 0) {
      if (wordsAhead > 0) wordsAhead--;
      else this.pos += 2;
    }
    this.pos -= wordsAhead * 2;
    this.count = 0;
    this.buffer = 0;
    const input = this.input;
    let pos = this.pos;
    if (pos + RECENT_OFFSETS_BYTES + size > input.length) throw this.cutShort();
    for (let i = 0; i < 3; i++, pos += 4) {
      const offset = (input[pos]! | (input[pos + 1]! << 8) | (input[pos + 2]! << 16) | (input[pos + 3]! << 24)) >>> 0;
      // An offset of 0 is no offset (one too far back fails when a match uses it).
      if (offset === 0) throw new GrtError('BAD_COMPRESSED_DATA', 'recent offset out of range', { structure: this.structure, offset: pos, actual: offset });
      recent[i] = offset;
    }
    output.set(input.subarray(pos, pos + size), outPos);
    this.pos = pos + size + (size & 1);
  }

  /** After the last block: a stream that needed bytes past its end plus the read-ahead was cut short. */
  finish(): void {
    if (this.pos > this.input.length + MAX_OVERRUN_BYTES) throw this.cutShort();
  }

  private cutShort(): GrtError {
    return new GrtError('BAD_COMPRESSED_DATA', 'chunk ends before its data', { structure: this.structure, offset: this.input.length });
  }
}
