/**
 * The catalog container (docs/catalog-format.md §1, §3): a 16-byte preamble, then sections, each a
 * 20-byte header and a payload that is usually deflate-compressed (RFC 1951: node's zlib writes,
 * fflate reads) and always CRC-32 checked (IEEE, over the header and the stored bytes, so damage
 * is caught before inflating).
 * An END section closes the file, so a truncated copy is refused rather than read as a small tree.
 */
import { deflateRawSync } from 'node:zlib';
import { inflateSync } from 'fflate';
import { GrtError } from '../errors.js';
import { crc32 } from '../util/crc32.js';

import { CATALOG_MAGIC } from './magic.js';

export { CATALOG_MAGIC };
/**
 * A reader refuses a newer major version and reads every older one; minor versions only add
 * section types. 2.0: a name's file index is a delta from the previous name's (files in scan order).
 * 3.0: times are nanoseconds since 1970 (FILETIMEs before), a volume records its name rule, and
 * file records may carry POSIX fields (mode, owner, special-file kind) and lack a birth time.
 * 4.0: a layout may be 'wof' (a WOF file's compressed stream and format) and a file record may
 * carry an NTFS owner and group; a 3.0 reader would take both for damage, hence a major version.
 * 4.1: the binding also lists the other disks of a VM and the volumes past the first disk (their
 * ids, LV segments); layouts point into the disks one after another (disk-space.ts).
 */
const FORMAT_MAJOR = 4;
const FORMAT_MINOR = 1;
/** The oldest major version this reader reads. */
const OLDEST_MAJOR = 1;
export const PREAMBLE_BYTES = 16;
export const SECTION_HEADER_BYTES = 20;

export const SectionType = {
  binding: 1,
  volume: 2,
  names: 3,
  files: 4,
  upcase: 5,
  end: 0xffff,
} as const;

/** Section header flag bit 0: the payload is raw deflate. */
const FLAG_DEFLATE = 1;
/**
 * Deflate level 4, written with node's zlib (native, several times faster than fflate's deflate).
 * On a 100,000-file catalog level 4 costs a third of level 6's time for a 2% larger file; the
 * reader inflates any level alike.
 */
const DEFLATE_LEVEL = 4;

/**
 * One section inflates to at most this. The writer keeps sections near 1 MiB (16k entries), so
 * 64 MiB leaves room for files with huge run lists while bounding a hostile length field (a
 * deflate bomb cannot make us allocate more than this).
 */
const MAX_SECTION_BYTES = 64 * 1024 * 1024;
/** Deflate cannot expand data by more than about 1032:1 (RFC 1951: a 258-byte match costs ≥ 2 bits). */
export const DEFLATE_MAX_RATIO = 1032;
/** Sections in one file: 2^20 sections of 16k entries is far beyond any volume. */
const MAX_SECTIONS = 1 << 20;

export interface SectionHeader {
  type: number;
  flags: number;
  storedLength: number;
  uncompressedLength: number;
  crc32: number;
  /** Absolute offset of the section header in the file. */
  offset: number;
  /** Absolute offset of the stored payload. */
  payloadOffset: number;
}

/** Section header fields, in order, each a little-endian u32 (byte offset = 4 × position). */
const SECTION_FIELDS = [
  'type', // section type (SectionType); unknown types are skipped
  'flags', // bit 0: payload is deflate-compressed; other bits reserved (0)
  'storedLength', // bytes of payload that follow the header in the file
  'uncompressedLength', // bytes after inflating (= storedLength when not compressed)
  'crc32', // CRC-32 of the header's first 16 bytes followed by the stored payload
] as const;

export function encodePreamble(): Uint8Array {
  const out = new Uint8Array(PREAMBLE_BYTES);
  out.set(CATALOG_MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, FORMAT_MAJOR, true);
  view.setUint16(10, FORMAT_MINOR, true);
  // bytes 12..15 reserved, zero
  return out;
}

/** Header + stored payload of one section, compressing when that makes it smaller. */
export function encodeSection(type: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_SECTION_BYTES) {
    throw new GrtError('LIMIT_EXCEEDED', `catalog section of ${payload.length} bytes`, { structure: 'catalog section', expected: MAX_SECTION_BYTES });
  }
  const packed = payload.length > 64 ? deflateRawSync(payload, { level: DEFLATE_LEVEL }) : payload;
  const compressed = packed.length < payload.length;
  const stored = compressed ? packed : payload;
  const out = new Uint8Array(SECTION_HEADER_BYTES + stored.length);
  const view = new DataView(out.buffer);
  const values = { type, flags: compressed ? FLAG_DEFLATE : 0, storedLength: stored.length, uncompressedLength: payload.length, crc32: 0 };
  SECTION_FIELDS.forEach((field, i) => view.setUint32(i * 4, values[field], true));
  view.setUint32(16, crc32(stored, crc32(out.subarray(0, 16))), true);
  out.set(stored, SECTION_HEADER_BYTES);
  return out;
}

/** Checks magic and version; returns the file's major version. */
export function checkPreamble(file: Uint8Array): number {
  if (file.length < PREAMBLE_BYTES) {
    throw new GrtError('TRUNCATED', 'catalog shorter than its preamble', { structure: 'catalog preamble', offset: 0, actual: file.length });
  }
  for (let i = 0; i < CATALOG_MAGIC.length; i++) {
    if (file[i] !== CATALOG_MAGIC[i]) throw new GrtError('BAD_MAGIC', 'not a grt catalog', { structure: 'catalog preamble', offset: 0 });
  }
  const major = new DataView(file.buffer, file.byteOffset, PREAMBLE_BYTES).getUint16(8, true);
  if (major < OLDEST_MAJOR || major > FORMAT_MAJOR) {
    throw new GrtError('BAD_CATALOG', 'unsupported catalog format version', { structure: 'catalog preamble', offset: 8, expected: FORMAT_MAJOR, actual: major });
  }
  return major;
}

/** Every section header in the file, bounds-checked; payloads are not touched. Ends at END. */
export function readSectionHeaders(file: Uint8Array): SectionHeader[] {
  checkPreamble(file);
  const headers: SectionHeader[] = [];
  let offset = PREAMBLE_BYTES;
  for (;;) {
    checkSectionCount(headers.length, offset);
    if (offset + SECTION_HEADER_BYTES > file.length) {
      throw new GrtError('TRUNCATED', 'catalog ends before its END section', { structure: 'catalog section', offset });
    }
    const header = parseSectionHeader(file.subarray(offset, offset + SECTION_HEADER_BYTES), offset, file.length);
    headers.push(header);
    offset = header.payloadOffset + header.storedLength;
    if (header.type === SectionType.end) return headers;
  }
}

/** LIMIT_EXCEEDED once a file has MAX_SECTIONS sections before `offset`. */
export function checkSectionCount(count: number, offset: number): void {
  if (count >= MAX_SECTIONS) {
    throw new GrtError('LIMIT_EXCEEDED', 'too many catalog sections', { structure: 'catalog section', offset, expected: MAX_SECTIONS });
  }
}

/** The section header in `bytes` (its 20 bytes, read at `offset` of a file of `fileLength` bytes), bounds-checked. */
export function parseSectionHeader(bytes: Uint8Array, offset: number, fileLength: number): SectionHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, SECTION_HEADER_BYTES);
  const fields = SECTION_FIELDS.map((_, i) => view.getUint32(i * 4, true));
  const [type, flags, storedLength, uncompressedLength, crc] = fields as [number, number, number, number, number];
  const payloadOffset = offset + SECTION_HEADER_BYTES;
  const bad = (detail: string, actual: unknown): never => {
    throw new GrtError('BAD_CATALOG', detail, { structure: 'catalog section header', offset, actual });
  };
  if (storedLength > fileLength - payloadOffset) bad('section longer than the file', storedLength);
  if (uncompressedLength > MAX_SECTION_BYTES) bad('section inflates past the limit', uncompressedLength);
  // A writer stores a payload compressed only when that makes it smaller: never past the limit either.
  if (storedLength > MAX_SECTION_BYTES) bad('section stored past the limit', storedLength);
  if ((flags & ~FLAG_DEFLATE) !== 0) bad('unknown section flags', flags);
  if (uncompressedLength > storedLength * DEFLATE_MAX_RATIO + 1024) bad('section claims more than deflate can expand to', uncompressedLength);
  if (!(flags & FLAG_DEFLATE) && uncompressedLength !== storedLength) bad('stored section with two lengths', uncompressedLength);
  return { type, flags, storedLength, uncompressedLength, crc32: crc, offset, payloadOffset };
}

/**
 * The payload of one section: CRC checked, inflated, length checked. `file` holds the catalog's
 * bytes from offset `base` on (a reader that reads a section at a time passes just that section).
 * A compressed payload is inflated into `out` when that holds uncompressedLength + 1 bytes (a
 * reader of many sections reuses one buffer), else into a new one.
 */
export function readSectionPayload(file: Uint8Array, header: SectionHeader, base = 0, out?: Uint8Array): Uint8Array {
  const stored = checkSectionCrc(file, header, base);
  if (!(header.flags & FLAG_DEFLATE)) return stored;
  let inflated: Uint8Array;
  try {
    // NOTE: fflate silently stops at the end of a given buffer; one spare byte makes a stream
    // longer than declared show up as a length mismatch, and the buffer still bounds a bomb.
    inflated = inflateSync(stored, { out: out && out.length > header.uncompressedLength ? out.subarray(0, header.uncompressedLength + 1) : new Uint8Array(header.uncompressedLength + 1) });
  } catch (cause) {
    throw new GrtError('BAD_CATALOG', 'catalog section does not inflate', { structure: 'catalog section', offset: header.offset, cause });
  }
  if (inflated.length !== header.uncompressedLength) {
    throw new GrtError('BAD_CATALOG', 'catalog section inflates to the wrong size', { structure: 'catalog section', offset: header.offset, expected: header.uncompressedLength, actual: inflated.length });
  }
  return inflated;
}

/** A section's stored payload (`file` as readSectionPayload takes it), once its CRC-32 matches. */
export function checkSectionCrc(file: Uint8Array, header: SectionHeader, base = 0): Uint8Array {
  const start = header.offset - base;
  const stored = file.subarray(start + SECTION_HEADER_BYTES, start + SECTION_HEADER_BYTES + header.storedLength);
  const actual = crc32(stored, crc32(file.subarray(start, start + 16)));
  if (actual !== header.crc32) {
    throw new GrtError('BAD_CHECKSUM', 'catalog section CRC-32 mismatch', { structure: 'catalog section', offset: header.offset, expected: header.crc32, actual });
  }
  return stored;
}
