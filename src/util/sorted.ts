/** Searches over ascending arrays of numbers (replayed blocks and sectors, interval ends). */

/** The index of the first of the ascending `values` at or after `value` (values.length when none). */
export function firstAtOrAfter(values: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
