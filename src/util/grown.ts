/** Typed arrays the scan grows by doubling as records are met (sized by what is found, never by a header). */
export type GrowableArray = Int32Array | Uint8Array | Uint16Array | Uint32Array | Float64Array | BigUint64Array;

/** A copy of `array` with room for `length` elements (the new ones zero). */
export function grown<T extends GrowableArray>(array: T, length: number): T {
  const out = new (array.constructor as new (length: number) => T)(length);
  out.set(array as never);
  return out;
}
