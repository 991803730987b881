import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32cRaw, crc32cU32le, crc32cZeros } from '../../src/util/crc32c.js';

/** The bitwise definition: reflected polynomial 0x82F63B78, one bit at a time. */
function reference(seed: number, data: Uint8Array): number {
  let crc = seed >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return crc >>> 0;
}

describe('crc32c', () => {
  it('gives the check value of "123456789" (0xE3069283 with the usual inversions)', () => {
    expect((crc32cRaw(0xffffffff, new TextEncoder().encode('123456789')) ^ 0xffffffff) >>> 0).toBe(0xe3069283);
  });

  it('equals the bitwise definition over any bytes, seed and sub-range (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(), fc.nat(), (data, seed, a, b) => {
      const start = data.length === 0 ? 0 : a % (data.length + 1);
      const end = start + (data.length - start === 0 ? 0 : b % (data.length - start + 1));
      expect(crc32cRaw(seed, data, start, end)).toBe(reference(seed, data.subarray(start, end)));
    }));
  });

  it('folds in a little-endian u32 and zero bytes as the bytes themselves (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 4 }), (seed, value, zeros) => {
      const le = new Uint8Array(4);
      new DataView(le.buffer).setUint32(0, value, true);
      expect(crc32cU32le(seed, value)).toBe(reference(seed, le));
      expect(crc32cZeros(seed, zeros)).toBe(reference(seed, new Uint8Array(zeros)));
    }));
  });
});
