/**
 * Windows FILETIME: 100-nanosecond intervals since 1601-01-01 00:00:00 UTC ([MS-DTYP] 2.3.3).
 * Kept as bigint end to end so no precision is lost; converted only for display or utimes().
 */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n; // 1970-01-01 in FILETIME ticks
const TICKS_PER_MS = 10_000n;

/** ISO 8601 UTC with all seven fractional digits, e.g. `2015-11-03T10:20:30.1234567Z`. */
export function filetimeToIso(filetime: bigint): string {
  const ms = (filetime - FILETIME_UNIX_EPOCH) / TICKS_PER_MS;
  let sub = (filetime - FILETIME_UNIX_EPOCH) % 10_000_000n; // ticks within the second
  let seconds = ms - (ms % 1000n);
  if (sub < 0n) {
    sub += 10_000_000n;
    seconds = ((filetime - FILETIME_UNIX_EPOCH - sub) / TICKS_PER_MS);
  }
  const date = new Date(Number(seconds));
  if (Number.isNaN(date.getTime())) return 'invalid';
  const whole = date.toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS
  return `${whole}.${sub.toString().padStart(7, '0')}Z`;
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
