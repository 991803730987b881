/**
 * The time column of `grt-ls -l` (MtimeColumn, which keeps the last second's text) against the
 * text it stands for, the ISO 8601 form of util/time.ts cut to the second: before 1970 with a
 * fraction (floor, not truncation), years past 9999, times past Date's range, and runs of rows
 * that share a second or step back and forth between two.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MtimeColumn } from '../../src/cli/grt-ls.js';
import { IsoCache, nsToIso } from '../../src/util/time.js';

const expected = (ns: bigint): string => `${nsToIso(ns).replace('T', ' ').slice(0, 19)}Z`;

describe('grt-ls -l time column', () => {
  it('is the ISO time cut to the second, for any nanosecond time and any order of rows', () => {
    const second = 1_000_000_000n;
    const ns = fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n }),
      fc.bigInt({ min: -3n * second, max: 3n * second }),
      fc.constantFrom(-1n, 0n, 253402300799n * second + 999_999_999n, 253402300800n * second, 8_640_000_000_000n * second, 8_640_000_000_001n * second),
    );
    fc.assert(
      fc.property(fc.array(ns, { minLength: 1, maxLength: 20 }), (times) => {
        const column = new MtimeColumn(new IsoCache());
        for (const time of times) expect(column.of(time)).toBe(expected(time));
      }),
      { numRuns: 2000 },
    );
  });

  it('says invalidZ past Date\'s range, as the listing did', () => {
    expect(new MtimeColumn(new IsoCache()).of(8_640_000_000_001n * 1_000_000_000n)).toBe('invalidZ');
    expect(new MtimeColumn(new IsoCache()).of(-1n)).toBe('1969-12-31 23:59:59Z');
  });
});
