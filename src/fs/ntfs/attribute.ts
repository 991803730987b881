/**
 * Attribute headers inside an MFT record: common part, resident value, non-resident extent.
 *
 * Sources: libyal libfsntfs "MFT attribute" notes; Microsoft's ATTRIBUTE_RECORD_HEADER layout.
 *   0 type (u32, 0xFFFFFFFF ends the list)   4 length (u32)   8 non-resident (u8)   9 name length
 *   (u8, UTF-16 units)   10 name offset (u16)   12 flags (u16)   14 attribute id (u16)
 * Resident:     16 value length (u32)   20 value offset (u16)
 * Non-resident: 16 first VCN (u64)   24 last VCN (u64)   32 mapping pairs offset (u16)
 *               34 compression unit exponent (u8)   40 allocated size   48 data size
 *               56 initialized size (all u64)
 */
import { GrtError } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import { u64le } from '../../util/safe-number.js';
import { decodeRunlist, type Run } from './runlist.js';
import { decodeUtf16 } from './utf16.js';

export const ATTR_STANDARD_INFORMATION = 0x10;
export const ATTR_ATTRIBUTE_LIST = 0x20;
export const ATTR_FILE_NAME = 0x30;
export const ATTR_VOLUME_NAME = 0x60;
export const ATTR_VOLUME_INFORMATION = 0x70;
export const ATTR_DATA = 0x80;
export const ATTR_INDEX_ROOT = 0x90;
export const ATTR_INDEX_ALLOCATION = 0xa0;
export const ATTR_BITMAP = 0xb0;
export const ATTR_REPARSE_POINT = 0xc0;
const ATTR_END = 0xffffffff;

/** Attribute flags: any bit of the low byte = compressed (LZNT1); 0x4000 encrypted; 0x8000 sparse. */
export const ATTR_FLAG_COMPRESSED_MASK = 0x00ff;
export const ATTR_FLAG_ENCRYPTED = 0x4000;
export const ATTR_FLAG_SPARSE = 0x8000;

/** Smallest possible attribute: the 16-byte common header plus the 8-byte resident part. */
const MIN_ATTRIBUTE_LENGTH = 24;
const NON_RESIDENT_HEADER = 64;

export interface NonResidentExtent {
  startVcn: number;
  lastVcn: number;
  /** log2 of clusters per compression unit (0 = not compressed). */
  compressionUnitExponent: number;
  /** Sizes are meaningful only in the extent whose startVcn is 0. */
  allocatedSize: number;
  dataSize: number;
  initializedSize: number;
  runs: Run[];
}

export interface Attribute {
  type: number;
  name: string;
  flags: number;
  id: number;
  /** The record this attribute (extent) was read from. */
  recordNumber: number;
  /** The value of a resident attribute; null when non-resident. */
  value: Uint8Array | null;
  nonResident: NonResidentExtent | null;
}

/** The structure name errors carry; built only when one is thrown (this runs for every record). */
function recordStructure(recordNumber: number): string {
  return `MFT record ${recordNumber}`;
}

/**
 * Walk the attributes of a record's used bytes, [first, end). Every length is checked against the
 * used size; a damaged attribute throws BAD_ATTRIBUTE (the record is then damaged as a whole).
 */
export function parseAttributes(record: Uint8Array, first: number, end: number, recordNumber: number, byteOffset: number, clusterCount: number): Attribute[] {
  const attributes: Attribute[] = [];
  let pos = first;
  while (pos + 4 <= end) {
    const type = u32le(record, pos);
    if (type === ATTR_END) return attributes;
    if (pos + MIN_ATTRIBUTE_LENGTH > end) break;
    const length = u32le(record, pos + 4);
    if (length < MIN_ATTRIBUTE_LENGTH || length % 8 !== 0 || pos + length > end) {
      throw new GrtError('BAD_ATTRIBUTE', 'attribute length outside the record', { structure: recordStructure(recordNumber), offset: byteOffset + pos + 4, expected: end - pos, actual: length });
    }
    // Offsets inside the attribute are checked against `length`, then used from the record start.
    const nameUnits = record[pos + 9]!;
    const nameOffset = u16le(record, pos + 10);
    if (nameUnits > 0 && nameOffset + nameUnits * 2 > length) {
      throw new GrtError('BAD_ATTRIBUTE', 'attribute name outside the attribute', { structure: recordStructure(recordNumber), offset: byteOffset + pos + 10, actual: nameOffset });
    }
    const attribute: Attribute = {
      type,
      name: nameUnits > 0 ? decodeUtf16(record, pos + nameOffset, nameUnits) : '',
      flags: u16le(record, pos + 12),
      id: u16le(record, pos + 14),
      recordNumber,
      value: null,
      nonResident: null,
    };
    if (record[pos + 8] === 0) {
      const valueLength = u32le(record, pos + 16);
      const valueOffset = u16le(record, pos + 20);
      if (valueOffset + valueLength > length) {
        throw new GrtError('BAD_ATTRIBUTE', 'resident value outside the attribute', { structure: recordStructure(recordNumber), offset: byteOffset + pos + 16, expected: length - valueOffset, actual: valueLength });
      }
      attribute.value = record.subarray(pos + valueOffset, pos + valueOffset + valueLength);
    } else {
      attribute.nonResident = parseNonResident(record, pos, length, byteOffset, recordNumber, clusterCount);
    }
    attributes.push(attribute);
    pos += length;
  }
  throw new GrtError('BAD_ATTRIBUTE', 'attribute list not terminated inside the record', { structure: recordStructure(recordNumber), offset: byteOffset + pos });
}

/** The non-resident part of the attribute at `pos` (`length` bytes) of `record`, which sits at `byteOffset`. */
function parseNonResident(record: Uint8Array, pos: number, length: number, byteOffset: number, recordNumber: number, clusterCount: number): NonResidentExtent {
  const at = byteOffset + pos;
  if (length < NON_RESIDENT_HEADER) {
    throw new GrtError('BAD_ATTRIBUTE', 'non-resident header longer than the attribute', { structure: recordStructure(recordNumber), offset: at, actual: length });
  }
  const structure = recordStructure(recordNumber);
  const startVcn = u64le(record, pos + 16, 'first VCN', { structure, offset: at });
  // An empty non-resident attribute has last VCN −1 (all ones).
  const lastVcn = u32le(record, pos + 28) === 0xffffffff && u32le(record, pos + 24) === 0xffffffff ? -1 : u64le(record, pos + 24, 'last VCN', { structure, offset: at });
  if (lastVcn < startVcn - 1) {
    throw new GrtError('BAD_ATTRIBUTE', 'last VCN before first VCN', { structure, offset: at + 24, expected: startVcn, actual: lastVcn });
  }
  const pairsOffset = u16le(record, pos + 32);
  if (pairsOffset < NON_RESIDENT_HEADER || pairsOffset > length) {
    throw new GrtError('BAD_ATTRIBUTE', 'mapping pairs offset outside the attribute', { structure, offset: at + 32, actual: pairsOffset });
  }
  const compressionUnitExponent = record[pos + 34]!;
  const extent: NonResidentExtent = {
    startVcn,
    lastVcn,
    compressionUnitExponent,
    allocatedSize: u64le(record, pos + 40, 'allocated size', { structure, offset: at }),
    dataSize: u64le(record, pos + 48, 'data size', { structure, offset: at }),
    initializedSize: u64le(record, pos + 56, 'initialized size', { structure, offset: at }),
    runs: decodeRunlist(record, pos + pairsOffset, pos + length, startVcn, lastVcn, clusterCount, structure, byteOffset),
  };
  if (startVcn === 0 && (extent.dataSize > extent.allocatedSize && compressionUnitExponent === 0)) {
    throw new GrtError('BAD_ATTRIBUTE', 'data size larger than allocated size', { structure, offset: at + 48, expected: extent.allocatedSize, actual: extent.dataSize });
  }
  return extent;
}
