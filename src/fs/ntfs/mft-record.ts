/**
 * One MFT FILE record: header, update-sequence fixups, and its attributes.
 *
 * Sources: libyal libfsntfs "MFT entry" and "Fix-up values" notes; Microsoft's published
 * FILE_RECORD_SEGMENT_HEADER / MULTI_SECTOR_HEADER layout. Header offsets:
 *   0 "FILE"   4 update-sequence array offset (u16)   6 update-sequence count (u16, 1 + strides)
 *   16 sequence number (u16)   18 hard link count (u16)   20 first attribute offset (u16)
 *   22 flags (u16: 0x1 in use, 0x2 directory)   24 used size (u32)   28 allocated size (u32)
 *   32 base record reference (u64: 48-bit record, 16-bit sequence)   44 this record's number (u32)
 * NOTE: the fixup stride is 512 bytes whatever the sector size (4Kn disks too).
 */
import { GrtError } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import { parseAttributes, type Attribute } from './attribute.js';

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
  const usaOffset = u16le(bytes, 4);
  const usaCount = u16le(bytes, 6);
  const strides = bytes.length / FIXUP_STRIDE;
  if (usaCount !== strides + 1 || usaOffset < 8 || usaOffset % 2 !== 0 || usaOffset + usaCount * 2 > bytes.length) {
    throw new GrtError(code, 'update sequence array does not fit the structure size', {
      structure,
      offset: offset + 4,
      expected: strides + 1,
      actual: usaCount,
    });
  }
  const usnLow = bytes[usaOffset]!;
  const usnHigh = bytes[usaOffset + 1]!;
  for (let i = 1; i < usaCount; i++) {
    const at = i * FIXUP_STRIDE - 2;
    if (bytes[at] !== usnLow || bytes[at + 1] !== usnHigh) {
      throw new GrtError(code, 'fixup mismatch (torn or damaged write)', { structure, offset: offset + at, expected: u16le(bytes, usaOffset), actual: u16le(bytes, at) });
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
      expected: 'FILE',
      actual: magic,
    });
  }
  applyFixups(bytes, `MFT record ${recordNumber}`, byteOffset, 'BAD_RECORD');
  const firstAttribute = u16le(bytes, 20);
  const usedSize = u32le(bytes, 24);
  if (usedSize > bytes.length || firstAttribute < 24 || firstAttribute + 4 > usedSize) {
    throw new GrtError('BAD_RECORD', 'used size or first attribute offset outside the record', {
      structure: `MFT record ${recordNumber}`,
      offset: byteOffset + 20,
      expected: bytes.length,
      actual: usedSize,
    });
  }
  const flags = u16le(bytes, 22);
  const sequence = u16le(bytes, 16);
  const base = u32le(bytes, 32) === 0 && u32le(bytes, 36) === 0 ? NO_BASE : fileReferenceAt(bytes, 32);
  const attributes = parseAttributes(bytes, firstAttribute, usedSize, recordNumber, byteOffset, clusterCount);
  return { recordNumber, sequence, flags, inUse: (flags & RECORD_IN_USE) !== 0, base, attributes };
}
