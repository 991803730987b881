/**
 * File-system identification by on-disk signature, with the label where it sits in the first blocks.
 * Sources: Microsoft FAT specification 1.03 §3.1–3.5 (BPB, FAT type by cluster count); Microsoft
 * exFAT specification §3.1 (main boot sector) and §7.3 (volume label directory entry); libyal's
 * NTFS, ReFS and BitLocker format documents (OEM ids at byte 3); the ext4 disk layout wiki
 * (superblock at 1024, magic 0xEF53, feature flags); XFS on-disk format §superblock ("XFSB");
 * Btrfs on-disk format (superblock at 64 KiB, magic at +0x40); LUKS1/LUKS2 on-disk format specs;
 * Linux swap header (mm/swapfile: "SWAPSPACE2" in the last 10 bytes of the first page); LVM2
 * label header ("LABELONE" in one of sectors 0–3, type "LVM2 001").
 */
import { GrtError } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import type { FsKind } from './types.js';

/** Bytes read from the start of a volume: covers every signature below except Btrfs and big-page swap. */
const HEAD_BYTES = 8192;
/** Btrfs primary superblock (64 KiB) and its magic, 0x40 bytes in. */
const BTRFS_SUPERBLOCK = 0x10000;
const BTRFS_MAGIC_OFFSET = BTRFS_SUPERBLOCK + 0x40;
const BTRFS_LABEL_OFFSET = BTRFS_SUPERBLOCK + 0x12b;
/** Page sizes a Linux swap header may have been written for; the signature ends the first page. */
const SWAP_PAGE_SIZES = [4096, 8192, 16384, 65536];
/** ext superblock at 1024 (ext4 wiki "The Super Block"). */
const EXT_SUPERBLOCK = 1024;
/** s_log_block_size: blocks are 1024 << n bytes, at most 64 KiB (ext4 wiki "The Super Block"). */
const EXT_MAX_LOG_BLOCK_SIZE = 6;
/** exFAT root directory bytes scanned for the label entry: it is normally among the first few. */
const EXFAT_ROOT_SCAN_BYTES = 4096;
/** FAT spec §3.5: fewer clusters than this is FAT12, fewer than the next is FAT16. */
const FAT12_MAX_CLUSTERS = 4085;
const FAT16_MAX_CLUSTERS = 65525;

export interface Detected {
  fs: FsKind;
  label?: string;
  /**
   * Other file systems whose signatures the volume also holds (one formatted over another without
   * wiping it), in order of precedence; `fs` is the first found. blkid calls such a volume ambivalent.
   */
  alternatives?: Detected[];
}

const ascii = (bytes: Uint8Array, at: number, length: number) =>
  at + length <= bytes.length ? String.fromCharCode(...bytes.subarray(at, at + length)) : '';

/** A space/NUL-padded fixed-width label; undefined when empty. */
function paddedLabel(bytes: Uint8Array, at: number, length: number, encoding: 'latin1' | 'utf-8' = 'latin1'): string | undefined {
  if (at + length > bytes.length) return undefined;
  const field = bytes.subarray(at, at + length);
  const nul = field.indexOf(0);
  const text = new TextDecoder(encoding).decode(nul === -1 ? field : field.subarray(0, nul)).trimEnd();
  return text === '' ? undefined : text;
}

async function readBounded(source: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  if (offset >= source.size) return new Uint8Array(0);
  return source.read(offset, Math.min(length, source.size - offset));
}

/**
 * Which file system a volume holds, by signature. Never throws for small or odd volumes: they are
 * 'unknown'. Every signature is looked for; when several match, `prefer` (if among them) is the
 * one reported, else the first in this file's order, and the rest are `alternatives`.
 */
export async function detectFileSystem(source: ByteSource, prefer?: FsKind): Promise<Detected> {
  let found: Detected[];
  try {
    found = await detectAll(source);
  } catch (error) {
    if (error instanceof GrtError) return { fs: 'unknown' };
    throw error;
  }
  const chosen = found.find((d) => d.fs === prefer) ?? found[0];
  if (!chosen) return { fs: 'unknown' };
  const alternatives = found.filter((d) => d !== chosen);
  return alternatives.length > 0 ? { ...chosen, alternatives } : chosen;
}

/** Every signature the volume holds, in precedence order (sector-0 boot sectors first). */
async function detectAll(source: ByteSource): Promise<Detected[]> {
  const head = await readBounded(source, 0, HEAD_BYTES);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const found: Detected[] = [];
  const oemId = ascii(head, 3, 8);
  if (oemId === 'NTFS    ') found.push({ fs: 'ntfs' }); // label needs $Volume in the MFT: left to the NTFS reader
  if (oemId === 'EXFAT   ') found.push(withLabel('exfat', await exfatLabel(source, view)));
  if (oemId.startsWith('ReFS')) found.push({ fs: 'refs' });
  if (oemId === '-FVE-FS-') found.push({ fs: 'bitlocker' });
  if (ascii(head, 0, 4) === 'XFSB') found.push(withLabel('xfs', paddedLabel(head, 108, 12)));
  if (ascii(head, 0, 6) === 'LUKS\xba\xbe') found.push(withLabel('luks', head.length >= 72 && view.getUint16(6, false) === 2 ? paddedLabel(head, 24, 48, 'utf-8') : undefined));
  for (let sector = 0; sector < 4; sector++) {
    if (ascii(head, sector * 512, 8) === 'LABELONE' && ascii(head, sector * 512 + 24, 8) === 'LVM2 001') {
      found.push({ fs: 'lvm2' });
      break;
    }
  }
  if (head.length >= EXT_SUPERBLOCK + 0x88 && view.getUint16(EXT_SUPERBLOCK + 56, true) === 0xef53 && view.getUint32(EXT_SUPERBLOCK + 24, true) <= EXT_MAX_LOG_BLOCK_SIZE) {
    found.push(withLabel(extKind(view), paddedLabel(head, EXT_SUPERBLOCK + 0x78, 16, 'utf-8')));
  }
  const btrfs = await readBounded(source, BTRFS_MAGIC_OFFSET, 8);
  if (ascii(btrfs, 0, 8) === '_BHRfS_M') {
    const label = await readBounded(source, BTRFS_LABEL_OFFSET, 256);
    found.push(withLabel('btrfs', paddedLabel(label, 0, label.length, 'utf-8')));
  }
  for (const pageSize of SWAP_PAGE_SIZES) {
    const tail = pageSize <= head.length ? head.subarray(pageSize - 10, pageSize) : await readBounded(source, pageSize - 10, 10);
    const magic = ascii(tail, 0, 10);
    if (magic === 'SWAPSPACE2' || magic === 'SWAP-SPACE') {
      found.push(withLabel('swap', paddedLabel(head, 1024 + 28, 16, 'utf-8')));
      break;
    }
  }
  const fat = fatKind(view, source.size);
  if (fat) {
    // The extended BPB (boot signature 0x29) holds the label: at 0x26/0x2B, or 0x42/0x47 on FAT32.
    const [signatureAt, labelAt] = fat === 'fat32' ? [0x42, 0x47] : [0x26, 0x2b];
    found.push(withLabel(fat, head[signatureAt] === 0x29 ? paddedLabel(head, labelAt, 11) : undefined));
  }
  return found;
}

function withLabel(fs: FsKind, label: string | undefined): Detected {
  return label === undefined || label === 'NO NAME' ? { fs } : { fs, label };
}

/**
 * ext2/3/4 as blkid tells them apart (util-linux libblkid superblocks/ext.c): ext4 when any
 * incompat or ro_compat feature lies outside ext3's set, else ext3 with a journal, else ext2.
 * ext3's set (ext4 wiki, s_feature_*): ro_compat sparse_super 0x1, large_file 0x2, btree_dir 0x4
 * (mke2fs sets large_file on ext2 too); incompat filetype 0x2, recover 0x4, meta_bg 0x10.
 */
function extKind(view: DataView): FsKind {
  const compat = view.getUint32(EXT_SUPERBLOCK + 0x5c, true);
  const incompat = view.getUint32(EXT_SUPERBLOCK + 0x60, true);
  const roCompat = view.getUint32(EXT_SUPERBLOCK + 0x64, true);
  const EXT3_RO_COMPAT = 0x7;
  const EXT3_INCOMPAT = 0x16;
  if ((incompat & ~EXT3_INCOMPAT) !== 0 || (roCompat & ~EXT3_RO_COMPAT) !== 0) return 'ext4';
  const HAS_JOURNAL = 0x4;
  return (compat & HAS_JOURNAL) !== 0 ? 'ext3' : 'ext2';
}

/** BPB fields (FAT spec §3.1–3.3). */
const BPB = {
  bytesPerSector: 11, // u16: 512, 1024, 2048 or 4096
  sectorsPerCluster: 13, // u8: power of two ≤ 128
  reservedSectorCount: 14, // u16: ≥ 1
  numberOfFats: 16, // u8: 1 or 2 in practice
  rootEntryCount: 17, // u16: 0 on FAT32
  totalSectors16: 19, // u16
  media: 21, // u8: 0xF0 or 0xF8–0xFF
  fatSize16: 22, // u16: 0 on FAT32
  totalSectors32: 32, // u32
  fatSize32: 36, // u32 (FAT32 only)
  fat32FsType: 0x52, // 8 bytes "FAT32   " (informational)
} as const;

/**
 * FAT12/16/32 when the BPB is sane; the type follows the spec's cluster-count rule (§3.5).
 * NOTE: a BPB with FATSz16 = 0 and "FAT32   " is FAT32 whatever its cluster count: mkfs.fat makes
 * small FAT32 volumes that way and Linux reads them as FAT32 (the spec rule would call them FAT16).
 */
function fatKind(view: DataView, volumeBytes: number): FsKind | undefined {
  if (view.byteLength < 512 || view.getUint8(510) !== 0x55 || view.getUint8(511) !== 0xaa) return undefined;
  const jump = view.getUint8(0);
  if (jump !== 0xeb && jump !== 0xe9) return undefined;
  const bytesPerSector = view.getUint16(BPB.bytesPerSector, true);
  const sectorsPerCluster = view.getUint8(BPB.sectorsPerCluster);
  const reserved = view.getUint16(BPB.reservedSectorCount, true);
  const fats = view.getUint8(BPB.numberOfFats);
  const media = view.getUint8(BPB.media);
  const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;
  if (![512, 1024, 2048, 4096].includes(bytesPerSector) || !isPowerOfTwo(sectorsPerCluster) || sectorsPerCluster > 128) return undefined;
  if (reserved < 1 || fats < 1 || fats > 4 || (media !== 0xf0 && media < 0xf8)) return undefined;
  const rootEntries = view.getUint16(BPB.rootEntryCount, true);
  const fatSize16 = view.getUint16(BPB.fatSize16, true);
  const fatSectors = fatSize16 !== 0 ? fatSize16 : view.getUint32(BPB.fatSize32, true);
  const total16 = view.getUint16(BPB.totalSectors16, true);
  const totalSectors = total16 !== 0 ? total16 : view.getUint32(BPB.totalSectors32, true);
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const dataSectors = totalSectors - (reserved + fats * fatSectors + rootDirSectors);
  if (fatSectors === 0 || dataSectors <= 0) return undefined;
  // A BPB claiming far more than the volume holds is more likely random boot code than a FAT.
  if (totalSectors * bytesPerSector > volumeBytes * 2 + 1024 * 1024) return undefined;
  if (fatSize16 === 0 && ascii(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), BPB.fat32FsType, 8) === 'FAT32   ') return 'fat32';
  const clusters = Math.floor(dataSectors / sectorsPerCluster);
  if (clusters < FAT12_MAX_CLUSTERS) return 'fat12';
  if (clusters < FAT16_MAX_CLUSTERS) return 'fat16';
  return 'fat32';
}

/** exFAT main boot sector fields (exFAT spec §3.1). */
const EXFAT = {
  clusterHeapOffset: 88, // u32: sectors
  firstClusterOfRootDirectory: 96, // u32
  bytesPerSectorShift: 108, // u8: 9..12
  sectorsPerClusterShift: 109, // u8: ≤ 25 − bytesPerSectorShift
} as const;
const EXFAT_LABEL_ENTRY = 0x83; // Volume Label directory entry, in use (§7.3)

async function exfatLabel(source: ByteSource, view: DataView): Promise<string | undefined> {
  if (view.byteLength < 512) return undefined;
  const sectorShift = view.getUint8(EXFAT.bytesPerSectorShift);
  const clusterShift = view.getUint8(EXFAT.sectorsPerClusterShift);
  if (sectorShift < 9 || sectorShift > 12 || clusterShift > 25 - sectorShift) return undefined;
  const rootCluster = view.getUint32(EXFAT.firstClusterOfRootDirectory, true);
  if (rootCluster < 2) return undefined;
  const rootOffset = view.getUint32(EXFAT.clusterHeapOffset, true) * 2 ** sectorShift + (rootCluster - 2) * 2 ** (sectorShift + clusterShift);
  const root = await readBounded(source, rootOffset, Math.min(EXFAT_ROOT_SCAN_BYTES, 2 ** (sectorShift + clusterShift)));
  for (let at = 0; at + 32 <= root.length; at += 32) {
    const entryType = root[at]!;
    if (entryType === 0) break; // end of directory
    if (entryType !== EXFAT_LABEL_ENTRY) continue;
    const characters = Math.min(root[at + 1]!, 11);
    return new TextDecoder('utf-16le').decode(root.subarray(at + 2, at + 2 + characters * 2)) || undefined;
  }
  return undefined;
}
