/**
 * Windows FILETIME: 100-nanosecond intervals since 1601-01-01 00:00:00 UTC ([MS-DTYP] 2.3.3).
 * Kept as bigint end to end so no precision is lost; converted only for display or utimes().
 */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n; // 1970-01-01 in FILETIME ticks
const TICKS_PER_MS = 10_000n;

const TICKS_PER_SECOND = 10_000_000n;

/** The last second formatted: listings print four times per file, and files share seconds. */
let lastSecond = Number.NaN;
let lastWhole = '';

/**
 * ISO 8601 UTC with all seven fractional digits, e.g. `2015-11-03T10:20:30.1234567Z`. Few bigint
 * operations (each allocates) and the date part reused while the second repeats: a listing of
 * 100,000 files calls this 400,000 times.
 */
export function filetimeToIso(filetime: bigint): string {
  const ticks = filetime - FILETIME_UNIX_EPOCH;
  let seconds = ticks / TICKS_PER_SECOND; // toward zero
  let sub = Number(ticks - seconds * TICKS_PER_SECOND);
  if (sub < 0) {
    sub += 10_000_000;
    seconds -= 1n;
  }
  const second = Number(seconds);
  if (second !== lastSecond) {
    const date = new Date(second * 1000);
    // YYYY-MM-DDTHH:MM:SS (years past 9999 as ±YYYYYY, as toISOString writes them): its ".sssZ" cut off.
    lastWhole = Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, -5);
    lastSecond = second;
  }
  if (lastWhole === '') return 'invalid';
  return `${lastWhole}.${String(sub).padStart(7, '0')}Z`;
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
