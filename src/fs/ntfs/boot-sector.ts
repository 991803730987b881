/**
 * The NTFS boot sector ($Boot, sector 0 of the volume) and its backup in the volume's last sector.
 *
 * Sources: libyal libfsntfs "NTFS volume header" notes; the Linux ntfs3 driver documentation of
 * the boot sector fields; [MS-FSCC] for the meaning of the serial number.
 * NOTE: sectors per cluster > 0x80 means 2^(256 − value) sectors (clusters past 64 KiB); clusters
 * per record/index block as a signed byte < 0 means the size is 2^(−value) bytes.
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { toSafeNumber } from '../../util/safe-number.js';
import { Struct } from '../../util/struct.js';

/** The boot sector as far as reading the volume goes; the BIOS parameter block's rest is unused. */
export const NTFS_BOOT_SECTOR = new Struct('NTFS boot sector', 'libfsntfs, NTFS volume header')
  .skip(3, 'jump to the boot code')
  .bytes('oemId', 8, '"NTFS    "')
  .u16('bytesPerSector', 'sector size: a power of two, 256..4096')
  .u8('sectorsPerCluster', 'sectors per cluster, or 2^(256 − value) when above 0x80')
  .skip(22, 'reserved sectors, FAT-only fields, media descriptor, CHS geometry, hidden sectors')
  .skip(4, 'unused (0x00800080)')
  .u64('totalSectors', 'sectors in the volume, the backup boot sector excluded')
  .u64('mftLcn', 'first cluster of $MFT')
  .u64('mftMirrorLcn', 'first cluster of $MFTMirr')
  .u8('clustersPerMftRecord', 'MFT record size: clusters, or 2^(−value) bytes as a negative byte')
  .skip(3, 'unused')
  .u8('clustersPerIndexBlock', 'index block size, encoded as clustersPerMftRecord')
  .skip(3, 'unused')
  .u64('serialNumber', 'volume serial number')
  .u32('checksum', 'unused by Windows')
  .skip(426, 'boot code')
  .u16('signature', '0xAA55 (bytes 0x55 0xAA)');
const AT = NTFS_BOOT_SECTOR.offsets;

const STRUCTURE = 'NTFS boot sector';
/** Sector sizes NTFS is formatted with on real disks (512e and 4Kn included). */
const MIN_SECTOR = 256;
const MAX_SECTOR = 4096;
/** Largest cluster Windows formats (2 MiB, Windows 10 1709+). */
const MAX_CLUSTER = 2 * 1024 * 1024;
/** MFT records are 1 KiB or 4 KiB in practice; allow up to 64 KiB, never less than one fixup stride. */
const MIN_RECORD = 512;
const MAX_RECORD = 64 * 1024;
/** Index blocks are 4 KiB in practice; bound them the same way. */
const MAX_INDEX_BLOCK = 64 * 1024;

export interface BootSector {
  sectorSize: number;
  clusterSize: number;
  /** Clusters in the volume (total sectors / sectors per cluster). */
  clusterCount: number;
  /** Bytes covered by the volume according to the boot sector. */
  volumeSize: number;
  mftLcn: number;
  mftMirrorLcn: number;
  recordSize: number;
  indexBlockSize: number;
  /** Volume serial number as 16 upper-case hex digits, as `fsstat` and `vol` print it. */
  serial: string;
}

function isPowerOfTwo(value: number): boolean {
  return value > 0 && (value & (value - 1)) === 0;
}

/** Size in bytes from a clusters-per-record/index-block byte: positive = clusters, negative = 2^−n bytes. */
function sizeFromClusterByte(raw: number, clusterSize: number): number {
  const signed = raw >= 0x80 ? raw - 0x100 : raw;
  if (signed < 0) return -signed <= 30 ? 2 ** -signed : -1;
  return signed * clusterSize;
}

/** Parse one 512-byte boot sector image; throws GrtError when it is not a usable NTFS boot sector. */
export function parseBootSector(bytes: Uint8Array, offset = 0): BootSector {
  if (bytes.length < 512) throw new GrtError('TRUNCATED', 'boot sector shorter than 512 bytes', { structure: STRUCTURE, offset, space: 'volume' });
  const boot = NTFS_BOOT_SECTOR.decode(bytes, 0, offset, 'volume');
  const oem = String.fromCharCode(...boot.oemId);
  if (oem !== 'NTFS    ') throw new GrtError('BAD_MAGIC', 'not an NTFS boot sector', { structure: STRUCTURE, offset, space: 'volume', expected: 'NTFS    ', actual: oem });
  if (boot.signature !== 0xaa55) {
    throw new GrtError('BAD_MAGIC', 'boot sector signature missing', { structure: STRUCTURE, offset: offset + AT.signature, space: 'volume' });
  }
  const sectorSize = boot.bytesPerSector;
  if (!isPowerOfTwo(sectorSize) || sectorSize < MIN_SECTOR || sectorSize > MAX_SECTOR) {
    throw new GrtError('BAD_HEADER', 'bytes per sector out of range', { structure: STRUCTURE, offset: offset + AT.bytesPerSector, space: 'volume', actual: sectorSize });
  }
  const spcByte = boot.sectorsPerCluster;
  const sectorsPerCluster = spcByte > 0x80 ? (256 - spcByte <= 31 ? 2 ** (256 - spcByte) : 0) : spcByte;
  const clusterSize = sectorsPerCluster * sectorSize;
  if (!isPowerOfTwo(sectorsPerCluster) || clusterSize > MAX_CLUSTER) {
    throw new GrtError('BAD_HEADER', 'sectors per cluster out of range', { structure: STRUCTURE, offset: offset + AT.sectorsPerCluster, space: 'volume', actual: spcByte });
  }
  const details = { structure: STRUCTURE, offset, space: 'volume' } as const;
  const totalSectors = toSafeNumber(boot.totalSectors, 'total sectors', details);
  const clusterCount = Math.floor(totalSectors / sectorsPerCluster);
  const mftLcn = toSafeNumber(boot.mftLcn, '$MFT LCN', details);
  const mftMirrorLcn = toSafeNumber(boot.mftMirrorLcn, '$MFTMirr LCN', details);
  if (clusterCount === 0 || mftLcn >= clusterCount) {
    throw new GrtError('BAD_HEADER', '$MFT cluster outside the volume', { ...details, expected: clusterCount, actual: mftLcn });
  }
  const recordSize = sizeFromClusterByte(boot.clustersPerMftRecord, clusterSize);
  if (!isPowerOfTwo(recordSize) || recordSize < MIN_RECORD || recordSize > MAX_RECORD) {
    throw new GrtError('BAD_HEADER', 'MFT record size out of range', { structure: STRUCTURE, offset: offset + AT.clustersPerMftRecord, space: 'volume', actual: recordSize });
  }
  const indexBlockSize = sizeFromClusterByte(boot.clustersPerIndexBlock, clusterSize);
  if (!isPowerOfTwo(indexBlockSize) || indexBlockSize < MIN_RECORD || indexBlockSize > MAX_INDEX_BLOCK) {
    throw new GrtError('BAD_HEADER', 'index block size out of range', { structure: STRUCTURE, offset: offset + AT.clustersPerIndexBlock, space: 'volume', actual: indexBlockSize });
  }
  const serial = boot.serialNumber.toString(16).padStart(16, '0').toUpperCase();
  return {
    sectorSize,
    clusterSize,
    clusterCount,
    volumeSize: clusterCount * clusterSize,
    mftLcn,
    mftMirrorLcn,
    recordSize,
    indexBlockSize,
    serial,
  };
}

/**
 * The primary boot sector, or the backup in the last sector of the source when the primary is
 * damaged (with a warning). Tries the backup for both 512- and 4096-byte sectors.
 */
export async function readBootSector(source: ByteSource, warnings: GrtWarning[]): Promise<BootSector> {
  if (source.size < 512) throw new GrtError('TRUNCATED', 'volume smaller than one sector', { structure: STRUCTURE, offset: 0, space: 'volume', actual: source.size });
  let primaryError: GrtError;
  try {
    return checkFits(parseBootSector(await source.read(0, 512)), source);
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    primaryError = error;
  }
  for (const sector of [512, 4096]) {
    const offset = source.size - sector;
    if (offset <= 0) continue;
    try {
      const boot = checkFits(parseBootSector(await source.read(offset, 512), offset), source, offset);
      warnings.push({ code: primaryError.code, message: `primary boot sector unusable (${primaryError.message}); using the backup at byte ${offset}`, offset: 0 });
      return boot;
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
    }
  }
  throw primaryError;
}

/** `offset`: where the boot sector read lies in the volume (the backup's is near the end). */
function checkFits(boot: BootSector, source: ByteSource, offset = 0): BootSector {
  if ((boot.mftLcn + 1) * boot.clusterSize > source.size) {
    throw new GrtError('BAD_HEADER', '$MFT lies past the end of the source', { structure: STRUCTURE, offset: offset + AT.mftLcn, space: 'volume', expected: source.size, actual: boot.mftLcn * boot.clusterSize });
  }
  return boot;
}
