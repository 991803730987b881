/**
 * From a disk to its volumes: find the partition table (GPT, MBR, or none), make each partition a
 * bounds-checked slice of the disk, and name the file system on each.
 * Sources: UEFI 2.10 §5.2.3 (protective MBR) and §5.3.2 (GPT at LBA 1 of the logical block size);
 * see mbr.ts, gpt.ts and detect.ts for the structures themselves.
 *
 * Choices worth knowing:
 * - GPT wins over any MBR (protective or hybrid), as UEFI firmware and Linux do.
 * - Without a caller-given sector size, GPT is looked for at byte 512 then byte 4096; an MBR
 *   alone says nothing about its sector size, so it is read with 512 unless 4096 finds more file
 *   systems at the partitions' starts (a raw image of a 4Kn drive), or the caller says 4096.
 * - A file system whose first sector is sector 0 (NTFS, FAT, exFAT, ReFS, BitLocker, XFS, LUKS: a
 *   boot sector also ends in 0x55AA) means no partition table: the whole disk is volume 0. Other
 *   signatures (ext, swap, LVM, Btrfs) lose to an MBR that lists partitions, with a warning.
 * - A partition reaching past the disk end is clipped to the disk with a warning (a truncated
 *   backup still yields what it holds); one starting at or past the end is left out with a warning.
 */
import { GrtError, type GrtWarning } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { SliceSource } from '../io/slice-source.js';
import { detectFileSystem, type Detected } from './detect.js';
import { gptTypeName } from './gpt-types.js';
import { hasGptSignature, readGpt } from './gpt.js';
import { hasProtectiveRecord, isExtendedType, looksLikeMbr, mbrTypeName, mbrTypeText, readMbr, type MbrPartition } from './mbr.js';
import type { FsKind, Volume, VolumeLayout } from './types.js';

export interface ListVolumesOptions {
  /** Logical sector size; found from the table when not given (GPT), else 512. */
  sectorSize?: 512 | 4096;
}

const SECTOR_SIZES = [512, 4096] as const;
/** File systems whose boot sector or superblock is the volume's first sector. */
const OWNS_SECTOR_ZERO = new Set<FsKind>(['ntfs', 'fat12', 'fat16', 'fat32', 'exfat', 'refs', 'bitlocker', 'xfs', 'luks']);
/** A partition as its table states it, before clipping and detection. */
type VolumeSkeleton = Omit<Volume, 'id' | 'fs' | 'label' | 'source' | 'start' | 'size'> & {
  startSector: number;
  sectorCount: number;
  /** An MBR extended partition: its bytes are EBRs, not a file system. */
  isContainer: boolean;
};

export async function listVolumes(disk: ByteSource, options: ListVolumesOptions = {}): Promise<VolumeLayout> {
  if (options.sectorSize !== undefined && !SECTOR_SIZES.includes(options.sectorSize)) {
    throw new GrtError('USAGE', 'sectorSize must be 512 or 4096', { actual: options.sectorSize });
  }
  const warnings: GrtWarning[] = [];
  const candidates = options.sectorSize ? [options.sectorSize] : SECTOR_SIZES;
  const sector0 = disk.size >= 512 ? await disk.read(0, 512) : new Uint8Array(0);

  // GPT: a signature at LBA 1, or a protective MBR whose primary header may be wiped (try the backup).
  for (const sectorSize of candidates) {
    if (await hasGptSignature(disk, 1, sectorSize)) return finish(disk, 'gpt', sectorSize, await gptVolumes(disk, sectorSize, warnings), warnings);
  }
  const mbrPlausible = looksLikeMbr(sector0);
  if (mbrPlausible && hasProtectiveRecord(sector0)) {
    for (const sectorSize of candidates) {
      const lastLba = Math.floor(disk.size / sectorSize) - 1;
      if (lastLba > 1 && (await hasGptSignature(disk, lastLba, sectorSize))) {
        return finish(disk, 'gpt', sectorSize, await gptVolumes(disk, sectorSize, warnings), warnings);
      }
    }
    warnings.push({ code: 'BAD_TABLE', message: 'protective MBR (type 0xEE) but no GPT header found; showing the MBR', offset: 0 });
  }

  let sectorSize: number = options.sectorSize ?? 512;
  const whole = await detectFileSystem(disk);
  // A file system whose own first sector is sector 0 (a boot sector also ends in 0x55AA) rules out
  // an MBR. Other signatures (ext at 1080, swap, LVM, Btrfs) may be stray bytes in the gap after an
  // MBR (boot loaders live there), so a plausible MBR with partitions wins over them.
  if (mbrPlausible && !OWNS_SECTOR_ZERO.has(whole.fs)) {
    let mbrWarnings: GrtWarning[] = [];
    let partitions = await readMbr(disk, sector0, sectorSize, mbrWarnings);
    if (options.sectorSize === undefined && partitions.length > 0) {
      // An MBR does not say its sector size (a raw image of a 4Kn drive counts 4096-byte sectors):
      // 4096 is taken only when it finds more file systems at the partitions' starts than 512 does
      // (the layout's sectorSize says which was used).
      const found512 = await fileSystemsAt(disk, partitions, 512);
      const data512 = partitions.filter((p) => !isExtendedType(p.typeByte)).length;
      // Tried when some partition holds nothing known, or only an extended one was found (its
      // EBRs read at 512-byte offsets may be nothing at all).
      if (found512 < data512 || data512 === 0) {
        const warnings4096: GrtWarning[] = [];
        const partitions4096 = await readMbr(disk, sector0, 4096, warnings4096);
        if ((await fileSystemsAt(disk, partitions4096, 4096)) > found512) {
          sectorSize = 4096;
          partitions = partitions4096;
          mbrWarnings = warnings4096;
        }
      }
    }
    if (partitions.length > 0 || whole.fs === 'unknown') {
      if (whole.fs !== 'unknown') warnings.push({ code: 'BAD_TABLE', message: `MBR partitions found, ignoring a ${whole.fs} signature on the whole disk`, offset: 0 });
      warnings.push(...mbrWarnings);
      return finish(disk, 'mbr', sectorSize, partitions.map(mbrSkeleton), warnings);
    }
  }
  if (whole.fs === 'unknown') warnings.push({ code: 'NOT_FOUND', message: 'no partition table and no known file system at byte 0', offset: 0 });
  const volume: Volume = {
    id: '0',
    index: 0,
    scheme: 'none',
    start: 0,
    size: disk.size,
    type: '',
    typeName: 'whole disk',
    fs: whole.fs,
    source: new SliceSource(disk, 0, disk.size, 'whole disk'),
  };
  if (whole.label !== undefined) volume.label = whole.label;
  return { scheme: 'none', sectorSize, volumes: [volume], warnings };
}

/** How many of the (non-extended) partitions hold a known file system when sectors are `sectorSize` bytes. */
async function fileSystemsAt(disk: ByteSource, partitions: MbrPartition[], sectorSize: number): Promise<number> {
  let found = 0;
  for (const p of partitions) {
    const start = p.startSector * sectorSize;
    if (isExtendedType(p.typeByte) || start >= disk.size) continue;
    const size = Math.min(p.sectorCount * sectorSize, disk.size - start);
    if ((await detectFileSystem(new SliceSource(disk, start, size, `partition ${p.index}`))).fs !== 'unknown') found++;
  }
  return found;
}

function mbrSkeleton(p: MbrPartition): VolumeSkeleton {
  return {
    index: p.index,
    scheme: 'mbr',
    startSector: p.startSector,
    sectorCount: p.sectorCount,
    type: mbrTypeText(p.typeByte),
    typeName: mbrTypeName(p.typeByte),
    bootable: p.bootable,
    isContainer: isExtendedType(p.typeByte),
  };
}

async function gptVolumes(disk: ByteSource, sectorSize: number, warnings: GrtWarning[]): Promise<VolumeSkeleton[]> {
  const sector0 = await disk.read(0, Math.min(512, disk.size));
  if (!looksLikeMbr(sector0) || !hasProtectiveRecord(sector0)) {
    warnings.push({ code: 'BAD_TABLE', message: 'GPT without a protective MBR (type 0xEE); using the GPT', offset: 0 });
  }
  const partitions = await readGpt(disk, sectorSize, warnings);
  return partitions.map((p) => ({
    index: p.index,
    scheme: 'gpt',
    startSector: p.firstLba,
    sectorCount: p.lastLba - p.firstLba + 1,
    type: p.typeGuid,
    typeName: gptTypeName(p.typeGuid),
    name: p.name,
    guid: p.uniqueGuid,
    attributes: p.attributes,
    isContainer: false,
  }));
}

/** Clip to the disk, slice, and detect the file system of each partition. */
async function finish(
  disk: ByteSource,
  scheme: 'mbr' | 'gpt',
  sectorSize: number,
  skeletons: VolumeSkeleton[],
  warnings: GrtWarning[],
): Promise<VolumeLayout> {
  const volumes: Volume[] = [];
  const containers = new Set<Volume>(); // MBR extended partitions: they hold their logical ones
  for (const { startSector, sectorCount, isContainer, ...fields } of skeletons) {
    // NOTE: a hostile GPT LBA × 4096 may pass 2^53; the product is then inexact but still far past
    // the disk end, so the checks below leave it out or clip it to exact values.
    const start = startSector * sectorSize;
    let size = sectorCount * sectorSize;
    if (start >= disk.size) {
      warnings.push({ code: 'OUT_OF_RANGE', message: `partition ${fields.index} starts past the end of the disk (byte ${start}); left out`, offset: start });
      continue;
    }
    if (start + size > disk.size) {
      warnings.push({ code: 'OUT_OF_RANGE', message: `partition ${fields.index} reaches past the end of the disk; clipped from ${size} to ${disk.size - start} bytes`, offset: start });
      size = disk.size - start;
    }
    const source = new SliceSource(disk, start, size, `partition ${fields.index}`);
    const detected: Detected = isContainer ? { fs: 'unknown' } : await detectFileSystem(source);
    const { index, type, typeName, ...rest } = fields;
    const volume: Volume = { id: String(index), index, start, size, type, typeName, ...rest, fs: detected.fs, source };
    if (detected.label !== undefined) volume.label = detected.label;
    volumes.push(volume);
    if (isContainer) containers.add(volume);
  }
  warnOverlaps(volumes.filter((v) => !containers.has(v)), warnings);
  return { scheme, sectorSize, volumes, warnings };
}

/** Partitions sharing sectors are legal to read but usually mean a damaged or hand-edited table. */
function warnOverlaps(volumes: Volume[], warnings: GrtWarning[]): void {
  const byStart = [...volumes].sort((a, b) => a.start - b.start);
  let previous: Volume | undefined;
  for (const volume of byStart) {
    if (previous && volume.start < previous.start + previous.size) {
      warnings.push({ code: 'BAD_TABLE', message: `partitions ${previous.index} and ${volume.index} overlap`, offset: volume.start });
    }
    if (!previous || volume.start + volume.size > previous.start + previous.size) previous = volume;
  }
}
