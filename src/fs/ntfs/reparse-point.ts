/**
 * $REPARSE_POINT (type 0xC0) and Interix symlinks.
 *
 * Sources: [MS-FSCC] 2.1.2 (REPARSE_DATA_BUFFER; 2.1.2.4 symbolic link, 2.1.2.5 mount point) and
 * 2.1.2.1 (reparse tags). Layout: 0 tag (u32)   4 data length (u16)   8.. tag data.
 *   Symbolic link (0xA000000C): substitute name offset/length, print name offset/length (u16 each),
 *     flags (u32, 1 = relative), then the path buffer.
 *   Mount point / junction (0xA0000003): the same four u16 fields, then the path buffer.
 * Offsets/lengths are in bytes, relative to the path buffer.
 * Interix (SFU) symlinks are not reparse points: a file with the SYSTEM attribute whose data is
 * "IntxLNK\x01" followed by the UTF-16 target (what ntfs-3g writes for `ln -s`).
 */
import { GrtError } from '../../errors.js';
import { decodeUtf16 } from './utf16.js';
import { parseWofReparse, type WofReparse } from './wof.js';

export const TAG_SYMLINK = 0xa000000c;
export const TAG_MOUNT_POINT = 0xa0000003;
export const TAG_WOF = 0x80000017;
export const TAG_DEDUP = 0x80000013;

export const INTERIX_SYMLINK_MAGIC = [0x49, 0x6e, 0x74, 0x78, 0x4c, 0x4e, 0x4b, 0x01]; // "IntxLNK\x01"
/** An Interix symlink target longer than this is not a symlink (Windows paths are ≤ 32767 units). */
export const MAX_INTERIX_BYTES = 8 + 32767 * 2;

export interface ReparsePoint {
  tag: number;
  kind: 'symlink' | 'junction' | 'wof' | 'dedup' | 'other';
  /** Print name when present, else the substitute name. */
  target?: string;
  /** For kind 'wof': the provider and, for the file provider, the compression format. */
  wof?: WofReparse;
}

/** `byteOffset`: where the attribute lies in the volume, for errors. */
export function parseReparsePoint(value: Uint8Array, structure: string, byteOffset?: number): ReparsePoint {
  const at = { structure, offset: byteOffset, space: 'volume' } as const;
  if (value.length < 8) throw new GrtError('BAD_ATTRIBUTE', '$REPARSE_POINT too short', { ...at, actual: value.length });
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const tag = view.getUint32(0, true);
  if (tag === TAG_WOF) return { tag, kind: 'wof', wof: parseWofReparse(value) };
  if (tag === TAG_DEDUP) return { tag, kind: 'dedup' };
  if (tag !== TAG_SYMLINK && tag !== TAG_MOUNT_POINT) return { tag, kind: 'other' };
  const bufferStart = 8 + (tag === TAG_SYMLINK ? 12 : 8);
  if (value.length < bufferStart) throw new GrtError('BAD_ATTRIBUTE', 'reparse data too short', { ...at, expected: bufferStart, actual: value.length });
  const name = (offsetAt: number): string | undefined => {
    const offset = view.getUint16(offsetAt, true);
    const length = view.getUint16(offsetAt + 2, true);
    if (length === 0) return undefined;
    if (bufferStart + offset + length > value.length || length % 2 !== 0) {
      throw new GrtError('BAD_ATTRIBUTE', 'reparse name outside the reparse data', { structure, offset: offsetAt, space: 'stream', actual: offset + length });
    }
    return decodeUtf16(value, bufferStart + offset, length / 2);
  };
  const substitute = name(8);
  const print = name(12);
  return { tag, kind: tag === TAG_SYMLINK ? 'symlink' : 'junction', target: print ?? substitute };
}

/** The target of an Interix symlink's data, or undefined when the data is not one. */
export function parseInterixSymlink(data: Uint8Array): string | undefined {
  if (data.length < 8 || data.length > MAX_INTERIX_BYTES || (data.length - 8) % 2 !== 0) return undefined;
  for (let i = 0; i < 8; i++) if (data[i] !== INTERIX_SYMLINK_MAGIC[i]) return undefined;
  return decodeUtf16(data, 8, (data.length - 8) / 2);
}
