/**
 * GUID Partition Table.
 * Sources: UEFI 2.10 §5.3 — header (table 5-5), validity rules (§5.3.2: signature, HeaderCRC32 over
 * HeaderSize bytes with the CRC field zeroed, MyLBA, PartitionEntryArrayCRC32, use of the backup
 * header at the last LBA when the primary is invalid), partition entry (table 5-6), GUID byte order
 * (appendix A: the first three fields little-endian).
 */
import { GrtError, type GrtWarning } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { crc32 } from '../util/crc32.js';
import { safeMultiply, toSafeNumber } from '../util/safe-number.js';
import { Struct } from '../util/struct.js';

/** GPT header (UEFI table 5-5); the rest of its sector is reserved and must be zero. */
export const GPT_HEADER = new Struct('GPT header', 'UEFI 2.10 §5.3.2, table 5-5')
  .bytes('signature', 8, '"EFI PART"')
  .u32('revision', '0x00010000 for every GPT so far')
  .u32('headerSize', 'bytes covered by the header CRC, 92 ≤ size ≤ logical block size')
  .u32('headerCrc32', 'CRC32 of the header with this field zeroed')
  .u32('reserved', 'zero')
  .u64('myLba', 'LBA of this header')
  .u64('alternateLba', 'LBA of the other header')
  .u64('firstUsableLba', 'first LBA a partition may use')
  .u64('lastUsableLba', 'last LBA a partition may use')
  .bytes('diskGuid', 16, 'GUID of the disk')
  .u64('partitionEntryLba', 'first LBA of the entry array')
  .u32('numberOfPartitionEntries', 'entries in the array')
  .u32('sizeOfPartitionEntry', 'bytes per entry: 128 × 2^n')
  .u32('partitionEntryArrayCrc32', 'CRC32 of the whole entry array');
const MIN_HEADER_SIZE = GPT_HEADER.size;
const SIGNATURE = 'EFI PART';

/** GPT partition entry (UEFI table 5-6); an entry may be longer, the rest is reserved. */
export const GPT_ENTRY = new Struct('GPT entry', 'UEFI 2.10 §5.3.3, table 5-6')
  .bytes('partitionTypeGuid', 16, 'all zero = unused entry')
  .bytes('uniquePartitionGuid', 16, 'GUID of this partition')
  .u64('startingLba', 'first LBA')
  .u64('endingLba', 'last LBA, inclusive')
  .u64('attributes', 'bit 0 required, bit 1 no block IO, bit 2 legacy BIOS bootable, 48–63 type-specific')
  .bytes('partitionName', 72, 'UTF-16LE, NUL-padded');

/** Entries are 128 × 2^n bytes (§5.3.2); none larger than this has ever been seen, and it bounds one read. */
export const MAX_ENTRY_SIZE = 4096;
/** 128 is the spec minimum and the norm; 4096 leaves room for odd tools while bounding the loop. */
export const MAX_ENTRY_COUNT = 4096;
/** 4096 × 128 = 512 KiB is the largest array real tools write; 1 MiB bounds memory for any header. */
export const MAX_ARRAY_BYTES = 1024 * 1024;

export interface GptPartition {
  /** Entry slot, 1-based. */
  index: number;
  firstLba: number;
  /** Inclusive. */
  lastLba: number;
  typeGuid: string;
  uniqueGuid: string;
  name: string;
  /** Attribute bits as `0x` + 16 hex digits. */
  attributes: string;
}

/** Text form of an on-disk GUID: first three fields little-endian, the last two as stored. */
export function guidToText(bytes: Uint8Array, at = 0): string {
  const hex = (i: number) => bytes[at + i]!.toString(16).padStart(2, '0');
  const run = (order: number[]) => order.map(hex).join('');
  return `${run([3, 2, 1, 0])}-${run([5, 4])}-${run([7, 6])}-${run([8, 9])}-${run([10, 11, 12, 13, 14, 15])}`;
}

/** True when the sector at `lba` starts with "EFI PART". Cheap probe for sector-size detection. */
export async function hasGptSignature(disk: ByteSource, lba: number, sectorSize: number): Promise<boolean> {
  const offset = lba * sectorSize;
  if (offset + 8 > disk.size) return false;
  const bytes = await disk.read(offset, 8);
  return String.fromCharCode(...bytes) === SIGNATURE;
}

interface ValidHeader {
  lba: number;
  alternateLba: number;
  entryLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  entryCount: number;
  entrySize: number;
  entries: Uint8Array;
}

/** Read and validate one GPT header and its entry array; any failure is a GrtError. */
async function readHeader(disk: ByteSource, lba: number, sectorSize: number): Promise<ValidHeader> {
  const offset = lba * sectorSize;
  const structure = lba === 1 ? 'primary GPT header' : 'backup GPT header';
  if (offset + sectorSize > disk.size) throw new GrtError('TRUNCATED', 'header is past the end of the disk', { structure, offset, space: 'disk' });
  const sector = await disk.read(offset, sectorSize);
  const h = GPT_HEADER.decode(sector, 0, offset, 'disk');
  const signature = String.fromCharCode(...h.signature);
  if (signature !== SIGNATURE) throw new GrtError('BAD_MAGIC', 'bad signature', { structure, offset, space: 'disk', expected: SIGNATURE, actual: signature });
  const headerSize = h.headerSize;
  if (headerSize < MIN_HEADER_SIZE || headerSize > sectorSize) {
    throw new GrtError('BAD_HEADER', 'HeaderSize out of range', { structure, offset, space: 'disk', expected: `${MIN_HEADER_SIZE}..${sectorSize}`, actual: headerSize });
  }
  const stored = h.headerCrc32;
  const copy = sector.slice(0, headerSize);
  const crcAt = GPT_HEADER.offsets.headerCrc32;
  copy.fill(0, crcAt, crcAt + 4);
  const computed = crc32(copy);
  if (computed !== stored) throw new GrtError('BAD_CHECKSUM', 'header CRC32 mismatch', { structure, offset, space: 'disk', expected: stored, actual: computed });
  const details = { structure, offset, space: 'disk' } as const;
  const myLba = toSafeNumber(h.myLba, 'MyLBA', details);
  if (myLba !== lba) throw new GrtError('BAD_HEADER', 'MyLBA is not where the header was read', { ...details, expected: lba, actual: myLba });
  const entryLba = toSafeNumber(h.partitionEntryLba, 'PartitionEntryLBA', details);
  const entryCount = h.numberOfPartitionEntries;
  const entrySize = h.sizeOfPartitionEntry;
  if (entrySize < 128 || entrySize % 128 !== 0 || entrySize > MAX_ENTRY_SIZE) {
    throw new GrtError('BAD_HEADER', 'SizeOfPartitionEntry is not a multiple of 128 within the limit', { ...details, expected: `128..${MAX_ENTRY_SIZE}`, actual: entrySize });
  }
  if (entryCount > MAX_ENTRY_COUNT || entryCount * entrySize > MAX_ARRAY_BYTES) {
    throw new GrtError('LIMIT_EXCEEDED', 'partition entry array is larger than the limit', { ...details, expected: `≤ ${MAX_ENTRY_COUNT} entries, ≤ ${MAX_ARRAY_BYTES} bytes`, actual: entryCount });
  }
  const arrayOffset = safeMultiply(entryLba, sectorSize, 'PartitionEntryLBA', details);
  const arrayBytes = entryCount * entrySize;
  if (entryLba < 1 || arrayOffset + arrayBytes > disk.size) {
    throw new GrtError('BAD_HEADER', 'partition entry array is outside the disk', { ...details, expected: `≤ ${disk.size}`, actual: arrayOffset + arrayBytes });
  }
  const entries = await disk.read(arrayOffset, arrayBytes);
  const storedArrayCrc = h.partitionEntryArrayCrc32;
  const arrayCrc = crc32(entries);
  if (arrayCrc !== storedArrayCrc) {
    throw new GrtError('BAD_CHECKSUM', 'partition entry array CRC32 mismatch', { structure, offset: arrayOffset, space: 'disk', expected: storedArrayCrc, actual: arrayCrc });
  }
  const alternateLba = toSafeNumber(h.alternateLba, 'AlternateLBA', details);
  const firstUsableLba = toSafeNumber(h.firstUsableLba, 'FirstUsableLBA', details);
  const lastUsableLba = toSafeNumber(h.lastUsableLba, 'LastUsableLBA', details);
  return { lba, alternateLba, entryLba, firstUsableLba, lastUsableLba, entryCount, entrySize, entries };
}

function decodeName(bytes: Uint8Array): string {
  let end = 0;
  while (end + 1 < bytes.length && (bytes[end]! | bytes[end + 1]!) !== 0) end += 2;
  return new TextDecoder('utf-16le').decode(bytes.subarray(0, end));
}

function decodeEntries(header: ValidHeader, diskSectors: number, warnings: GrtWarning[], sectorSize: number): GptPartition[] {
  const out: GptPartition[] = [];
  for (let slot = 0; slot < header.entryCount; slot++) {
    const at = slot * header.entrySize;
    const entry = GPT_ENTRY.decode(header.entries, at);
    if (entry.partitionTypeGuid.every((b) => b === 0)) continue; // unused entry: skipped, its number kept
    const offset = header.entryLba * sectorSize + at;
    const index = slot + 1;
    let firstLba: number;
    let lastLba: number;
    try {
      firstLba = toSafeNumber(entry.startingLba, 'StartingLBA', { offset, space: 'disk' });
      lastLba = toSafeNumber(entry.endingLba, 'EndingLBA', { offset, space: 'disk' });
    } catch {
      warnings.push({ code: 'BAD_TABLE', message: `GPT entry ${index} has an LBA beyond 2^53; skipped`, offset });
      continue;
    }
    if (lastLba < firstLba) {
      warnings.push({ code: 'BAD_TABLE', message: `GPT entry ${index} ends (LBA ${lastLba}) before it starts (LBA ${firstLba}); skipped`, offset });
      continue;
    }
    if (firstLba >= diskSectors) {
      warnings.push({ code: 'BAD_TABLE', message: `GPT entry ${index} starts past the end of the disk; skipped`, offset });
      continue;
    }
    if (firstLba < header.firstUsableLba || lastLba > header.lastUsableLba) {
      // §5.3.3: entries must lie within the usable LBAs; kept, since the data may still be there.
      warnings.push({ code: 'BAD_TABLE', message: `GPT entry ${index} lies outside the usable LBAs ${header.firstUsableLba}..${header.lastUsableLba}`, offset });
    }
    out.push({
      index,
      firstLba,
      lastLba,
      typeGuid: guidToText(entry.partitionTypeGuid),
      uniqueGuid: guidToText(entry.uniquePartitionGuid),
      name: decodeName(entry.partitionName),
      attributes: `0x${entry.attributes.toString(16).padStart(16, '0')}`,
    });
  }
  return out;
}

/**
 * The partitions of a GPT disk. The primary header at LBA 1 is used when valid (and its backup is
 * checked, with a warning if damaged); otherwise the backup at the last LBA (§5.3.2) with a warning.
 * When both are invalid, the primary's error is thrown.
 */
export async function readGpt(disk: ByteSource, sectorSize: number, warnings: GrtWarning[]): Promise<GptPartition[]> {
  const diskSectors = Math.floor(disk.size / sectorSize);
  const lastLba = diskSectors - 1;
  let header: ValidHeader;
  try {
    header = await readHeader(disk, 1, sectorSize);
    if (header.alternateLba !== lastLba) {
      warnings.push({ code: 'BAD_HEADER', message: `GPT backup header is at LBA ${header.alternateLba}, not the last LBA ${lastLba} (disk grown or cut short?)`, offset: sectorSize });
    }
    if (header.alternateLba < diskSectors) {
      await readHeader(disk, header.alternateLba, sectorSize).catch((error: unknown) => {
        if (!(error instanceof GrtError)) throw error;
        warnings.push({ code: error.code, message: `backup GPT header is not valid: ${error.message}`, offset: header.alternateLba * sectorSize });
      });
    }
  } catch (primaryError) {
    if (!(primaryError instanceof GrtError)) throw primaryError;
    try {
      header = await readHeader(disk, lastLba, sectorSize);
    } catch (backupError) {
      if (!(backupError instanceof GrtError)) throw backupError;
      throw primaryError;
    }
    warnings.push({ code: primaryError.code, message: `primary GPT is damaged, using the backup: ${primaryError.message}`, offset: sectorSize });
  }
  return decodeEntries(header, diskSectors, warnings, sectorSize);
}
