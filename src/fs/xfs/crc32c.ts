/**
 * The CRC-32C check of v5 XFS metadata: computed over the whole structure with its own CRC field
 * counted as zeros, seed ~0, stored inverted and little-endian (xfs_cksum.h
 * xfs_start_cksum/xfs_end_cksum).
 */
import type { GrtWarning } from '../../errors.js';
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

/** Checks one v5 metadata block's CRC; a mismatch is a warning, given once per block. */
export type CrcCheck = (fsBlock: number, bytes: Uint8Array, crcOffset: number, structure: string, warnings: GrtWarning[]) => void;

/** A CrcCheck for one volume (off on v4, which has no CRCs). */
export function crcChecker(hasCrc: boolean): CrcCheck {
  const reported = new Set<number>();
  return (fsBlock, bytes, crcOffset, structure, warnings) => {
    if (!hasCrc || reported.has(fsBlock) || xfsCrcMatches(bytes, crcOffset)) return;
    reported.add(fsBlock);
    warnings.push({ code: 'BAD_CHECKSUM', message: `XFS ${structure} block ${fsBlock}: CRC mismatch` });
  };
}

/** For callers with nothing to check against (tests, v4). */
export const NO_CRC_CHECK: CrcCheck = () => undefined;
