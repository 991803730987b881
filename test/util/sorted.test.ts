import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstAtOrAfter } from '../../src/util/sorted.js';

describe('firstAtOrAfter', () => {
  it('gives the index a linear scan finds: the first value at or after the one asked for', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 })), fc.integer({ min: -60, max: 60 }), (raw, value) => {
        const values = raw.sort((a, b) => a - b);
        const linear = values.findIndex((v) => v >= value);
        expect(firstAtOrAfter(values, value)).toBe(linear < 0 ? values.length : linear);
      }),
    );
  });
});
