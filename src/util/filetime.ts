/**
 * Windows FILETIME: 100-nanosecond intervals since 1601-01-01 00:00:00 UTC ([MS-DTYP] 2.3.3).
 * Entry times are nanoseconds since 1970 (util/time.ts); these format raw FILETIMEs as such.
 */
import { FILETIME_UNIX_EPOCH, filetimeToNs, nsToIso, type IsoCache } from './time.js';

const TICKS_PER_MS = 10_000n;

/** ISO 8601 UTC with all seven fractional digits, e.g. `2015-11-03T10:20:30.1234567Z`. */
export function filetimeToIso(filetime: bigint, cache?: IsoCache): string {
  const iso = nsToIso(filetimeToNs(filetime), cache);
  // Nine digits of a FILETIME always end in "00".
  return iso === 'invalid' ? iso : `${iso.slice(0, -3)}Z`;
}

/** Seconds since the Unix epoch as a float, for fs.utimes (which takes seconds). */
export function filetimeToUnixSeconds(filetime: bigint): number {
  return Number(filetime - FILETIME_UNIX_EPOCH) / 1e7;
}

/** Milliseconds since the Unix epoch (loses the last four digits). */
export function filetimeToDate(filetime: bigint): Date {
  return new Date(Number((filetime - FILETIME_UNIX_EPOCH) / TICKS_PER_MS));
}

export function unixMsToFiletime(ms: number): bigint {
  return BigInt(Math.round(ms)) * TICKS_PER_MS + FILETIME_UNIX_EPOCH;
}
