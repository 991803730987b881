/**
 * Master Boot Record and the chain of Extended Boot Records (logical partitions).
 * Sources: UEFI 2.10 §5.2.1 (legacy MBR layout, table 5-1 and 5-2), the IBM PC partition table
 * conventions as Linux (block/partitions/msdos.c behaviour) and GNU parted number partitions:
 * primary slots 1–4 by position, logical partitions from 5 in chain order.
 */
import { GrtError, type GrtWarning } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { Struct } from '../util/struct.js';

/** Sector 0 of the disk, and every EBR, as far as partitioning goes (UEFI table 5-1). */
export const MBR_SECTOR = new Struct('MBR', 'UEFI 2.10 §5.2.1, table 5-1 (legacy MBR)')
  .skip(440, 'boot code')
  .u32('uniqueMbrDiskSignature', 'disk signature Windows uses to tell disks apart')
  .u16('unknown', 'zero')
  .bytes('partitionRecords', 64, 'four 16-byte partition records')
  .u16('signature', '0xAA55 (bytes 0x55 0xAA)');
const PARTITION_RECORD_OFFSET = MBR_SECTOR.offsets.partitionRecords;
const BOOT_SIGNATURE_OFFSET = MBR_SECTOR.offsets.signature;

/** One 16-byte partition record (UEFI table 5-2). */
export const PARTITION_RECORD = new Struct('MBR partition record', 'UEFI 2.10 §5.2.1, table 5-2')
  .u8('bootIndicator', '0x80 bootable, 0x00 not; anything else means this is not a partition record')
  .skip(3, 'starting CHS address, unused (LBA is authoritative)')
  .u8('osType', 'partition type byte')
  .skip(3, 'ending CHS address, unused')
  .u32('startingLba', 'first sector (relative to the table\'s base, see the EBR notes below)')
  .u32('sizeInLba', 'number of sectors');

/**
 * Longest EBR chain we follow. Linux stops at its minor-number limit (256 partitions for sd);
 * 1024 is far past any real disk yet keeps a hostile chain from costing more than 1024 reads.
 */
export const MAX_LOGICAL_PARTITIONS = 1024;

const EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);
export const PROTECTIVE_TYPE = 0xee;

const MBR_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0x01, 'FAT12'],
  [0x04, 'FAT16 <32M'],
  [0x05, 'Extended'],
  [0x06, 'FAT16'],
  [0x07, 'NTFS/exFAT/HPFS'],
  [0x0a, 'OS/2 Boot Manager'],
  [0x0b, 'FAT32'],
  [0x0c, 'FAT32 (LBA)'],
  [0x0e, 'FAT16 (LBA)'],
  [0x0f, 'Extended (LBA)'],
  [0x11, 'Hidden FAT12'],
  [0x12, 'OEM diagnostics'],
  [0x14, 'Hidden FAT16 <32M'],
  [0x16, 'Hidden FAT16'],
  [0x17, 'Hidden NTFS/exFAT/HPFS'],
  [0x1b, 'Hidden FAT32'],
  [0x1c, 'Hidden FAT32 (LBA)'],
  [0x1e, 'Hidden FAT16 (LBA)'],
  [0x27, 'Windows RE (hidden NTFS)'],
  [0x42, 'Windows LDM (dynamic disk)'],
  [0x81, 'Minix'],
  [0x82, 'Linux swap'],
  [0x83, 'Linux'],
  [0x84, 'Hibernation'],
  [0x85, 'Linux extended'],
  [0x86, 'NTFS volume set'],
  [0x87, 'NTFS volume set'],
  [0x8e, 'Linux LVM'],
  [0xa5, 'FreeBSD'],
  [0xa6, 'OpenBSD'],
  [0xa8, 'Darwin UFS'],
  [0xa9, 'NetBSD'],
  [0xab, 'Apple boot'],
  [0xaf, 'Apple HFS/HFS+'],
  [0xbf, 'Solaris'],
  [0xde, 'Dell utility'],
  [0xee, 'GPT protective'],
  [0xef, 'EFI system'],
  [0xfb, 'VMware VMFS'],
  [0xfc, 'VMware vmkcore'],
  [0xfd, 'Linux RAID autodetect'],
]);

/** 0x05 (CHS), 0x0F (LBA) and 0x85 (Linux) hold an EBR chain, not a file system. */
export function isExtendedType(typeByte: number): boolean {
  return EXTENDED_TYPES.has(typeByte);
}

export function mbrTypeName(typeByte: number): string {
  return MBR_TYPE_NAMES.get(typeByte) ?? 'unknown';
}

/** The type byte as the Volume contract prints it: `0x07`. */
export function mbrTypeText(typeByte: number): string {
  return `0x${typeByte.toString(16).padStart(2, '0')}`;
}

export interface MbrPartition {
  /** 1–4 for primary slots, 5 and up for logical partitions in chain order. */
  index: number;
  startSector: number;
  sectorCount: number;
  typeByte: number;
  bootable: boolean;
  logical: boolean;
}

interface RawRecord {
  bootIndicator: number;
  typeByte: number;
  startingLba: number;
  sizeInLba: number;
}

function readRecords(sector: Uint8Array): RawRecord[] {
  return Array.from({ length: 4 }, (_, slot) => {
    const record = PARTITION_RECORD.decode(sector, PARTITION_RECORD_OFFSET + slot * PARTITION_RECORD.size);
    return { bootIndicator: record.bootIndicator, typeByte: record.osType, startingLba: record.startingLba, sizeInLba: record.sizeInLba };
  });
}

export function hasBootSignature(sector: Uint8Array): boolean {
  return sector.length >= 512 && sector[BOOT_SIGNATURE_OFFSET] === 0x55 && sector[BOOT_SIGNATURE_OFFSET + 1] === 0xaa;
}

/**
 * True when sector 0 holds a plausible partition table: the boot signature, and every used record
 * has a boot indicator of 0x00 or 0x80 (UEFI §5.2.1). A FAT or NTFS boot sector also ends in 0x55AA;
 * its bytes at 446.. are boot code and almost never pass this test (the caller checks file-system
 * signatures first as well).
 */
export function looksLikeMbr(sector0: Uint8Array): boolean {
  if (!hasBootSignature(sector0)) return false;
  return readRecords(sector0).every((r) => r.typeByte === 0 || r.bootIndicator === 0x00 || r.bootIndicator === 0x80);
}

/** True when a primary record has type 0xEE (a GPT protective or hybrid MBR). */
export function hasProtectiveRecord(sector0: Uint8Array): boolean {
  return readRecords(sector0).some((r) => r.typeByte === PROTECTIVE_TYPE);
}

/**
 * The partitions of an MBR disk: primaries by slot, then each extended partition's logical ones.
 * Never throws for a damaged EBR chain: the chain ends there and a warning says why.
 */
export async function readMbr(
  disk: ByteSource,
  sector0: Uint8Array,
  sectorSize: number,
  warnings: GrtWarning[],
): Promise<MbrPartition[]> {
  if (!looksLikeMbr(sector0)) {
    throw new GrtError('BAD_MAGIC', 'no MBR partition table', { structure: 'MBR', offset: 0, space: 'disk' });
  }
  const out: MbrPartition[] = [];
  const extended: MbrPartition[] = [];
  readRecords(sector0).forEach((record, slot) => {
    if (record.typeByte === 0) return; // empty slot: skipped, its number kept free
    if (record.sizeInLba === 0) {
      warnings.push({ code: 'BAD_TABLE', message: `MBR slot ${slot + 1} has type ${mbrTypeText(record.typeByte)} but no sectors`, offset: 0 });
      return;
    }
    const partition: MbrPartition = {
      index: slot + 1,
      startSector: record.startingLba,
      sectorCount: record.sizeInLba,
      typeByte: record.typeByte,
      bootable: record.bootIndicator === 0x80,
      logical: false,
    };
    out.push(partition);
    if (EXTENDED_TYPES.has(record.typeByte)) extended.push(partition);
  });
  // NOTE: Linux follows every extended primary, numbering on from the previous chain; so do we.
  let nextIndex = 5;
  for (const container of extended) {
    nextIndex = await readEbrChain(disk, container, sectorSize, nextIndex, out, warnings);
  }
  return out;
}

/**
 * Walk one EBR chain. In each EBR, record 1 is the logical partition with its start relative to
 * that EBR; record 2 links to the next EBR with its start relative to the extended partition's
 * start. Returns the next free partition number.
 *
 * NOTE: read as Linux reads it (block/partitions/msdos.c, parse_extended), which is what the
 * systems that wrote unusual chains saw: every non-empty, non-extended record of an EBR is a
 * logical partition — records 3 and 4 only when they lie inside the extended partition, as they
 * sometimes hold garbage — and the link is the first record of an extended type, in any slot.
 */
async function readEbrChain(
  disk: ByteSource,
  container: MbrPartition,
  sectorSize: number,
  firstIndex: number,
  out: MbrPartition[],
  warnings: GrtWarning[],
): Promise<number> {
  const diskSectors = Math.floor(disk.size / sectorSize);
  const containerEnd = container.startSector + container.sectorCount;
  const visited = new Set<number>();
  let index = firstIndex;
  let ebrSector = container.startSector;
  const warn = (code: string, message: string) => warnings.push({ code, message, offset: ebrSector * sectorSize });
  for (let hops = 0; ; hops++) {
    if (hops >= MAX_LOGICAL_PARTITIONS) {
      warn('LIMIT_EXCEEDED', `EBR chain longer than ${MAX_LOGICAL_PARTITIONS} links; the rest is ignored`);
      break;
    }
    if (visited.has(ebrSector)) {
      warn('BAD_TABLE', `EBR chain loops back to sector ${ebrSector}; the rest is ignored`);
      break;
    }
    visited.add(ebrSector);
    if (ebrSector + 1 > diskSectors) {
      warn('BAD_TABLE', `EBR at sector ${ebrSector} is past the end of the disk`);
      break;
    }
    const ebr = await disk.read(ebrSector * sectorSize, 512);
    if (!hasBootSignature(ebr)) {
      // An extended partition with a blank first sector is normal (parted writes one until the
      // first logical partition exists); a broken link later in the chain is worth a warning.
      if (hops > 0) warn('BAD_MAGIC', `EBR at sector ${ebrSector} has no 0x55AA signature`);
      break;
    }
    const records = readRecords(ebr);
    let link: RawRecord | undefined;
    records.forEach((record, slot) => {
      if (record.typeByte === 0 || record.sizeInLba === 0) return;
      if (EXTENDED_TYPES.has(record.typeByte)) {
        link ??= record;
        return;
      }
      const startSector = ebrSector + record.startingLba;
      const inside = startSector >= container.startSector && startSector + record.sizeInLba <= containerEnd;
      if (slot >= 2 && !inside) return; // garbage in an unused slot, as Linux judges it
      if (!inside) warn('BAD_TABLE', `logical partition ${index} reaches past its extended partition`);
      out.push({
        index: index++,
        startSector,
        sectorCount: record.sizeInLba,
        typeByte: record.typeByte,
        bootable: record.bootIndicator === 0x80,
        logical: true,
      });
    });
    if (!link) break; // end of the chain
    const next = container.startSector + link.startingLba;
    if (next >= containerEnd) {
      warn('BAD_TABLE', `EBR link to sector ${next} is outside its extended partition`);
      break;
    }
    ebrSector = next;
  }
  return index;
}
