/**
 * Entry times are bigint nanoseconds since 1970-01-01 00:00:00 UTC (fs/file-system.ts EntryTimes).
 * Conversions from and to the on-disk forms, and the one text form listings print.
 */

/** 1970-01-01 in Windows FILETIME ticks (100 ns since 1601-01-01 UTC, [MS-DTYP] 2.3.3). */
export const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;
const NS_PER_FILETIME_TICK = 100n;
const NS_PER_SECOND = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;

/** A FILETIME as nanoseconds since 1970: exact (every tick is 100 ns). */
export function filetimeToNs(filetime: bigint): bigint {
  return (filetime - FILETIME_UNIX_EPOCH) * NS_PER_FILETIME_TICK;
}

/** Nanoseconds since 1970 as a FILETIME; exact for any time a FILETIME gave (multiples of 100 ns). */
export function nsToFiletime(ns: bigint): bigint {
  return ns / NS_PER_FILETIME_TICK + FILETIME_UNIX_EPOCH;
}

/**
 * Seconds up to which seconds × 1e9 is exact as a Number: 1e9 = 2^9 × 1953125, and the product
 * is exact while seconds × 1953125 ≤ 2^53 (until the year 2116).
 */
const MAX_EXACT_SECONDS = Math.floor(2 ** 53 / 1953125);

/**
 * Whole seconds and nanoseconds since 1970 as POSIX keeps them (ext4, XFS): exact. A listing
 * converts four times per file: from a Number of seconds in range it makes one BigInt of the
 * product (and one more for nonzero nanoseconds) instead of four.
 */
export function secondsToNs(seconds: bigint | number, nanoseconds = 0): bigint {
  if (typeof seconds === 'number' && Number.isInteger(seconds) && Math.abs(seconds) <= MAX_EXACT_SECONDS) {
    const whole = BigInt(seconds * 1e9);
    return nanoseconds === 0 ? whole : whole + BigInt(nanoseconds);
  }
  return BigInt(seconds) * NS_PER_SECOND + BigInt(nanoseconds);
}

/** Seconds since the Unix epoch as a float, for fs.utimes (which takes seconds). */
export function nsToUnixSeconds(ns: bigint): number {
  return Number(ns) / 1e9;
}

/** Whole seconds since the Unix epoch, rounded down (before 1970 too). */
export function nsToWholeSeconds(ns: bigint): number {
  const seconds = ns / NS_PER_SECOND;
  return Number(ns < 0n && seconds * NS_PER_SECOND !== ns ? seconds - 1n : seconds);
}

/** A Date (loses the digits below the millisecond). */
export function nsToDate(ns: bigint): Date {
  return new Date(Number(ns / NS_PER_MS));
}

/**
 * ISO 8601 UTC with nine fractional digits, e.g. `2015-11-03T10:20:30.123456700Z`; years past
 * 9999 or before 0 as ±YYYYYY (as toISOString writes them); 'invalid' past Date's range.
 * A listing formats four times per file and files share seconds, so the date part of the last
 * second is kept in `cache` (one per caller, so no state is shared between modules).
 */
export function nsToIso(ns: bigint, cache: IsoCache = new IsoCache()): string {
  let seconds = ns / NS_PER_SECOND; // toward zero
  let sub = Number(ns - seconds * NS_PER_SECOND);
  if (sub < 0) {
    sub += 1_000_000_000;
    seconds -= 1n;
  }
  const whole = cache.whole(Number(seconds));
  if (whole === '') return 'invalid';
  return `${whole}.${String(sub).padStart(9, '0')}Z`;
}

/** The date-and-time part of the last second formatted. */
export class IsoCache {
  private second = Number.NaN;
  private text = '';

  whole(second: number): string {
    if (second !== this.second) {
      const date = new Date(second * 1000);
      // YYYY-MM-DDTHH:MM:SS: toISOString's ".sssZ" cut off.
      this.text = Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, -5);
      this.second = second;
    }
    return this.text;
  }
}

/** The shape of fs/file-system.ts EntryTimes, restated here so util/ does not import fs/. */
interface TimesFields {
  mtime: bigint;
  atime: bigint;
  ctime: bigint;
  btime?: bigint;
}

/**
 * The prototype of every entry's `times`: JSON.stringify cannot write bigints, so its non-enumerable
 * toJSON gives the times as nsToIso strings. Being on the prototype, it leaves the object's own
 * enumerable properties (what toEqual and spreads see) exactly the four times.
 */
export const TIMES_PROTO: object = Object.create(Object.prototype, {
  toJSON: {
    enumerable: false,
    value(this: TimesFields): Record<string, string> {
      const cache = new IsoCache();
      const json: Record<string, string> = {};
      for (const key of Object.keys(this) as (keyof TimesFields)[]) {
        const ns = this[key];
        if (typeof ns === 'bigint') json[key] = nsToIso(ns, cache);
      }
      return json;
    },
  },
});

/** An entry's `times` object (on TIMES_PROTO); `btime` stays absent when undefined. */
export function entryTimes(mtime: bigint, atime: bigint, ctime: bigint, btime?: bigint): TimesFields {
  const times = Object.create(TIMES_PROTO) as TimesFields;
  times.mtime = mtime;
  times.atime = atime;
  times.ctime = ctime;
  if (btime !== undefined) times.btime = btime;
  return times;
}

/** A copy of `times` on TIMES_PROTO, its keys in the same order, for readers that decode times before building the entry. */
export function entryTimesOf(times: Readonly<TimesFields>): TimesFields {
  return Object.assign(Object.create(TIMES_PROTO) as TimesFields, times);
}
