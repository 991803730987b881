/**
 * The LVM2 physical-volume label and PV header. Source: LVM2's lib/format_text/layout.h and
 * lib/label/label.c (struct label_header, pv_header, disk_locn), as also documented by libyal's
 * libvslvm "Logical Volume Manager (LVM) format" §3. All integers are little-endian.
 *
 * The label is one 512-byte sector among the first four: "LABELONE", the sector number it sits in
 * (u64), a CRC of the rest of the sector from byte 20 (u32), the offset of the PV header in the
 * sector (u32) and the type "LVM2 001". The PV header holds the PV uuid (32 characters), the device
 * size, then two lists of (offset, size) byte ranges each ended by an all-zero entry: data areas,
 * then metadata areas.
 */
import { GrtError } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { crc32 } from '../../util/crc32.js';

export const LVM_SECTOR = 512;
/** The label may be in any of sectors 0–3 (label.c LABEL_SCAN_SECTORS). */
const LABEL_SCAN_SECTORS = 4;
/** The label CRC covers the sector from the offset_xl field on (label.c: label_write). */
const LABEL_CRC_FROM = 20;
/** The PV header must leave room for the uuid, size and two empty lists inside the sector. */
const PV_UUID_LENGTH = 32;
/** Entries a list of disk locations may hold before the sector ends; one sector bounds both lists. */
const DISK_LOCN_SIZE = 16;
/** LVM's CRC-32 starts from this value and ends without the final inversion (lib/misc/crc.h INITIAL_CRC). */
const LVM_INITIAL_CRC = 0xf597a6cf;

/** LVM's checksum: the IEEE CRC-32 table, seeded with 0xf597a6cf, no final XOR (lib/misc/crc.c calc_crc). */
export function lvmCrc(data: Uint8Array, previous = LVM_INITIAL_CRC): number {
  return ~crc32(data, ~previous >>> 0) >>> 0;
}

/** A byte range of the PV, from its start. `size` 0 means "to the end of the device" (data areas). */
export interface DiskLocation {
  offset: number;
  size: number;
}

export interface PvLabel {
  /** Which of sectors 0–3 held the label. */
  labelSector: number;
  /** The PV uuid as the metadata text spells it: 32 characters in groups 6-4-4-4-4-4-6. */
  pvUuid: string;
  /** Device size in bytes as the PV header recorded it. */
  deviceSize: number;
  dataAreas: DiskLocation[];
  metadataAreas: DiskLocation[];
}

const ascii = (bytes: Uint8Array, at: number, length: number) => String.fromCharCode(...bytes.subarray(at, at + length));

/** The uuid in the dashed form the metadata text uses (lib/uuid/uuid.c id_write_format). */
export function formatPvUuid(raw: string): string {
  const groups = [6, 4, 4, 4, 4, 4, 6];
  const parts: string[] = [];
  let at = 0;
  for (const length of groups) {
    parts.push(raw.slice(at, at + length));
    at += length;
  }
  return parts.join('-');
}

function u64(view: DataView, at: number, structure: string, offset: number): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new GrtError('BAD_HEADER', 'a 64-bit field is past 2^53', { structure, offset: offset + at, actual: value, space: 'volume' });
  }
  return Number(value);
}

/** One list of disk locations from `at`, ended by the all-zero entry; returns it and where the next list starts. */
function readLocations(sector: Uint8Array, at: number, sectorOffset: number): { list: DiskLocation[]; next: number } {
  const view = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const list: DiskLocation[] = [];
  for (let pos = at; ; pos += DISK_LOCN_SIZE) {
    if (pos + DISK_LOCN_SIZE > sector.length) {
      throw new GrtError('BAD_HEADER', 'disk location list runs past its sector without its zero entry', { structure: 'LVM2 PV header', offset: sectorOffset + pos, space: 'volume' });
    }
    const offset = u64(view, pos, 'LVM2 PV header', sectorOffset);
    const size = u64(view, pos + 8, 'LVM2 PV header', sectorOffset);
    if (offset === 0) return { list, next: pos + DISK_LOCN_SIZE };
    list.push({ offset, size });
  }
}

/** Whether the sector is an LVM2 label: the signature and type, whatever its checksum. */
function isLabel(sector: Uint8Array): boolean {
  return ascii(sector, 0, 8) === 'LABELONE' && ascii(sector, 24, 8) === 'LVM2 001';
}

/**
 * Whether any of sectors 0–3 of `source` carries the label signature, damaged or not: the volumes
 * worth assembling (a damaged label is a warning there, so it must be found too).
 */
export async function mayHoldPvLabel(source: ByteSource): Promise<boolean> {
  const scanned = Math.min(source.size, LABEL_SCAN_SECTORS * LVM_SECTOR);
  if (scanned < LVM_SECTOR) return false;
  const head = await source.read(0, scanned - (scanned % LVM_SECTOR));
  for (let at = 0; at + LVM_SECTOR <= head.length; at += LVM_SECTOR) if (isLabel(head.subarray(at, at + LVM_SECTOR))) return true;
  return false;
}

/**
 * The PV label of `source`, or undefined when none of sectors 0–3 holds one. A label whose CRC or
 * fields are wrong is a GrtError: the device is a PV, but a damaged one.
 */
export async function readPvLabel(source: ByteSource): Promise<PvLabel | undefined> {
  const scanned = Math.min(source.size, LABEL_SCAN_SECTORS * LVM_SECTOR);
  if (scanned < LVM_SECTOR) return undefined;
  const head = await source.read(0, scanned - (scanned % LVM_SECTOR));
  for (let sectorNumber = 0; (sectorNumber + 1) * LVM_SECTOR <= head.length; sectorNumber++) {
    const sector = head.subarray(sectorNumber * LVM_SECTOR, (sectorNumber + 1) * LVM_SECTOR);
    if (isLabel(sector)) return parseLabel(sector, sectorNumber);
  }
  return undefined;
}

function parseLabel(sector: Uint8Array, sectorNumber: number): PvLabel {
  const structure = 'LVM2 label';
  const sectorOffset = sectorNumber * LVM_SECTOR;
  const view = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const recordedSector = view.getBigUint64(8, true);
  if (recordedSector !== BigInt(sectorNumber)) {
    throw new GrtError('BAD_HEADER', 'label names another sector than the one holding it', { structure, offset: sectorOffset + 8, expected: sectorNumber, actual: recordedSector, space: 'volume' });
  }
  const expectedCrc = view.getUint32(16, true);
  const actualCrc = lvmCrc(sector.subarray(LABEL_CRC_FROM));
  if (expectedCrc !== actualCrc) throw new GrtError('BAD_CHECKSUM', 'label CRC does not match', { structure, offset: sectorOffset + 16, expected: expectedCrc, actual: actualCrc, space: 'volume' });
  const headerAt = view.getUint32(20, true);
  if (headerAt < 32 || headerAt + PV_UUID_LENGTH + 8 + 2 * DISK_LOCN_SIZE > LVM_SECTOR) {
    throw new GrtError('BAD_HEADER', 'PV header offset leaves no room for the header in its sector', { structure, offset: sectorOffset + 20, actual: headerAt, space: 'volume' });
  }
  const rawUuid = ascii(sector, headerAt, PV_UUID_LENGTH);
  if (!/^[A-Za-z0-9!#]{32}$/.test(rawUuid)) {
    throw new GrtError('BAD_HEADER', 'PV uuid is not 32 uuid characters', { structure: 'LVM2 PV header', offset: sectorOffset + headerAt, space: 'volume' });
  }
  const deviceSize = u64(view, headerAt + PV_UUID_LENGTH, 'LVM2 PV header', sectorOffset);
  const data = readLocations(sector, headerAt + PV_UUID_LENGTH + 8, sectorOffset);
  const metadata = readLocations(sector, data.next, sectorOffset);
  return { labelSector: sectorNumber, pvUuid: formatPvUuid(rawUuid), deviceSize, dataAreas: data.list, metadataAreas: metadata.list };
}
