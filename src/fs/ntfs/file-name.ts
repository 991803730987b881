/**
 * $FILE_NAME (type 0x30), also the key of every $I30 index entry.
 *
 * Sources: libyal libfsntfs "File name attribute" notes.
 *   0 parent directory reference (u64)   8/16/24/32 creation/modification/MFT change/access
 *   40 allocated size   48 data size (u64)   56 file attribute flags (u32)   60 reparse tag / EA size
 *   64 name length (u8, UTF-16 units)   65 namespace (u8)   66.. name
 * Namespaces: 0 POSIX (case-sensitive, any character), 1 Win32, 2 DOS (8.3), 3 Win32 and DOS
 * (the long name is also a valid 8.3 name). A DOS name belongs to a Win32 name of the same file;
 * it is not a separate link and is not listed twice.
 */
import { GrtError } from '../../errors.js';
import { u32le } from '../../util/little-endian.js';
import { fileReferenceAt, type FileReference } from './mft-record.js';
import { decodeUtf16 } from './utf16.js';

export const NAMESPACE_POSIX = 0;
export const NAMESPACE_WIN32 = 1;
export const NAMESPACE_DOS = 2;
export const NAMESPACE_WIN32_AND_DOS = 3;
/** $FILE_NAME flags mark a directory with this bit, not FILE_ATTRIBUTE_DIRECTORY (0x10). */
export const FILE_NAME_FLAG_DIRECTORY = 0x10000000;

const HEADER = 66;

export interface FileName {
  parent: FileReference;
  name: string;
  namespace: number;
  flags: number;
  /** Size recorded in the name (only updated on some operations; informational). */
  dataSize: number;
}

/** `byteOffset`: where the attribute or index entry holding the name lies in the volume, for errors. */
export function parseFileName(value: Uint8Array, structure: string, byteOffset?: number): FileName {
  if (value.length < HEADER) {
    throw new GrtError('BAD_ATTRIBUTE', '$FILE_NAME too short', { structure, offset: byteOffset, space: 'volume', expected: HEADER, actual: value.length });
  }
  const units = value[64]!;
  if (HEADER + units * 2 > value.length) {
    throw new GrtError('BAD_ATTRIBUTE', '$FILE_NAME name runs past its value', { structure, offset: byteOffset, space: 'volume', expected: value.length, actual: HEADER + units * 2 });
  }
  // Read from the bytes, no DataView: this runs for every name of a scan.
  const low = u32le(value, 48);
  const high = u32le(value, 52);
  return {
    parent: fileReferenceAt(value, 0),
    name: decodeUtf16(value, HEADER, units),
    namespace: value[65]!,
    flags: u32le(value, 56),
    dataSize: high > 0x1fffff ? Number.MAX_SAFE_INTEGER : high * 0x1_0000_0000 + low,
  };
}
