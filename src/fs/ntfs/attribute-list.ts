/**
 * $ATTRIBUTE_LIST (type 0x20): where the attributes of a file live when they do not fit in its
 * base record (extension records), including $MFT's own $DATA on a large, fragmented MFT.
 *
 * Sources: libyal libfsntfs "Attribute list" notes. Entry layout:
 *   0 attribute type (u32)   4 entry length (u16)   6 name length (u8, UTF-16 units)
 *   7 name offset (u8)   8 first VCN (u64)   16 file reference of the holding record (u64)
 *   24 attribute id (u16)   26.. name
 */
import { GrtError } from '../../errors.js';
import { readU64 } from '../../util/safe-number.js';
import { readFileReference, type FileReference } from './mft-record.js';
import { decodeUtf16 } from './utf16.js';

/**
 * Largest $ATTRIBUTE_LIST value read. Windows caps the list at 256 KiB (one list holds the entries
 * of every extension record of a file); anything longer is damage or hostile.
 */
export const MAX_ATTRIBUTE_LIST_BYTES = 256 * 1024;
const ENTRY_HEADER = 26;

export interface AttributeListEntry {
  type: number;
  name: string;
  startVcn: number;
  holder: FileReference;
  id: number;
}

export function parseAttributeList(bytes: Uint8Array, structure: string): AttributeListEntry[] {
  if (bytes.length > MAX_ATTRIBUTE_LIST_BYTES) {
    throw new GrtError('LIMIT_EXCEEDED', 'attribute list too long', { structure, expected: MAX_ATTRIBUTE_LIST_BYTES, actual: bytes.length });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: AttributeListEntry[] = [];
  let pos = 0;
  while (pos + ENTRY_HEADER <= bytes.length) {
    const length = view.getUint16(pos + 4, true);
    const nameUnits = bytes[pos + 6]!;
    const nameOffset = bytes[pos + 7]!;
    if (length < ENTRY_HEADER || pos + length > bytes.length || (nameUnits > 0 && nameOffset + nameUnits * 2 > length)) {
      throw new GrtError('BAD_ATTRIBUTE', 'attribute list entry out of range', { structure, offset: pos, space: 'stream', actual: length });
    }
    entries.push({
      type: view.getUint32(pos, true),
      name: nameUnits > 0 ? decodeUtf16(bytes, pos + nameOffset, nameUnits) : '',
      startVcn: readU64(view, pos + 8, 'attribute list first VCN', { structure, offset: pos + 8, space: 'stream' }),
      holder: readFileReference(view, pos + 16),
      id: view.getUint16(pos + 24, true),
    });
    pos += length;
  }
  return entries;
}
