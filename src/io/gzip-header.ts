/**
 * The frame of a gzip member (RFC 1952 §2.3): a header before the DEFLATE data, CRC32 and ISIZE
 * after it.
 *
 * Header: ID1 ID2 (0x1f 0x8b), CM (8 = deflate), FLG, MTIME (4), XFL, OS; then, as FLG says,
 * FEXTRA (a u16 length and that many bytes), FNAME and FCOMMENT (zero-terminated), FHCRC (the low
 * 16 bits of the CRC32 of the header bytes before it). FLG bits 5–7 are reserved and must be zero.
 * Trailer: CRC32 of the uncompressed data, ISIZE = its length mod 2^32, both little-endian.
 */
import { GrtError } from '../errors.js';
import type { ByteSource } from './byte-source.js';
import { crc32 } from '../util/crc32.js';

const STRUCTURE = 'gzip header';
const FIXED_HEADER_BYTES = 10;
export const GZIP_TRAILER_BYTES = 8;
const FLAG_HCRC = 0x02;
const FLAG_EXTRA = 0x04;
const FLAG_NAME = 0x08;
const FLAG_COMMENT = 0x10;
const FLAG_RESERVED = 0xe0;
/** Header bytes read: FEXTRA holds at most 65535 bytes; a name or comment longer than the rest is refused. */
export const MAX_GZIP_HEADER_BYTES = 128 * 1024;

export interface GzipHeader {
  /** Bytes of the header: where the DEFLATE data starts. */
  length: number;
  /** FNAME, when present (ISO 8859-1). */
  name?: string;
}

export interface GzipTrailer {
  crc32: number;
  /** The uncompressed length mod 2^32. */
  isize: number;
}

/** Whether `bytes` start as a gzip member does (ID1, ID2, CM 8). */
export function isGzipMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 8;
}

function zeroTerminated(bytes: Uint8Array, at: number, what: string, path: string | undefined): number {
  const end = bytes.indexOf(0, at);
  if (end < 0) throw new GrtError('BAD_HEADER', `the ${what} has no terminating zero within ${MAX_GZIP_HEADER_BYTES} bytes`, { structure: STRUCTURE, offset: at, space: 'file', ...(path === undefined ? {} : { path }) });
  return end + 1;
}

/** The header of the gzip member that `source` holds from its byte 0. */
export async function readGzipHeader(source: ByteSource, path?: string): Promise<GzipHeader> {
  const base = { structure: STRUCTURE, space: 'file' as const, ...(path === undefined ? {} : { path }) };
  if (source.size < FIXED_HEADER_BYTES + GZIP_TRAILER_BYTES) throw new GrtError('TRUNCATED', `${source.size} bytes cannot hold a gzip member`, { ...base, offset: 0, expected: FIXED_HEADER_BYTES + GZIP_TRAILER_BYTES, actual: source.size });
  const bytes = await source.read(0, Math.min(source.size, MAX_GZIP_HEADER_BYTES));
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw new GrtError('BAD_MAGIC', 'not a gzip member', { ...base, offset: 0, expected: '1f 8b', actual: `${bytes[0]!.toString(16)} ${bytes[1]!.toString(16)}` });
  if (bytes[2] !== 8) throw new GrtError('UNSUPPORTED', `gzip compression method ${bytes[2]} (only 8, deflate, is defined)`, { ...base, offset: 2 });
  const flags = bytes[3]!;
  if ((flags & FLAG_RESERVED) !== 0) throw new GrtError('BAD_HEADER', 'reserved gzip flag bits are set', { ...base, offset: 3, actual: flags });
  let at = FIXED_HEADER_BYTES;
  if (flags & FLAG_EXTRA) {
    if (at + 2 > bytes.length) throw new GrtError('TRUNCATED', 'the gzip header ends in FEXTRA', { ...base, offset: at });
    at += 2 + (bytes[at]! | (bytes[at + 1]! << 8));
  }
  let name: string | undefined;
  if (flags & FLAG_NAME) {
    const end = zeroTerminated(bytes, at, 'file name', path);
    name = new TextDecoder('latin1').decode(bytes.subarray(at, end - 1));
    at = end;
  }
  if (flags & FLAG_COMMENT) at = zeroTerminated(bytes, at, 'comment', path);
  if (flags & FLAG_HCRC) {
    if (at + 2 > bytes.length) throw new GrtError('TRUNCATED', 'the gzip header ends in FHCRC', { ...base, offset: at });
    const stored = bytes[at]! | (bytes[at + 1]! << 8);
    const actual = crc32(bytes.subarray(0, at)) & 0xffff;
    if (stored !== actual) throw new GrtError('BAD_CHECKSUM', 'the gzip header CRC does not match', { ...base, offset: at, expected: stored, actual });
    at += 2;
  }
  if (at + GZIP_TRAILER_BYTES > source.size) throw new GrtError('TRUNCATED', 'the gzip member ends inside its header', { ...base, offset: at, expected: at + GZIP_TRAILER_BYTES, actual: source.size });
  return { length: at, ...(name === undefined ? {} : { name }) };
}

/** CRC32 and ISIZE of the 8 bytes at `offset` of `source`. */
export async function readGzipTrailer(source: ByteSource, offset: number): Promise<GzipTrailer> {
  const bytes = await source.read(offset, GZIP_TRAILER_BYTES);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { crc32: view.getUint32(0, true), isize: view.getUint32(4, true) };
}
