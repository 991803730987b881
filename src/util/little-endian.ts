/**
 * Little-endian fields read straight from bytes, for parsers that run once per record of a scan
 * (MFT records, attributes, $FILE_NAME): a DataView per record and per attribute value was a
 * measurable share of a 100k-file catalog build, mostly collector time. Callers check the bounds
 * first: past the end these read undefined as 0. Checked 64-bit reads are in safe-number.ts.
 */
export function u16le(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

export function u32le(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}
