/**
 * The LVM2 metadata area: a 512-byte mda_header at the area's start, then a circular buffer of
 * metadata text. Source: LVM2 lib/format_text/layout.h (struct mda_header, raw_locn) and
 * format-text.c (_read_metadata_location_vg, _vg_read_raw_area); libvslvm format §4.
 *
 * mda_header: checksum (u32, LVM CRC of bytes 4–511), magic " LVM2 x[5A%r0N*>", version 1, start
 * (u64, the area's offset on the PV, a check) and size (u64), then raw_locn entries (offset from
 * the area's start, size, checksum of the text, flags) ended by an all-zero one. The first entry is
 * the committed metadata. The text starts at `offset`; when it runs past the area's end it
 * continues just after the header (the buffer wraps around, skipping the header sector).
 */
import { GrtError } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { lvmCrc, LVM_SECTOR, type DiskLocation } from './label.js';

const MDA_MAGIC = ' LVM2 x[5A%r0N*>';
const MDA_VERSION = 1;
/** raw_locn flag: this copy is ignored (pvchange --metadataignore); layout.h RAW_LOCN_IGNORED. */
const RAW_LOCN_IGNORED = 0x1;
/**
 * Largest metadata text read. LVM's own default metadata area is 1 MiB and a VG's text grows by a
 * few hundred bytes per LV; 16 MiB allows areas far larger than anything LVM makes by default while
 * keeping a hostile size from allocating gigabytes.
 */
export const MAX_METADATA_TEXT = 16 * 1024 * 1024;

/** The committed metadata text of one metadata area. */
export interface MetadataText {
  text: string;
  /** Byte offset of the area on the PV, for messages. */
  areaOffset: number;
  /** Byte offset of the text's first byte on the PV, for errors found in the text. */
  textOffset: number;
}

/**
 * The committed text of the metadata area at `area`, or undefined when the area holds none (a PV
 * not yet in a VG, or a copy marked ignored). Damage is a GrtError.
 */
export async function readMetadataArea(pv: ByteSource, area: DiskLocation): Promise<MetadataText | undefined> {
  const structure = 'LVM2 mda_header';
  if (area.size < 2 * LVM_SECTOR || area.offset + area.size > pv.size) {
    throw new GrtError('BAD_HEADER', `metadata area of ${area.size} bytes does not fit on the PV of ${pv.size} bytes`, { structure, offset: area.offset, space: 'volume' });
  }
  const header = await pv.read(area.offset, LVM_SECTOR);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const expectedCrc = view.getUint32(0, true);
  const actualCrc = lvmCrc(header.subarray(4));
  if (expectedCrc !== actualCrc) throw new GrtError('BAD_CHECKSUM', 'header CRC does not match', { structure, offset: area.offset, expected: expectedCrc, actual: actualCrc, space: 'volume' });
  const magic = String.fromCharCode(...header.subarray(4, 20));
  if (magic !== MDA_MAGIC) throw new GrtError('BAD_MAGIC', 'not a metadata area header', { structure, offset: area.offset + 4, expected: MDA_MAGIC, actual: magic, space: 'volume' });
  const version = view.getUint32(20, true);
  if (version !== MDA_VERSION) throw new GrtError('UNSUPPORTED', 'metadata area version', { structure, offset: area.offset + 20, expected: MDA_VERSION, actual: version, space: 'volume' });
  const start = view.getBigUint64(24, true);
  const size = view.getBigUint64(32, true);
  if (start !== BigInt(area.offset) || size !== BigInt(area.size)) {
    throw new GrtError('BAD_HEADER', 'header names another area than the PV header', { structure, offset: area.offset + 24, expected: `${area.offset}+${area.size}`, actual: `${start}+${size}`, space: 'volume' });
  }
  const textOffset = view.getBigUint64(40, true);
  const textSize = view.getBigUint64(48, true);
  const textCrc = view.getUint32(56, true);
  const flags = view.getUint32(60, true);
  if (textOffset === 0n || textSize === 0n || (flags & RAW_LOCN_IGNORED) !== 0) return undefined;
  const bufferSize = area.size - LVM_SECTOR;
  if (textOffset < BigInt(LVM_SECTOR) || textOffset >= BigInt(area.size) || textSize > BigInt(Math.min(bufferSize, MAX_METADATA_TEXT))) {
    throw new GrtError('BAD_HEADER', 'metadata text location is outside its area', { structure, offset: area.offset + 40, actual: `${textOffset}+${textSize}`, space: 'volume' });
  }
  const bytes = await readCircular(pv, area, Number(textOffset), Number(textSize));
  const crc = lvmCrc(bytes);
  if (crc !== textCrc) throw new GrtError('BAD_CHECKSUM', 'metadata text CRC does not match', { structure: 'LVM2 metadata text', offset: area.offset + Number(textOffset), expected: textCrc, actual: crc, space: 'volume' });
  const end = bytes.indexOf(0);
  const text = new TextDecoder('utf-8').decode(end === -1 ? bytes : bytes.subarray(0, end));
  return { text, areaOffset: area.offset, textOffset: area.offset + Number(textOffset) };
}

/** `size` bytes from `offset` in the area's circular buffer: past the area's end, on after the header. */
async function readCircular(pv: ByteSource, area: DiskLocation, offset: number, size: number): Promise<Uint8Array> {
  const first = Math.min(size, area.size - offset);
  const head = await pv.read(area.offset + offset, first);
  if (first === size) return head;
  const out = new Uint8Array(size);
  out.set(head);
  out.set(await pv.read(area.offset + LVM_SECTOR, size - first), first);
  return out;
}
