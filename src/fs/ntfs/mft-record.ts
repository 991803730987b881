/**
 * One MFT FILE record: header, update-sequence fixups, and its attributes.
 *
 * Sources: libyal libfsntfs "MFT entry" and "Fix-up values" notes; Microsoft's published
 * FILE_RECORD_SEGMENT_HEADER / MULTI_SECTOR_HEADER layout.
 * NOTE: the fixup stride is 512 bytes whatever the sector size (4Kn disks too).
 */
import { GrtError } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import { Struct } from '../../util/struct.js';
import { parseAttributes, type Attribute } from './attribute.js';

/**
 * FILE_RECORD_SEGMENT_HEADER. parseMftRecord runs once per record of a scan, so it reads these
 * fields inline at the offsets this declaration gives (`decode` would cost an object per record);
 * test/ntfs/struct-agreement.test.ts checks both readings agree on every test image.
 */
export const MFT_RECORD_HEADER = new Struct('MFT record header', 'libfsntfs, MFT entry header')
  .bytes('signature', 4, '"FILE" ("BAAD" when chkdsk marked it bad)')
  .u16('usaOffset', 'update sequence array offset (MULTI_SECTOR_HEADER)')
  .u16('usaCount', 'update sequence array entries: 1 + 512-byte strides')
  .u64('lsn', '$LogFile sequence number of the last change')
  .u16('sequenceNumber', 'incremented each time the record is reused')
  .u16('linkCount', 'hard links (names in directories)')
  .u16('firstAttributeOffset', 'where the first attribute starts')
  .u16('flags', 'RECORD_IN_USE, RECORD_IS_DIRECTORY, …')
  .u32('usedSize', 'bytes of the record in use')
  .u32('allocatedSize', 'bytes allocated for the record')
  .u64('baseRecord', 'file reference of the base record; 0 in a base record')
  .u16('nextAttributeId', 'id the next attribute added will get')
  .skip(2, 'alignment')
  .u32('recordNumber', "this record's number (XP and later)");
const AT = MFT_RECORD_HEADER.offsets;
/** No attribute starts inside the header fields every NTFS version has (through `flags`). */
const MIN_FIRST_ATTRIBUTE = AT.usedSize;
/** The update sequence array lies after the 8-byte multi-sector header (signature, offset, count). */
const MIN_USA_OFFSET = AT.lsn;

/** Multi-sector protection always protects 512-byte strides, independent of the sector size. */
export const FIXUP_STRIDE = 512;

export const RECORD_IN_USE = 0x0001;
export const RECORD_IS_DIRECTORY = 0x0002;

export interface FileReference {
  record: number;
  sequence: number;
}

export interface MftRecord {
  recordNumber: number;
  sequence: number;
  flags: number;
  inUse: boolean;
  /** Zero for a base record; otherwise the base record this extension record belongs to. */
  base: FileReference;
  attributes: Attribute[];
}

/** The base reference of every base record (all zeros), shared: one object less per record scanned. */
const NO_BASE: FileReference = Object.freeze({ record: 0, sequence: 0 });

/** Split a 64-bit file reference at `offset`: low 48 bits record number, high 16 bits sequence. */
export function readFileReference(view: DataView, offset: number): FileReference {
  const low = view.getUint32(offset, true);
  const high = view.getUint16(offset + 4, true);
  return { record: high * 0x1_0000_0000 + low, sequence: view.getUint16(offset + 6, true) };
}

/** readFileReference straight from bytes (`at` + 8 must be within them), for per-record hot paths. */
export function fileReferenceAt(bytes: Uint8Array, at: number): FileReference {
  return { record: u16le(bytes, at + 4) * 0x1_0000_0000 + u32le(bytes, at), sequence: u16le(bytes, at + 6) };
}

/**
 * Check and undo the update-sequence fixups of a multi-sector structure (FILE record, INDX block)
 * in place. `bytes` must be a private copy. Throws `code` when the array is out of place or a
 * stride's last two bytes do not hold the update sequence number (a torn write).
 */
export function applyFixups(bytes: Uint8Array, structure: string, offset: number, code: 'BAD_RECORD' | 'BAD_INDEX'): void {
  // Byte reads, no DataView: this runs for every record of a scan (a view per record was ~2% of a
  // 100k-file catalog build, mostly collector time). A too-short buffer reads 0s and fails the check.
  const usaOffset = u16le(bytes, AT.usaOffset);
  const usaCount = u16le(bytes, AT.usaCount);
  const strides = bytes.length / FIXUP_STRIDE;
  if (usaCount !== strides + 1 || usaOffset < MIN_USA_OFFSET || usaOffset % 2 !== 0 || usaOffset + usaCount * 2 > bytes.length) {
    throw new GrtError(code, 'update sequence array does not fit the structure size', {
      structure,
      offset: offset + AT.usaOffset,
      space: 'volume',
      expected: strides + 1,
      actual: usaCount,
    });
  }
  const usnLow = bytes[usaOffset]!;
  const usnHigh = bytes[usaOffset + 1]!;
  for (let i = 1; i < usaCount; i++) {
    const at = i * FIXUP_STRIDE - 2;
    if (bytes[at] !== usnLow || bytes[at + 1] !== usnHigh) {
      throw new GrtError(code, 'fixup mismatch (torn or damaged write)', { structure, offset: offset + at, space: 'volume', expected: u16le(bytes, usaOffset), actual: u16le(bytes, at) });
    }
    bytes[at] = bytes[usaOffset + i * 2]!;
    bytes[at + 1] = bytes[usaOffset + i * 2 + 1]!;
  }
}

/**
 * Parse one record from a private copy of its bytes (fixups are applied in place). `byteOffset` is
 * where the record sits on the volume, for error messages.
 */
export function parseMftRecord(bytes: Uint8Array, recordNumber: number, byteOffset: number, clusterCount: number): MftRecord {
  // "FILE" checked byte by byte; the strings for messages are built only when one is thrown.
  if (bytes[0] !== 0x46 || bytes[1] !== 0x49 || bytes[2] !== 0x4c || bytes[3] !== 0x45) {
    const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
    throw new GrtError('BAD_RECORD', magic === 'BAAD' ? 'record marked bad by chkdsk' : 'record signature is not FILE', {
      structure: `MFT record ${recordNumber}`,
      offset: byteOffset,
      space: 'volume',
      expected: 'FILE',
      actual: magic,
    });
  }
  applyFixups(bytes, `MFT record ${recordNumber}`, byteOffset, 'BAD_RECORD');
  const firstAttribute = u16le(bytes, AT.firstAttributeOffset);
  const usedSize = u32le(bytes, AT.usedSize);
  if (usedSize > bytes.length || firstAttribute < MIN_FIRST_ATTRIBUTE || firstAttribute + 4 > usedSize) {
    throw new GrtError('BAD_RECORD', 'used size or first attribute offset outside the record', {
      structure: `MFT record ${recordNumber}`,
      offset: byteOffset + AT.firstAttributeOffset,
      space: 'volume',
      expected: bytes.length,
      actual: usedSize,
    });
  }
  const flags = u16le(bytes, AT.flags);
  const sequence = u16le(bytes, AT.sequenceNumber);
  const base = u32le(bytes, AT.baseRecord) === 0 && u32le(bytes, AT.baseRecord + 4) === 0 ? NO_BASE : fileReferenceAt(bytes, AT.baseRecord);
  const attributes = parseAttributes(bytes, firstAttribute, usedSize, recordNumber, byteOffset, clusterCount);
  return { recordNumber, sequence, flags, inUse: (flags & RECORD_IN_USE) !== 0, base, attributes };
}
