/** The resumable DEFLATE decoder (src/codecs/deflate.ts) against node:zlib's compressor. */
import { deflateRawSync, constants } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Inflater, InflateStatus, type InflateCheckpoint } from '../../src/codecs/deflate.js';
import { GrtError } from '../../src/errors.js';
import { textLike } from '../helpers/text-like.js';

/** Decode all of `input` through slabs of `slab` bytes; the checkpoints seen at block ends too. */
function inflate(input: Uint8Array, slab = 4096, from?: InflateCheckpoint, outputBytes = 8192): { output: Uint8Array; checkpoints: InflateCheckpoint[]; consumed: number } {
  const inflater = new Inflater(outputBytes, from);
  const parts: Uint8Array[] = [];
  const checkpoints: InflateCheckpoint[] = [];
  let taken = inflater.outputOffset;
  for (let guard = 0; guard < 10_000_000; guard++) {
    const status = inflater.run(Number.MAX_SAFE_INTEGER);
    if (status === InflateStatus.Input) {
      const at = inflater.nextInputOffset;
      const end = Math.min(input.length, at + slab);
      inflater.feed(input.subarray(at, end), end === input.length);
      continue;
    }
    parts.push(inflater.output.slice(taken - inflater.outputBase, inflater.outputOffset - inflater.outputBase));
    taken = inflater.outputOffset;
    if (status === InflateStatus.End) return { output: Buffer.concat(parts), checkpoints, consumed: inflater.consumedOffset };
    if (status === InflateStatus.BlockEnd) checkpoints.push(inflater.checkpoint());
    if (inflater.full) inflater.slide();
  }
  throw new Error('no end');
}


describe('Inflater', () => {
  it('decodes zlib output of every level and strategy, fed in small slabs', () => {
    const data = Buffer.concat([textLike(1, 200_000), Buffer.alloc(70_000, 9), Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) & 255))]);
    for (const options of [{ level: 0 }, { level: 1 }, { level: 6 }, { level: 9 }, { strategy: constants.Z_FIXED }, { strategy: constants.Z_HUFFMAN_ONLY }, { strategy: constants.Z_RLE }]) {
      const compressed = deflateRawSync(data, options);
      const { output, consumed } = inflate(compressed, 1500);
      expect(Buffer.compare(output, data), JSON.stringify(options)).toBe(0);
      expect(consumed).toBe(compressed.length);
    }
  });

  it('property: random and text-like data, resumed from every checkpoint, equals the original', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40_000 }), fc.integer({ min: 1, max: 300_000 }), fc.constantFrom(1, 6, 9), fc.integer({ min: 1500, max: 70_000 }), (random, seed, level, slab) => {
        const data = Buffer.concat([random, textLike(seed, seed % 120_000), random.subarray(0, seed % 5000)]);
        const compressed = deflateRawSync(data, { level, memLevel: 1 }); // memLevel 1: small blocks, many checkpoints
        const { output, checkpoints } = inflate(compressed, slab);
        expect(Buffer.compare(output, data)).toBe(0);
        for (const checkpoint of checkpoints.slice(0, 6)) {
          const rest = inflate(compressed, slab, checkpoint);
          expect(Buffer.compare(rest.output, data.subarray(checkpoint.outputOffset))).toBe(0);
        }
      }),
      { seed: 19, numRuns: 40 },
    );
  });

  it('stops where the caller asks: output never runs more than one match past the stop', () => {
    const data = textLike(5, 100_000);
    const compressed = deflateRawSync(data);
    const inflater = new Inflater(1 << 20);
    inflater.feed(compressed, true);
    expect(inflater.run(1000)).toBe(InflateStatus.Output);
    expect(inflater.outputOffset).toBeGreaterThanOrEqual(1000);
    expect(inflater.outputOffset).toBeLessThan(1000 + 258);
    expect(Buffer.compare(inflater.output.subarray(0, 1000), data.subarray(0, 1000))).toBe(0);
  });

  // Hand-assembled streams (bits LSB first; Huffman codes MSB first, RFC 1951 §3.1.1).
  const damaged: [string, number[], RegExp][] = [
    ['reserved block type 3', [0x07], /block type 3 is reserved/],
    ['stored length and complement disagree', [0x01, 0x05, 0x00, 0x00, 0x00], /stored block length 5 does not match its complement 0/],
    // Fixed block: symbol 257 (length 3, code 0000001), distance code 0 (distance 1) as the first symbol.
    ['a match before the start of the output', [0x03, 0x02, 0x00], /a match reaches 1 bytes back, before the start of the output/],
    // Fixed block: literal/length symbol 286 (code 11000110), which RFC 1951 reserves.
    ['a reserved literal/length symbol', [0x1b, 0x03], /no literal\/length code/],
    // Dynamic block, HLIT 257, HDIST 31: more distance codes than the 30 defined.
    ['too many distance codes (HDIST 31)', [0x05, 0x1f, 0x00], /declares 257 literal\/length and 32 distance codes/],
    // Dynamic block, HCLEN 4: the code-length code lengths of 16, 17, 18 and 0 are all 1 bit.
    ['over-subscribed code-length code', [0x05, 0x00, 0x92, 0x04], /code length code lengths are over-subscribed/],
    ['cut short: a fixed block without its end', [0x4b, 0x4c, 0x4a], /ends before its final block/],
    ['an empty input', [], /ends before its final block/],
  ];
  it.each(damaged)('damage: %s is BAD_COMPRESSED_DATA with an offset', (_name, bytes, message) => {
    let error: unknown;
    try {
      inflate(Uint8Array.from(bytes));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GrtError);
    expect((error as GrtError).code).toBe('BAD_COMPRESSED_DATA');
    expect((error as GrtError).offset).toBeTypeOf('number');
    expect((error as GrtError).message).toMatch(message);
  });

  it('damage property: mutated streams give the original, other bytes, or only BAD_COMPRESSED_DATA', () => {
    const data = Buffer.concat([textLike(3, 30_000), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31) & 255))]);
    const compressed = deflateRawSync(data, { level: 9 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(compressed.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(compressed.length), (edits, cut) => {
        const bytes = Uint8Array.from(compressed.subarray(0, Math.max(1, cut)));
        for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
        try {
          inflate(bytes, 1200);
        } catch (e) {
          if (!(e instanceof GrtError)) throw e;
          expect(e.code).toBe('BAD_COMPRESSED_DATA');
        }
      }),
      { seed: 23, numRuns: 300 },
    );
  });
});
