/**
 * Attribute headers inside an MFT record: common part, resident value, non-resident extent.
 *
 * Sources: libyal libfsntfs "MFT attribute" notes; Microsoft's ATTRIBUTE_RECORD_HEADER layout.
 */
import { GrtError } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import { u64le } from '../../util/safe-number.js';
import { Struct } from '../../util/struct.js';
import { decodeRunlist, type Run } from './runlist.js';
import { decodeUtf16 } from './utf16.js';

/** The 16 bytes every attribute header starts with (ATTRIBUTE_RECORD_HEADER). */
function attributeHeader(name: string) {
  return new Struct(name, 'libfsntfs, MFT attribute; ATTRIBUTE_RECORD_HEADER')
    .u32('type', 'attribute type (ATTR_*); 0xFFFFFFFF ends the list')
    .u32('length', 'bytes of this attribute, header included, a multiple of 8')
    .u8('nonResident', '0 resident, 1 non-resident')
    .u8('nameLength', 'name length in UTF-16 units')
    .u16('nameOffset', 'where the name starts, from the attribute start')
    .u16('flags', 'ATTR_FLAG_* bits')
    .u16('attributeId', 'unique within the record');
}

/**
 * A resident attribute header. parseAttributes runs for every attribute of every record scanned,
 * so it reads these fields inline at the declared offsets (test/ntfs/struct-agreement.test.ts
 * checks both readings agree on every test image).
 */
export const RESIDENT_ATTRIBUTE = attributeHeader('resident attribute header')
  .u32('valueLength', 'bytes of the value')
  .u16('valueOffset', 'where the value starts, from the attribute start')
  .u8('indexedFlag', '1 when the value is indexed ($FILE_NAME)')
  .skip(1, 'alignment');

/** A non-resident attribute header (the optional compressed-size field after it is not read). */
export const NON_RESIDENT_ATTRIBUTE = attributeHeader('non-resident attribute header')
  .u64('lowestVcn', 'first VCN this extent maps')
  .u64('highestVcn', 'last VCN this extent maps; −1 (all ones) when empty')
  .u16('mappingPairsOffset', 'where the run list starts, from the attribute start')
  .u8('compressionUnit', 'log2 of clusters per compression unit (0 = not compressed)')
  .skip(5, 'reserved')
  .u64('allocatedSize', 'bytes allocated (meaningful in the extent starting at VCN 0)')
  .u64('dataSize', 'bytes of data')
  .u64('initializedSize', 'bytes written; the rest reads as zeros');
const AT = RESIDENT_ATTRIBUTE.offsets;
const NR = NON_RESIDENT_ATTRIBUTE.offsets;

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

/** Smallest possible attribute: the common header plus the resident part. */
const MIN_ATTRIBUTE_LENGTH = RESIDENT_ATTRIBUTE.size;
const NON_RESIDENT_HEADER = NON_RESIDENT_ATTRIBUTE.size;

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
  /** Where its header lies in the volume (absent for attributes not read from a volume), for errors. */
  byteOffset?: number;
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
    const length = u32le(record, pos + AT.length);
    if (length < MIN_ATTRIBUTE_LENGTH || length % 8 !== 0 || pos + length > end) {
      throw new GrtError('BAD_ATTRIBUTE', 'attribute length outside the record', { structure: recordStructure(recordNumber), offset: byteOffset + pos + AT.length, space: 'volume', expected: end - pos, actual: length });
    }
    // Offsets inside the attribute are checked against `length`, then used from the record start.
    const nameUnits = record[pos + AT.nameLength]!;
    const nameOffset = u16le(record, pos + AT.nameOffset);
    if (nameUnits > 0 && nameOffset + nameUnits * 2 > length) {
      throw new GrtError('BAD_ATTRIBUTE', 'attribute name outside the attribute', { structure: recordStructure(recordNumber), offset: byteOffset + pos + AT.nameOffset, space: 'volume', actual: nameOffset });
    }
    const attribute: Attribute = {
      type,
      name: nameUnits > 0 ? decodeUtf16(record, pos + nameOffset, nameUnits) : '',
      flags: u16le(record, pos + AT.flags),
      id: u16le(record, pos + AT.attributeId),
      recordNumber,
      // A record read from outside the volume (a tap look-ahead) comes with byteOffset −1: no place.
      byteOffset: byteOffset >= 0 ? byteOffset + pos : undefined,
      value: null,
      nonResident: null,
    };
    if (record[pos + AT.nonResident] === 0) {
      const valueLength = u32le(record, pos + AT.valueLength);
      const valueOffset = u16le(record, pos + AT.valueOffset);
      if (valueOffset + valueLength > length) {
        throw new GrtError('BAD_ATTRIBUTE', 'resident value outside the attribute', { structure: recordStructure(recordNumber), offset: byteOffset + pos + AT.valueLength, space: 'volume', expected: length - valueOffset, actual: valueLength });
      }
      attribute.value = record.subarray(pos + valueOffset, pos + valueOffset + valueLength);
    } else {
      attribute.nonResident = parseNonResident(record, pos, length, byteOffset, recordNumber, clusterCount);
    }
    attributes.push(attribute);
    pos += length;
  }
  throw new GrtError('BAD_ATTRIBUTE', 'attribute list not terminated inside the record', { structure: recordStructure(recordNumber), offset: byteOffset + pos, space: 'volume' });
}

/** The non-resident part of the attribute at `pos` (`length` bytes) of `record`, which sits at `byteOffset`. */
function parseNonResident(record: Uint8Array, pos: number, length: number, byteOffset: number, recordNumber: number, clusterCount: number): NonResidentExtent {
  const at = byteOffset + pos;
  if (length < NON_RESIDENT_HEADER) {
    throw new GrtError('BAD_ATTRIBUTE', 'non-resident header longer than the attribute', { structure: recordStructure(recordNumber), offset: at, space: 'volume', actual: length });
  }
  const structure = recordStructure(recordNumber);
  const startVcn = u64le(record, pos + NR.lowestVcn, 'first VCN', { structure, offset: at + NR.lowestVcn, space: 'volume' });
  // An empty non-resident attribute has last VCN −1 (all ones).
  const lastVcn = u32le(record, pos + NR.highestVcn + 4) === 0xffffffff && u32le(record, pos + NR.highestVcn) === 0xffffffff ? -1 : u64le(record, pos + NR.highestVcn, 'last VCN', { structure, offset: at + NR.highestVcn, space: 'volume' });
  if (lastVcn < startVcn - 1) {
    throw new GrtError('BAD_ATTRIBUTE', 'last VCN before first VCN', { structure, offset: at + NR.highestVcn, space: 'volume', expected: startVcn, actual: lastVcn });
  }
  const pairsOffset = u16le(record, pos + NR.mappingPairsOffset);
  if (pairsOffset < NON_RESIDENT_HEADER || pairsOffset > length) {
    throw new GrtError('BAD_ATTRIBUTE', 'mapping pairs offset outside the attribute', { structure, offset: at + NR.mappingPairsOffset, space: 'volume', actual: pairsOffset });
  }
  const compressionUnitExponent = record[pos + NR.compressionUnit]!;
  const extent: NonResidentExtent = {
    startVcn,
    lastVcn,
    compressionUnitExponent,
    allocatedSize: u64le(record, pos + NR.allocatedSize, 'allocated size', { structure, offset: at + NR.allocatedSize, space: 'volume' }),
    dataSize: u64le(record, pos + NR.dataSize, 'data size', { structure, offset: at + NR.dataSize, space: 'volume' }),
    initializedSize: u64le(record, pos + NR.initializedSize, 'initialized size', { structure, offset: at + NR.initializedSize, space: 'volume' }),
    runs: decodeRunlist(record, pos + pairsOffset, pos + length, startVcn, lastVcn, clusterCount, structure, byteOffset),
  };
  if (startVcn === 0 && (extent.dataSize > extent.allocatedSize && compressionUnitExponent === 0)) {
    throw new GrtError('BAD_ATTRIBUTE', 'data size larger than allocated size', { structure, offset: at + NR.dataSize, space: 'volume', expected: extent.allocatedSize, actual: extent.dataSize });
  }
  return extent;
}
