/**
 * UPCASE section (docs/catalog-format.md §4.3): a volume's name-comparison table (NTFS $UpCase),
 * so case-insensitive lookups in the catalog follow the volume's own rules, as lookups on the image
 * do. Stored as the 65536 differences `upper[unit] - unit` (i16 little-endian): nearly all are 0,
 * so the deflated section is a few KiB.
 */
import { ByteReader, ByteWriter } from './varint.js';

const UPCASE_UNITS = 65536;

export function encodeUpcase(volume: number, table: Uint16Array): Uint8Array {
  const w = new ByteWriter();
  w.u(volume);
  const deltas = new Uint8Array(UPCASE_UNITS * 2);
  const view = new DataView(deltas.buffer);
  for (let unit = 0; unit < UPCASE_UNITS; unit++) view.setInt16(unit * 2, (table[unit]! - unit) << 16 >> 16, true);
  w.raw(deltas);
  return w.bytes();
}

export function decodeUpcase(r: ByteReader): { volume: number; table: Uint16Array } {
  const volume = r.u();
  const bytes = r.raw(UPCASE_UNITS * 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const table = new Uint16Array(UPCASE_UNITS);
  for (let unit = 0; unit < UPCASE_UNITS; unit++) table[unit] = (unit + view.getInt16(unit * 2, true)) & 0xffff;
  return { volume, table };
}
