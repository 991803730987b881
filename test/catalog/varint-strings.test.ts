/** Strings through one ByteReader: its scratch grows for long ones and never leaks a longer one's tail. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../../src/catalog/varint.js';

describe('ByteReader.str', () => {
  it('reads back strings of any length in any order, short after long (property)', () => {
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 200, maxLength: 3000 }), fc.constant('x'.repeat(65_536)));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 8 }), (values) => {
        const writer = new ByteWriter();
        for (const value of values) writer.str(value);
        const reader = new ByteReader(writer.bytes(), 0, 'test strings');
        expect(values.map(() => reader.str())).toEqual(values);
      }),
      { numRuns: 60 },
    );
  });
});
