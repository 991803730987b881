/**
 * NTFS names are counted UTF-16LE code units with no validation: surrogate pairs (astral-plane
 * characters such as emoji) decode to one character; a lone surrogate becomes U+FFFD for display.
 * Lookups compare the decoded (displayed) form, so any path grt prints can be looked up again.
 */
const decoder = new TextDecoder('utf-16le');

export function decodeUtf16(bytes: Uint8Array, offset: number, units: number): string {
  return decoder.decode(bytes.subarray(offset, offset + units * 2));
}
