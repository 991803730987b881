/**
 * The ext2/ext3/ext4 superblock: 1024 bytes at byte 1024 of the volume, with backups at the start
 * of groups 1 and the powers of 3, 5 and 7 when sparse_super is set (every group otherwise).
 *
 * Source: the kernel's "ext4 Data Structures and Algorithms", section "Super Block" (field
 * offsets below), "Block Groups" (sparse_super), "Checksums"; blkid's ext probe for telling
 * ext2/ext3/ext4 apart.
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import { crc32cRaw } from '../../util/crc32c.js';

const STRUCTURE = 'ext superblock';
export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;
const EXT_MAGIC = 0xef53;
/** Block sizes 1 KiB (log 0) to 64 KiB (log 6): the range the kernel and e2fsprogs accept. */
const MAX_LOG_BLOCK_SIZE = 6;
/** Inode sizes: 128 bytes (rev 0) up to the block size (the kernel refuses larger ones). */
const MIN_INODE_SIZE = 128;
/** Group descriptors are 32 bytes, or s_desc_size (≥ 64, a power of two, ≤ 1024) with 64bit. */
const MAX_DESC_SIZE = 1024;

export const COMPAT = { hasJournal: 0x4, extAttr: 0x8, dirIndex: 0x20, sparseSuper2: 0x200 } as const;
export const INCOMPAT = {
  compression: 0x1, filetype: 0x2, recover: 0x4, journalDev: 0x8, metaBg: 0x10, extents: 0x40, is64bit: 0x80,
  mmp: 0x100, flexBg: 0x200, eaInode: 0x400, dirData: 0x1000, csumSeed: 0x2000, largeDir: 0x4000,
  inlineData: 0x8000, encrypt: 0x10000, casefold: 0x20000,
} as const;
export const RO_COMPAT = {
  sparseSuper: 0x1, largeFile: 0x2, btreeDir: 0x4, hugeFile: 0x8, gdtCsum: 0x10, dirNlink: 0x20,
  extraIsize: 0x40, quota: 0x100, bigalloc: 0x200, metadataCsum: 0x400,
} as const;
/** Features an ext3 volume may have (blkid: anything else makes it ext4). */
const EXT3_INCOMPAT = INCOMPAT.filetype | INCOMPAT.recover | INCOMPAT.metaBg;
const EXT3_RO_COMPAT = RO_COMPAT.sparseSuper | RO_COMPAT.largeFile | RO_COMPAT.btreeDir;
/** Incompatible features whose data grt cannot decode: refuse rather than show wrong bytes. */
const REFUSED_INCOMPAT = INCOMPAT.compression | INCOMPAT.journalDev | INCOMPAT.dirData;

export interface Superblock {
  inodeCount: number;
  blockCount: number;
  firstDataBlock: number;
  blockSize: number;
  blocksPerGroup: number;
  inodesPerGroup: number;
  inodeSize: number;
  /** Bytes of a group descriptor (32, or s_desc_size with 64bit). */
  descSize: number;
  groupCount: number;
  revLevel: number;
  firstInode: number;
  featureCompat: number;
  featureIncompat: number;
  featureRoCompat: number;
  /** Lower-case dashed hex, as blkid prints it. */
  uuid: string;
  uuidBytes: Uint8Array;
  label: string;
  lastMounted: string;
  journalInode: number;
  firstMetaBg: number;
  /** Seed of metadata checksums: crc32c over the UUID, or s_checksum_seed with csum_seed. */
  checksumSeed: number;
  /** `ext2`, `ext3` or `ext4`, as blkid tells them apart. */
  version: 'ext2' | 'ext3' | 'ext4';
  /** Seconds since 1970 of mkfs and last write (0 when never). */
  mkfsTime: number;
  writeTime: number;
}

function text(bytes: Uint8Array, at: number, length: number): string {
  const field = bytes.subarray(at, at + length);
  const end = field.indexOf(0);
  return new TextDecoder('utf-8').decode(end < 0 ? field : field.subarray(0, end));
}

function uuidText(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function extVersion(compat: number, incompat: number, roCompat: number): Superblock['version'] {
  if ((incompat & ~EXT3_INCOMPAT) !== 0 || (roCompat & ~EXT3_RO_COMPAT) !== 0) return 'ext4';
  return compat & COMPAT.hasJournal ? 'ext3' : 'ext2';
}

/**
 * Parse the 1024 superblock bytes (`offset` = where they were read, for errors). Checks the fields
 * every later computation depends on; a metadata_csum mismatch is a warning pushed to `warnings`.
 */
export function parseSuperblock(bytes: Uint8Array, volumeSize: number, offset: number, warnings: GrtWarning[] = []): Superblock {
  if (bytes.length < SUPERBLOCK_SIZE) throw new GrtError('TRUNCATED', 'superblock shorter than 1024 bytes', { structure: STRUCTURE, offset, space: 'volume' });
  const details = { structure: STRUCTURE, offset, space: 'volume' } as const;
  const magic = u16le(bytes, 0x38);
  if (magic !== EXT_MAGIC) throw new GrtError('BAD_MAGIC', 'not an ext superblock', { ...details, expected: EXT_MAGIC, actual: magic });
  const logBlockSize = u32le(bytes, 0x18);
  if (logBlockSize > MAX_LOG_BLOCK_SIZE) throw new GrtError('BAD_HEADER', 'block size out of range', { ...details, actual: logBlockSize });
  const blockSize = 1024 << logBlockSize;
  const featureCompat = u32le(bytes, 0x5c);
  const featureIncompat = u32le(bytes, 0x60);
  const featureRoCompat = u32le(bytes, 0x64);
  const revLevel = u32le(bytes, 0x4c);
  const is64 = (featureIncompat & INCOMPAT.is64bit) !== 0;
  const blockCount = u32le(bytes, 0x04) + (is64 ? u32le(bytes, 0x150) * 0x1_0000_0000 : 0);
  const firstDataBlock = u32le(bytes, 0x14);
  const blocksPerGroup = u32le(bytes, 0x20);
  const inodesPerGroup = u32le(bytes, 0x28);
  const inodeCount = u32le(bytes, 0x00);
  const inodeSize = revLevel === 0 ? 128 : u16le(bytes, 0x58);
  const firstInode = revLevel === 0 ? 11 : u32le(bytes, 0x54);
  const descSize = is64 ? u16le(bytes, 0xfe) : 32;
  const bad = (what: string, actual: unknown): never => {
    throw new GrtError('BAD_HEADER', what, { ...details, actual });
  };
  if (featureIncompat & REFUSED_INCOMPAT) {
    throw new GrtError('UNSUPPORTED', 'ext feature grt cannot read (compression, external journal device or dirdata)', { ...details, actual: featureIncompat });
  }
  // Block numbers times block size must stay exact numbers; the volume must hold block 0's group.
  if (blockCount === 0 || !Number.isSafeInteger(blockCount * blockSize)) bad('block count out of range', blockCount);
  // 1 for 1 KiB blocks (the superblock's own block), else 0.
  if (firstDataBlock > 1 || firstDataBlock >= blockCount) bad('first data block out of range', firstDataBlock);
  // A group's block bitmap is one block: at most 8 × block size blocks per group.
  if (blocksPerGroup === 0 || blocksPerGroup > 8 * blockSize) bad('blocks per group out of range', blocksPerGroup);
  if (inodesPerGroup === 0 || inodesPerGroup > 8 * blockSize) bad('inodes per group out of range', inodesPerGroup);
  if (inodeSize < MIN_INODE_SIZE || inodeSize > blockSize || (inodeSize & (inodeSize - 1)) !== 0) bad('inode size out of range', inodeSize);
  if (descSize < 32 || descSize > MAX_DESC_SIZE || (descSize & (descSize - 1)) !== 0 || (is64 && descSize < 64)) bad('group descriptor size out of range', descSize);
  const groupCount = Math.ceil((blockCount - firstDataBlock) / blocksPerGroup);
  if (inodeCount === 0 || inodeCount > groupCount * inodesPerGroup) bad('inode count out of range', inodeCount);
  if (firstInode < 11 || firstInode > inodeCount) bad('first inode out of range', firstInode);
  if (blockCount * blockSize > volumeSize) {
    warnings.push({ code: 'TRUNCATED', message: `ext volume is ${blockCount * blockSize} bytes by its superblock, ${volumeSize} on disk`, offset });
  }
  const uuidBytes = bytes.slice(0x68, 0x78);
  const metadataCsum = (featureRoCompat & RO_COMPAT.metadataCsum) !== 0;
  if (metadataCsum) {
    const stored = u32le(bytes, 0x3fc);
    const computed = crc32cRaw(0xffffffff, bytes.subarray(0, 0x3fc));
    if (stored !== computed) warnings.push({ code: 'BAD_CHECKSUM', message: `ext superblock checksum ${stored} does not match ${computed}`, offset: offset + 0x3fc });
  }
  const checksumSeed = featureIncompat & INCOMPAT.csumSeed ? u32le(bytes, 0x270) : crc32cRaw(0xffffffff, uuidBytes);
  return {
    inodeCount, blockCount, firstDataBlock, blockSize, blocksPerGroup, inodesPerGroup, inodeSize, descSize, groupCount,
    revLevel, firstInode, featureCompat, featureIncompat, featureRoCompat,
    uuid: uuidText(uuidBytes), uuidBytes, label: text(bytes, 0x78, 16), lastMounted: text(bytes, 0x88, 64),
    journalInode: featureCompat & COMPAT.hasJournal ? u32le(bytes, 0xe0) : 0,
    firstMetaBg: u32le(bytes, 0x104), checksumSeed,
    version: extVersion(featureCompat, featureIncompat, featureRoCompat),
    mkfsTime: u32le(bytes, 0x108), writeTime: u32le(bytes, 0x30),
  };
}

/** True when group `group` holds a superblock backup (and a group descriptor table copy). */
export function groupHasSuperblock(sb: Pick<Superblock, 'featureRoCompat'>, group: number): boolean {
  if (group <= 1 || (sb.featureRoCompat & RO_COMPAT.sparseSuper) === 0) return true;
  if (group % 2 === 0) return false;
  for (const base of [3, 5, 7]) {
    let power = base;
    while (power < group) power *= base;
    if (power === group) return true;
  }
  return false;
}

/** Block sizes a backup superblock is looked for with: every ext block size, 1 KiB to 64 KiB (s_log_block_size 0–6). */
export const BACKUP_BLOCK_SIZES = [1024, 2048, 4096, 8192, 16384, 32768, 65536];
/**
 * mke2fs's cap on blocks per group (e2fsprogs EXT2_MAX_BLOCKS_PER_GROUP, 2^16 − 8): ext2's group
 * descriptor counts free blocks in 16 bits. Below 8 KiB blocks the block bitmap (8 × block size
 * bits) is the tighter bound; from 8 KiB on, groups are 65528 blocks, so group 1 of a 64 KiB-block
 * volume starts at 4 GiB.
 */
const MAX_DEFAULT_BLOCKS_PER_GROUP = 65528;
/** Backups tried per geometry: groups 1, 3, 5, 7, 9, 25, 27, 49 (sparse_super), enough for a damaged start. */
const BACKUPS_PER_GEOMETRY = 8;

/** Volume byte offsets of the backup superblocks to try when the primary is damaged, for a block size. */
export function backupSuperblockOffsets(blockSize: number, blocksPerGroup: number, groupLimit: number): number[] {
  const firstDataBlock = blockSize === 1024 ? 1 : 0;
  const offsets: number[] = [];
  for (let group = 1; group < groupLimit && offsets.length < BACKUPS_PER_GEOMETRY; group++) {
    if (groupHasSuperblock({ featureRoCompat: RO_COMPAT.sparseSuper }, group)) {
      offsets.push((firstDataBlock + group * blocksPerGroup) * blockSize);
    }
  }
  return offsets;
}

/**
 * Where backup superblocks may be, as e2fsck looks for them: for each block size, the groups of
 * mke2fs's default geometry (blocks per group = 8 × block size, capped at 65528), then of the
 * uncapped one (the kernel allows 8 × block size); only offsets inside `volumeBytes`.
 */
export function backupSuperblockCandidates(volumeBytes: number): { blockSize: number; offset: number }[] {
  const candidates: { blockSize: number; offset: number }[] = [];
  for (const blockSize of BACKUP_BLOCK_SIZES) {
    const geometries = new Set([Math.min(8 * blockSize, MAX_DEFAULT_BLOCKS_PER_GROUP), 8 * blockSize]);
    for (const blocksPerGroup of geometries) {
      const groups = Math.ceil(volumeBytes / (blocksPerGroup * blockSize));
      for (const offset of backupSuperblockOffsets(blockSize, blocksPerGroup, groups)) {
        if (offset + SUPERBLOCK_SIZE <= volumeBytes) candidates.push({ blockSize, offset });
      }
    }
  }
  return candidates;
}
