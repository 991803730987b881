/**
 * The one JSON form of an entry (fs/entry-json.ts) and the time conversions under it: plain
 * values JSON.stringify takes, ISO times with nine digits, exact FILETIME ↔ nanosecond round trips.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { entryToJSON, filetimeToNs, nsToFiletime, nsToIso, type FileEntry } from '../../src/index.js';
import { compareCodePoints } from '../../src/fs/name-order.js';

const arbNs = fc.bigInt({ min: -(10n ** 19n), max: 10n ** 19n });

describe('entryToJSON', () => {
  it('gives an object JSON.stringify takes, for any times', () => {
    fc.assert(
      fc.property(arbNs, arbNs, arbNs, fc.option(arbNs, { nil: undefined }), (mtime, atime, ctime, btime) => {
        const entry: FileEntry = {
          path: '/x', name: 'x', type: 'file', size: 1, times: btime === undefined ? { mtime, atime, ctime } : { mtime, atime, ctime, btime },
          streams: [], links: 1, id: { record: 1, sequence: 0 }, warnings: [],
        };
        const row = JSON.parse(JSON.stringify(entryToJSON(entry)));
        for (const key of ['mtime', 'atime', 'ctime'] as const) expect(row[key]).toBe(nsToIso(entry.times[key]!));
        expect('btime' in row).toBe(btime !== undefined);
      }),
      { seed: 3, numRuns: 300 },
    );
  });

  it('ISO text: nine digits, floor before 1970, the Date range', () => {
    expect(nsToIso(0n)).toBe('1970-01-01T00:00:00.000000000Z');
    expect(nsToIso(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(nsToIso(filetimeToNs(0n))).toBe('1601-01-01T00:00:00.000000000Z');
    expect(nsToIso(filetimeToNs(2n ** 64n - 1n))).toMatch(/^\+060056-\d\d-\d\dT\d\d:\d\d:\d\d\.955161500Z$/);
    expect(nsToIso(10n ** 30n)).toBe('invalid');
  });

  it('FILETIME -> ns -> FILETIME is exact for every FILETIME', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (ft) => {
      expect(nsToFiletime(filetimeToNs(ft))).toBe(ft);
    }), { seed: 5, numRuns: 1000 });
  });
});

describe('the bytes name rule', () => {
  it('orders as the UTF-8 bytes do', () => {
    const sign = (n: number) => Math.sign(n);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 6 }), (a, b) => {
        expect(sign(compareCodePoints(a, b))).toBe(sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))));
      }),
      { seed: 9, numRuns: 2000 },
    );
    expect(compareCodePoints('\uFF21', '\u{1F600}')).toBeLessThan(0);
  });
});
