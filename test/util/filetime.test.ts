import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { filetimeToIso, unixMsToFiletime } from '../../src/util/filetime.js';

const EPOCH = 116_444_736_000_000_000n;

/** Straightforward reference: split into whole seconds (floor) and ticks, format the seconds with Date. */
function reference(filetime: bigint): string {
  const ticks = filetime - EPOCH;
  let seconds = ticks / 10_000_000n;
  let sub = ticks % 10_000_000n;
  if (sub < 0n) {
    sub += 10_000_000n;
    seconds -= 1n;
  }
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return 'invalid';
  return `${date.toISOString().replace(/\.\d{3}Z$/, '')}.${sub.toString().padStart(7, '0')}Z`;
}

describe('filetimeToIso', () => {
  it('known values', () => {
    expect(filetimeToIso(EPOCH)).toBe('1970-01-01T00:00:00.0000000Z');
    expect(filetimeToIso(0n)).toBe('1601-01-01T00:00:00.0000000Z');
    expect(filetimeToIso(EPOCH - 1n)).toBe('1969-12-31T23:59:59.9999999Z');
    expect(filetimeToIso(unixMsToFiletime(Date.UTC(2015, 10, 3, 10, 20, 30, 123)) + 4567n)).toBe('2015-11-03T10:20:30.1234567Z');
    // The largest FILETIME is in year 60056: extended years keep their whole time of day.
    expect(filetimeToIso(2n ** 64n - 1n)).toMatch(/^\+060056-\d\d-\d\dT\d\d:\d\d:\d\d\.9551615Z$/);
  });

  it('a value no date can show (from a damaged catalog) is "invalid"', () => {
    expect(filetimeToIso(2n ** 80n)).toBe('invalid');
    expect(filetimeToIso(-(2n ** 80n))).toBe('invalid');
  });

  it('property: equals the reference for any FILETIME, in any order (the cached second never leaks)', () => {
    const near = fc.bigInt({ min: 130_000_000_000_000_000n, max: 130_000_000_300_000_000n }); // shared seconds
    fc.assert(
      fc.property(fc.array(fc.oneof(near, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), { maxLength: 50 }), (values) => {
        for (const value of values) expect(filetimeToIso(value)).toBe(reference(value));
      }),
      { seed: 5, numRuns: 200 },
    );
  });
});
