/**
 * The CRC-32C check of v5 XFS metadata: computed over the whole structure with its own CRC field
 * counted as zeros, seed ~0, stored inverted and little-endian (xfs_cksum.h
 * xfs_start_cksum/xfs_end_cksum).
 */
import { crc32cRaw, crc32cZeros } from '../../util/crc32c.js';

/** Whether `bytes` holds a valid XFS CRC at `crcOffset` (the field itself counted as zeros). */
export function xfsCrcMatches(bytes: Uint8Array, crcOffset: number): boolean {
  if (crcOffset + 4 > bytes.length) return false;
  let crc = crc32cRaw(0xffffffff, bytes, 0, crcOffset);
  crc = crc32cZeros(crc, 4);
  crc = crc32cRaw(crc, bytes, crcOffset + 4, bytes.length);
  const stored = (bytes[crcOffset]! | (bytes[crcOffset + 1]! << 8) | (bytes[crcOffset + 2]! << 16) | (bytes[crcOffset + 3]! << 24)) >>> 0;
  return (~crc >>> 0) === stored;
}

/** Store the XFS CRC of `bytes` at `crcOffset` (for metadata rebuilt by log replay). */
export function xfsCrcWrite(bytes: Uint8Array, crcOffset: number): void {
  let crc = crc32cRaw(0xffffffff, bytes, 0, crcOffset);
  crc = crc32cZeros(crc, 4);
  crc = ~crc32cRaw(crc, bytes, crcOffset + 4, bytes.length) >>> 0;
  for (let k = 0; k < 4; k++) bytes[crcOffset + k] = (crc >>> (8 * k)) & 0xff;
}
