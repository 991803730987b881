/**
 * secondsToNs (util/time.ts) takes a Number path for seconds whose product with 1e9 is exact and a
 * BigInt path past it: both give the exact nanoseconds, across the boundary and for ext's
 * epoch-extended seconds (up to 2^34 + 2^31) and damaged nanosecond fields past 1e9.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { secondsToNs } from '../../src/util/time.js';

const exact = (seconds: number, nanoseconds: number): bigint => BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds);
/** The largest seconds whose product with 1e9 is exact as a Number (2^53 / 1953125). */
const BOUNDARY = 4_611_686_018;

describe('secondsToNs', () => {
  it('is exact for any integer seconds and 32-bit nanoseconds (property)', () => {
    const seconds = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: BOUNDARY - 1000, max: BOUNDARY + 1000 }).map((s) => (s % 2 === 0 ? s : -s)));
    const nanoseconds = fc.oneof(fc.constant(0), fc.nat(999_999_999), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    fc.assert(fc.property(seconds, nanoseconds, (s, ns) => {
      expect(secondsToNs(s, ns)).toBe(exact(s, ns));
    }), { numRuns: 5000 });
  });

  it('is exact at the Number path boundary and past it, and takes bigint seconds', () => {
    for (const s of [BOUNDARY, BOUNDARY + 1, -BOUNDARY, -BOUNDARY - 1, 2 ** 34 + 2 ** 31 - 1, Number.MAX_SAFE_INTEGER]) {
      expect(secondsToNs(s, 999_999_999)).toBe(exact(s, 999_999_999));
      expect(secondsToNs(s)).toBe(exact(s, 0));
    }
    expect(secondsToNs(2n ** 62n, 5)).toBe(2n ** 62n * 1_000_000_000n + 5n);
  });
});
