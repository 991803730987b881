import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { buildHuffmanCode, createHuffmanCode, decodeLong } from '../../src/codecs/huffman.js';
import { decompressLzx, LzxDecompressor, MAX_LZX_OUTPUT } from '../../src/codecs/lzx.js';
import { decompressXpressHuffman, MAX_XPRESS_OUTPUT, XpressHuffmanDecompressor } from '../../src/codecs/xpress-huffman.js';
import { loadVectors } from './wof-vectors.js';

const vectors = loadVectors();
const decompress = (format: number, packed: Uint8Array, size: number): Uint8Array =>
  format === 1 ? decompressLzx(packed, size) : decompressXpressHuffman(packed, size);

describe('XPRESS Huffman and LZX against wimlib', () => {
  it('has vectors of every format, compressed and stored chunks, and LZX verbatim and aligned blocks', () => {
    expect(new Set(vectors.map((v) => v.format))).toEqual(new Set([0, 1, 2, 3]));
    const chunks = vectors.flatMap((v) => v.chunks);
    expect(chunks.filter((c) => c.stored).length).toBeGreaterThan(0);
    expect(chunks.filter((c) => !c.stored).length).toBeGreaterThan(60);
    const lzxTypes = new Set(vectors.filter((v) => v.format === 1).flatMap((v) => v.chunks.filter((c) => !c.stored).map((c) => c.packed[1]! >>> 5)));
    expect(lzxTypes).toEqual(new Set([1, 2]));
  });

  for (const v of vectors) {
    it(`${v.file}: every compressed chunk gives its plaintext`, () => {
      // One decompressor for all chunks: nothing of a chunk may leak into the next.
      const xpress = new XpressHuffmanDecompressor();
      const lzx = new LzxDecompressor();
      for (const chunk of v.chunks) {
        if (chunk.stored) continue;
        const out = new Uint8Array(chunk.plain.length);
        (v.format === 1 ? lzx : xpress).decompress(chunk.packed, out);
        expect(Buffer.from(out).equals(Buffer.from(chunk.plain))).toBe(true);
      }
    });
  }
});

/** Every outcome of decompressing damaged data: the exact output size or a GrtError. */
function onlyGrtError(run: () => Uint8Array, size: number): void {
  try {
    expect(run().length).toBe(size);
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    expect(['BAD_COMPRESSED_DATA', 'LIMIT_EXCEEDED']).toContain(error.code);
  }
}

describe('damaged chunks give only GrtError', () => {
  const samples = vectors.flatMap((v) => v.chunks.filter((c) => !c.stored).map((c) => ({ format: v.format, ...c })));
  it('mutated bytes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (sample, edits) => {
        const packed = sample.packed.slice();
        for (const [at, value] of edits) packed[at % packed.length] = value;
        onlyGrtError(() => decompress(sample.format, packed, sample.plain.length), sample.plain.length);
      }),
      { numRuns: 600 },
    );
  });

  it('cut short, extended, random, and asked for another size', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.nat(), fc.integer({ min: 0, max: 65536 }), fc.uint8Array({ maxLength: 600 }), (sample, cut, size, noise) => {
        const short = sample.packed.subarray(0, cut % sample.packed.length);
        onlyGrtError(() => decompress(sample.format, short, sample.plain.length), sample.plain.length);
        const longer = new Uint8Array([...sample.packed, ...noise]);
        onlyGrtError(() => decompress(sample.format, longer, sample.plain.length), sample.plain.length);
        onlyGrtError(() => decompress(sample.format, noise, sample.plain.length), sample.plain.length);
        onlyGrtError(() => decompress(sample.format, sample.packed, size), size);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses outputs past one block or window', () => {
    expect(() => decompressXpressHuffman(new Uint8Array(300), MAX_XPRESS_OUTPUT + 1)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
    expect(() => decompressLzx(new Uint8Array(300), MAX_LZX_OUTPUT + 1)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
    expect(() => decompressXpressHuffman(new Uint8Array(10), 100)).toThrow(expect.objectContaining({ code: 'BAD_COMPRESSED_DATA' }));
  });
});

/** An LZX bit stream: 16-bit little-endian words filled most significant bit first. */
class BitWriter {
  bytes: number[] = [];
  private word = 0;
  private used = 0;
  bits(value: number, count: number): this {
    for (let i = count - 1; i >= 0; i--) {
      this.word = (this.word << 1) | ((value >>> i) & 1);
      if (++this.used === 16) this.flush();
    }
    return this;
  }
  /** Pad to a word boundary; an aligned stream gets a whole zero word (the LZX rule). */
  align(): this {
    if (this.used === 0) this.bytes.push(0, 0);
    else this.bits(0, 16 - this.used);
    return this;
  }
  raw(...values: number[]): this {
    this.bytes.push(...values);
    return this;
  }
  private flush(): void {
    this.bytes.push(this.word & 0xff, this.word >>> 8);
    this.word = 0;
    this.used = 0;
  }
}

const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

describe('LZX uncompressed blocks', () => {
  it('reads two uncompressed blocks, odd sizes padded, the recent offsets checked', () => {
    const w = new BitWriter().bits(3, 3).bits(0, 1).bits(5, 16).align().raw(...u32(1), ...u32(2), ...u32(3), 10, 11, 12, 13, 14, 0);
    w.bits(3, 3).bits(0, 1).bits(3, 16).align().raw(...u32(1), ...u32(1), ...u32(1), 20, 21, 22, 0);
    expect([...decompressLzx(new Uint8Array(w.bytes), 8)]).toEqual([10, 11, 12, 13, 14, 20, 21, 22]);
    const zero = new BitWriter().bits(3, 3).bits(0, 1).bits(2, 16).align().raw(...u32(0), ...u32(1), ...u32(1), 1, 2);
    expect(() => decompressLzx(new Uint8Array(zero.bytes), 2)).toThrow(expect.objectContaining({ code: 'BAD_COMPRESSED_DATA' }));
  });

  it('refuses a block larger than the output, of size 0, or of an unknown type', () => {
    const big = new BitWriter().bits(3, 3).bits(1, 1).align().raw(...u32(1), ...u32(1), ...u32(1), ...new Array(40000).fill(7));
    expect(() => decompressLzx(new Uint8Array(big.bytes), 100)).toThrow(/block size out of range/);
    const empty = new BitWriter().bits(1, 3).bits(0, 1).bits(0, 16).align();
    expect(() => decompressLzx(new Uint8Array(empty.bytes), 100)).toThrow(/block size out of range/);
    const unknown = new BitWriter().bits(5, 3).bits(1, 1).align();
    expect(() => decompressLzx(new Uint8Array(unknown.bytes), 32768)).toThrow(/unknown block type/);
  });
});

describe('canonical Huffman tables', () => {
  it('refuses over-subscribed lengths and fails on bits that are no code', () => {
    const code = createHuffmanCode(4, 2, 3);
    expect(() => buildHuffmanCode(code, new Uint8Array([1, 1, 1, 0]), 0, 'test')).toThrow(/over-subscribed/);
    // Incomplete: one code of length 1 ('0'); bits starting with 1 are no code.
    buildHuffmanCode(code, new Uint8Array([0, 1, 0, 0]), 0, 'test');
    expect(code.table[0]).toBe((1 << 5) | 1);
    expect(code.table[2]).toBe(0);
    expect(() => decodeLong(code, 0b100, 'test')).toThrow(GrtError);
  });

  it('decodes codes longer than the table through the per-length walk', () => {
    // Lengths 1, 2, 3, 3: codes 0, 10, 110, 111; a 1-bit table holds only the first.
    const code = createHuffmanCode(4, 1, 3);
    buildHuffmanCode(code, new Uint8Array([1, 2, 3, 3]), 0, 'test');
    expect(decodeLong(code, 0b100, 'test')).toBe((1 << 5) | 2);
    expect(decodeLong(code, 0b110, 'test')).toBe((2 << 5) | 3);
    expect(decodeLong(code, 0b111, 'test')).toBe((3 << 5) | 3);
  });
});
