/**
 * MFT FILE records and the update sequence ("fixup") protection shared with INDX blocks
 * (libfsntfs notes: MFT entry header of NTFS 3.1, update sequence array; the stride is 512 bytes
 * whatever the sector size).
 */

import { ByteWriter, align } from './bytes.js';
import { encodeAttribute, type AttributeSpec } from './attributes.js';
import { compareNtfsNames } from './upcase.js';

export const FIXUP_STRIDE = 512;
export const RECORD_IN_USE = 0x1;
export const RECORD_IS_DIRECTORY = 0x2;
export const RECORD_IS_VIEW_INDEX = 0x8;

/** Where the update sequence array sits in a FILE record (NTFS 3.1). */
const RECORD_USA_OFFSET = 0x30;

/**
 * Protect a multi-sector structure: save the last u16 of each 512-byte stride in the array and
 * put the update sequence number there instead.
 */
export function applyFixups(block: Uint8Array, usaOffset: number, usn: number): void {
  const w = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const strides = block.length / FIXUP_STRIDE;
  w.setUint16(4, usaOffset, true);
  w.setUint16(6, strides + 1, true);
  w.setUint16(usaOffset, usn, true);
  for (let i = 0; i < strides; i++) {
    const end = (i + 1) * FIXUP_STRIDE - 2;
    w.setUint16(usaOffset + 2 + 2 * i, w.getUint16(end, true), true);
    w.setUint16(end, usn, true);
  }
}

export function firstAttributeOffset(recordSize: number): number {
  return align(RECORD_USA_OFFSET + 2 * (recordSize / FIXUP_STRIDE + 1), 8);
}

export interface RecordSpec {
  recordSize: number;
  recordNumber: number;
  sequence: number;
  flags: number;
  linkCount: number;
  /** Base record reference for an extension record; 0 for a base record. */
  baseReference?: bigint;
  attributes: AttributeSpec[];
}

/** Attributes in record order: by type, then name. */
export function sortAttributes(attributes: AttributeSpec[]): AttributeSpec[] {
  return [...attributes].sort((a, b) => a.type - b.type || compareNtfsNames(a.name, b.name));
}

/** Encoded attributes in record order with their ids (0, 1, 2, … in that order). */
export function encodeAttributes(attributes: AttributeSpec[]): { attr: AttributeSpec; id: number; bytes: Uint8Array }[] {
  return sortAttributes(attributes).map((attr, id) => ({ attr, id, bytes: encodeAttribute(attr, id) }));
}

export function recordBytesNeeded(recordSize: number, attributes: AttributeSpec[]): number {
  return firstAttributeOffset(recordSize) + encodeAttributes(attributes).reduce((n, a) => n + a.bytes.length, 0) + 8;
}

export class RecordOverflowError extends Error {}

export function buildRecord(spec: RecordSpec, usn = 1): Uint8Array {
  const w = new ByteWriter(spec.recordSize);
  const encoded = encodeAttributes(spec.attributes);
  let at = firstAttributeOffset(spec.recordSize);
  const first = at;
  for (const a of encoded) {
    if (at + a.bytes.length + 8 > spec.recordSize) {
      throw new RecordOverflowError(`MFT record ${spec.recordNumber} overflows: attributes need more than ${spec.recordSize} bytes`);
    }
    w.set(at, a.bytes);
    at += a.bytes.length;
  }
  w.u32(at, 0xffffffff); // end marker
  at += 8;
  w.set(0, new TextEncoder().encode('FILE'));
  w.u64(0x08, 0); // $LogFile sequence number
  w.u16(0x10, spec.sequence);
  w.u16(0x12, spec.linkCount);
  w.u16(0x14, first);
  w.u16(0x16, spec.flags);
  w.u32(0x18, at);
  w.u32(0x1c, spec.recordSize);
  w.u64(0x20, spec.baseReference ?? 0n);
  w.u16(0x28, encoded.length); // next attribute id
  w.u32(0x2c, spec.recordNumber);
  applyFixups(w.bytes, RECORD_USA_OFFSET, usn);
  return w.bytes;
}

/** An unused record as a formatter leaves it: signature, fixups, an end marker, not in use. */
export function emptyRecord(recordSize: number, recordNumber: number, sequence = 0, flags = 0): Uint8Array {
  return buildRecord({ recordSize, recordNumber, sequence, flags, linkCount: 0, attributes: [] });
}
