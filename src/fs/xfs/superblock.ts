/**
 * The XFS superblock (xfs_dsb, XFS Algorithms & Data Structures "Superblocks"): big-endian, at
 * byte 0 of the volume (the primary copy, in AG 0's first sector). Everything else is located
 * through its geometry: block size, AG size and count, inode size and the log2 shifts that split
 * an inode number into (AG, block, slot).
 */
import { GrtError } from '../../errors.js';

export const SUPERBLOCK_SIZE = 512;
const XFS_SB_MAGIC = 0x58465342; // 'XFSB'
/** The version number's low nibble (XFS_SB_VERSION_NUMBITS). */
const VERSION_NUMBITS = 0x000f;
/** v4 features2: the directory entries carry a file type byte (XFS_SB_VERSION2_FTYPE). */
const V2_FTYPE = 0x00000200;
/** v5 incompat features the reader knows (XFS_SB_FEAT_INCOMPAT_*). */
export const INCOMPAT = { ftype: 0x1, spinodes: 0x2, metaUuid: 0x4, bigtime: 0x8, needsRepair: 0x10, nrext64: 0x20 } as const;
const KNOWN_INCOMPAT = 0x3f;
/** sb_meta_uuid's offset (xfs_dsb, after sb_lsn). */
const META_UUID_OFFSET = 248;
/** Block sizes mkfs.xfs allows (512 B … 64 KiB). */
const MIN_BLOCK_LOG = 9;
const MAX_BLOCK_LOG = 16;
/** Inode sizes XFS allows (256 … 2048 bytes; 256-byte v4 inodes are the smallest). */
const MIN_INODE_LOG = 8;
const MAX_INODE_LOG = 11;

export interface Superblock {
  blockSize: number;
  blockLog: number;
  blockCount: number;
  uuid: string;
  /**
   * The UUID v5 metadata blocks are stamped with: sb_meta_uuid when the metaUuid feature is set
   * (the user-visible UUID was changed after mkfs), else sb_uuid (xfs_format.h sb_meta_uuid).
   */
  metaUuid: string;
  logStart: number;
  logBlocks: number;
  rootInode: number;
  agBlocks: number;
  agCount: number;
  agBlockLog: number;
  sectorSize: number;
  inodeSize: number;
  inodesPerBlockLog: number;
  label: string;
  /** 4 or 5 (v5 = CRC-enabled metadata). */
  version: number;
  hasCrc: boolean;
  hasFtype: boolean;
  bigtime: boolean;
  /** Directory block size in bytes (blockSize << sb_dirblklog). */
  dirBlockSize: number;
  incompat: number;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function formatUuid(bytes: Uint8Array): string {
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function bad(detail: string): GrtError {
  return new GrtError('BAD_HEADER', `XFS superblock: ${detail}`, { structure: 'xfs superblock', offset: 0, space: 'volume' });
}

/** Parse and sanity-check the superblock from its first 512 bytes. */
export function parseSuperblock(bytes: Uint8Array, volumeSize: number): Superblock {
  if (bytes.length < SUPERBLOCK_SIZE) throw new GrtError('TRUNCATED', 'XFS superblock shorter than 512 bytes', { structure: 'xfs superblock', offset: 0, space: 'volume' });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== XFS_SB_MAGIC) throw new GrtError('BAD_MAGIC', 'no XFSB superblock magic', { structure: 'xfs superblock', offset: 0, space: 'volume' });
  const blockSize = view.getUint32(4);
  const blockLog = bytes[120]!;
  if (blockLog < MIN_BLOCK_LOG || blockLog > MAX_BLOCK_LOG || blockSize !== 2 ** blockLog) throw bad(`block size ${blockSize} (log ${blockLog})`);
  const inodeSize = view.getUint16(104);
  const inodeLog = bytes[122]!;
  if (inodeLog < MIN_INODE_LOG || inodeLog > MAX_INODE_LOG || inodeSize !== 2 ** inodeLog || inodeSize > blockSize) throw bad(`inode size ${inodeSize}`);
  const inodesPerBlockLog = bytes[123]!;
  if (inodesPerBlockLog !== blockLog - inodeLog) throw bad(`inodes per block log ${inodesPerBlockLog}`);
  const agBlocks = view.getUint32(84);
  const agCount = view.getUint32(88);
  const agBlockLog = bytes[124]!;
  // sb_agblklog is log2 of agblocks rounded up: an AG-relative block number fits in it.
  if (agBlocks < 1 || agBlockLog > 31 || agBlocks > 2 ** agBlockLog || agBlocks <= 2 ** (agBlockLog - 1) || agCount < 1) throw bad(`AG geometry ${agCount} × ${agBlocks}`);
  const blockCount = Number(view.getBigUint64(8));
  if (!Number.isSafeInteger(blockCount * blockSize)) throw bad(`block count ${blockCount}`);
  const versionNumber = view.getUint16(100);
  const version = versionNumber & VERSION_NUMBITS;
  if (version !== 4 && version !== 5) throw new GrtError('UNSUPPORTED', `XFS superblock version ${version}`, { structure: 'xfs superblock' });
  const hasCrc = version === 5;
  const incompat = hasCrc ? view.getUint32(216) : 0;
  if (incompat & ~KNOWN_INCOMPAT) throw new GrtError('UNSUPPORTED', `XFS incompatible features 0x${incompat.toString(16)}`, { structure: 'xfs superblock' });
  const features2 = view.getUint32(200);
  const dirBlockLog = bytes[192]!;
  if (blockLog + dirBlockLog > MAX_BLOCK_LOG) throw bad(`directory block log ${dirBlockLog}`);
  void volumeSize;
  return {
    blockSize, blockLog, blockCount,
    uuid: formatUuid(bytes.subarray(32, 48)),
    metaUuid: formatUuid(incompat & INCOMPAT.metaUuid ? bytes.subarray(META_UUID_OFFSET, META_UUID_OFFSET + 16) : bytes.subarray(32, 48)),
    logStart: Number(view.getBigUint64(48)),
    logBlocks: view.getUint32(96),
    rootInode: Number(view.getBigUint64(56)),
    agBlocks, agCount, agBlockLog,
    sectorSize: view.getUint16(102),
    inodeSize, inodesPerBlockLog,
    label: new TextDecoder().decode(bytes.subarray(108, 120)).replace(/\0.*$/s, ''),
    version, hasCrc,
    hasFtype: hasCrc ? (incompat & INCOMPAT.ftype) !== 0 : (features2 & V2_FTYPE) !== 0,
    bigtime: (incompat & INCOMPAT.bigtime) !== 0,
    dirBlockSize: blockSize << dirBlockLog,
    incompat,
  };
}

/**
 * Byte offset of a file-system block number (XFS_FSB_TO_DADDR): the high bits name the AG, the
 * low sb_agblklog bits the block inside it; AGs are agBlocks long on disk, not 2^agblklog.
 */
export function fsBlockToByte(sb: Superblock, fsBlock: number): number {
  const agno = Math.floor(fsBlock / 2 ** sb.agBlockLog);
  const agbno = fsBlock % 2 ** sb.agBlockLog;
  if (agno >= sb.agCount || agbno >= sb.agBlocks) {
    throw new GrtError('OUT_OF_RANGE', `XFS block ${fsBlock} (AG ${agno}, block ${agbno}) is outside the volume`, { structure: 'xfs block' });
  }
  return (agno * sb.agBlocks + agbno) * sb.blockSize;
}

/**
 * Byte offset of an inode (XFS_INO_TO_AGNO / _AGINO / _AGBNO / _OFFSET): the number is
 * (agno << (agblklog + inopblog)) | (agbno << inopblog) | slot.
 */
export function inodeToByte(sb: Superblock, inodeNumber: number): number {
  const byteOffset = inodeByteOffset(sb, inodeNumber);
  if (byteOffset === undefined) throw new GrtError('OUT_OF_RANGE', `XFS inode ${inodeNumber} is outside the volume`, { structure: 'xfs inode' });
  return byteOffset;
}

/**
 * inodeToByte without the error: undefined for a number that addresses no inode slot of the
 * volume. A names listing asks it of every directory entry, where a thrown and caught error
 * per name would cost more than the arithmetic.
 */
export function inodeByteOffset(sb: Superblock, inodeNumber: number): number | undefined {
  const slotBits = sb.inodesPerBlockLog;
  const agInodeBits = sb.agBlockLog + slotBits;
  const agno = Math.floor(inodeNumber / 2 ** agInodeBits);
  const agino = inodeNumber % 2 ** agInodeBits;
  const agbno = Math.floor(agino / 2 ** slotBits);
  const slot = agino % 2 ** slotBits;
  if (!Number.isSafeInteger(inodeNumber) || inodeNumber <= 0 || agno >= sb.agCount || agbno >= sb.agBlocks) return undefined;
  return (agno * sb.agBlocks + agbno) * sb.blockSize + slot * sb.inodeSize;
}
