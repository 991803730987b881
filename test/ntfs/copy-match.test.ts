/**
 * copyMatch (the LZ77 match copy of the XPRESS Huffman and LZX decoders) against the byte-by-byte
 * definition: an overlapping match repeats its own output.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyMatch } from '../../src/codecs/huffman.js';

function reference(output: Uint8Array, outPos: number, distance: number, length: number): void {
  for (let i = 0; i < length; i++) output[outPos + i] = output[outPos - distance + i]!;
}

describe('copyMatch', () => {
  it('equals the byte-by-byte copy for every distance and length, overlapping or not', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.integer({ min: 2, max: 600 }), fc.nat(), (prefix, distanceSeed, length, tail) => {
      const distance = 1 + (distanceSeed % prefix.length);
      const size = prefix.length + length + (tail % 16);
      const expected = new Uint8Array(size);
      expected.set(prefix);
      expected.fill(0xaa, prefix.length);
      const actual = expected.slice();
      reference(expected, prefix.length, distance, length);
      copyMatch(actual, prefix.length, distance, length);
      expect(actual).toEqual(expected);
    }), { numRuns: 2000 });
  });
});
