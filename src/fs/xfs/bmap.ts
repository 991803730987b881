/**
 * Data and attribute fork mappings (XFS Algorithms & Data Structures "Data Extents" and
 * "Extent B+tree"): 128-bit packed extent records, either listed in the inode or at the leaves
 * of a B+tree whose root is in the inode (xfs_bmdr_block) and whose other blocks are
 * long-format btree blocks (BMAP, or BMA3 with CRC header).
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import { NO_CRC_CHECK, type CrcCheck } from './crc32c.js';
import type { Fork } from './inode.js';
import { fsBlockToByte, type Superblock } from './superblock.js';

/** A mapping from file blocks to volume blocks. */
export interface Extent {
  /** First file block (in file-system blocks). */
  fileBlock: number;
  /** First volume block, as an XFS file-system block number (AG << agblklog | agbno). */
  fsBlock: number;
  blockCount: number;
  /** Preallocated, never written: reads as zeros (XFS_EXT_UNWRITTEN). */
  unwritten: boolean;
}

const EXTENT_RECORD_SIZE = 16;
/** Extents collected for one fork: 1 Mi records = 16 MiB of records, far past real files. */
export const MAX_EXTENTS = 1 << 20;
/** B+tree levels followed: XFS bmap trees are at most 9 deep for 2^54 blocks of 1 KiB. */
export const MAX_BTREE_DEPTH = 9;
const BMAP_MAGIC = 0x424d4150; // 'BMAP'
const BMA3_MAGIC = 0x424d4133; // 'BMA3'
const LONG_HEADER_V4 = 24;
const LONG_HEADER_V5 = 72;
/** bb_crc of a long-format v5 btree block (XFS_BTREE_LBLOCK_CRC_OFF). */
const LONG_CRC_OFFSET = 64;
const ROOT_HEADER = 4;

/** Decode one packed record (xfs_bmbt_rec: flag:1 startoff:54 startblock:52 blockcount:21). */
export function decodeExtent(view: DataView, offset: number): Extent {
  const l0 = view.getBigUint64(offset);
  const l1 = view.getBigUint64(offset + 8);
  return {
    unwritten: l0 >> 63n === 1n,
    fileBlock: Number((l0 >> 9n) & ((1n << 54n) - 1n)),
    fsBlock: Number(((l0 & 0x1ffn) << 43n) | (l1 >> 21n)),
    blockCount: Number(l1 & 0x1fffffn),
  };
}

/** The extents listed in the inode; damage is reported at the fork's first byte in the volume. */
function decodeList(fork: Fork): Extent[] {
  const { bytes, extentCount: count } = fork;
  if (count > MAX_EXTENTS) throw new GrtError('LIMIT_EXCEEDED', `${count} extents in one fork`, { structure: 'xfs extents', offset: fork.byteOffset, space: 'volume' });
  if (count * EXTENT_RECORD_SIZE > bytes.length) throw new GrtError('BAD_RECORD', `${count} extents do not fit their ${bytes.length} bytes`, { structure: 'xfs extents', offset: fork.byteOffset, space: 'volume' });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Extent[] = [];
  for (let i = 0; i < count; i++) out.push(decodeExtent(view, i * EXTENT_RECORD_SIZE));
  return out;
}

export type ReadBlock = (fsBlock: number) => Promise<Uint8Array>;

/** The extents of a fork in file order (extents list or B+tree), checked for overlap. */
export async function forkExtents(sb: Superblock, fork: Fork, readBlock: ReadBlock, warnings: GrtWarning[], check: CrcCheck = NO_CRC_CHECK): Promise<Extent[]> {
  let extents: Extent[];
  if (fork.format === 'extents') extents = decodeList(fork);
  else if (fork.format === 'btree') extents = await btreeExtents(sb, fork, { readBlock, check, warnings });
  else throw new GrtError('UNSUPPORTED', `XFS fork format ${fork.format} has no extents`, { structure: 'xfs fork', offset: fork.byteOffset, space: 'volume' });
  return ordered(extents, warnings);
}

function ordered(extents: Extent[], warnings: GrtWarning[]): Extent[] {
  const out: Extent[] = [];
  let end = 0;
  for (const extent of extents) {
    // Overlapping or unordered records would map one file offset twice: keep the first.
    if (extent.fileBlock < end || extent.blockCount === 0) {
      warnings.push({ code: 'BAD_RECORD', message: `XFS extent at file block ${extent.fileBlock} overlaps or is empty; skipped` });
      continue;
    }
    out.push(extent);
    end = extent.fileBlock + extent.blockCount;
  }
  return out;
}

/** How btree blocks are read and checked. */
interface BlockAccess {
  readBlock: ReadBlock;
  check: CrcCheck;
  warnings: GrtWarning[];
}

async function btreeExtents(sb: Superblock, fork: Fork, access: BlockAccess): Promise<Extent[]> {
  const root = fork.bytes;
  const view = new DataView(root.buffer, root.byteOffset, root.byteLength);
  const level = view.getUint16(0);
  const count = view.getUint16(2);
  // The root's pointers start after as many keys as the fork could hold (xfs_bmdr_maxrecs).
  const maxRecords = Math.floor((root.length - ROOT_HEADER) / 16);
  if (level < 1 || level > MAX_BTREE_DEPTH || count > maxRecords) throw new GrtError('BAD_RECORD', `XFS bmap root: level ${level}, ${count} records`, { structure: 'xfs bmap btree', offset: fork.byteOffset, space: 'volume' });
  const pointerStart = ROOT_HEADER + maxRecords * 8;
  const out: Extent[] = [];
  const visited = new Set<number>();
  for (let i = 0; i < count; i++) {
    const pointerByte = fork.byteOffset === undefined ? undefined : fork.byteOffset + pointerStart + i * 8;
    await walkNode(sb, { fsBlock: Number(view.getBigUint64(pointerStart + i * 8)), pointerByte }, level - 1, access, out, visited);
  }
  return out;
}

/** A child pointer being followed: the block it names and its own byte in the volume (when known). */
interface ChildPointer {
  fsBlock: number;
  pointerByte: number | undefined;
}

async function walkNode(sb: Superblock, pointer: ChildPointer, level: number, access: BlockAccess, out: Extent[], visited: Set<number>): Promise<void> {
  const { fsBlock } = pointer;
  // A repeated block is a pointer that should not be there: the damage is the pointer, not the block.
  if (visited.has(fsBlock)) throw new GrtError('BAD_RECORD', `XFS bmap btree block ${fsBlock} reached twice`, { structure: 'xfs bmap btree', offset: pointer.pointerByte, space: 'volume' });
  visited.add(fsBlock);
  const block = await access.readBlock(fsBlock);
  // readBlock checked the block number, so it has a place in the volume.
  const at = { structure: 'xfs bmap btree', offset: fsBlockToByte(sb, fsBlock), space: 'volume' } as const;
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const magic = view.getUint32(0);
  const header = sb.hasCrc ? LONG_HEADER_V5 : LONG_HEADER_V4;
  if (magic !== (sb.hasCrc ? BMA3_MAGIC : BMAP_MAGIC)) throw new GrtError('BAD_MAGIC', `XFS bmap btree block ${fsBlock}: magic 0x${magic.toString(16)}`, at);
  access.check(fsBlock, block, LONG_CRC_OFFSET, 'bmap btree', access.warnings);
  const blockLevel = view.getUint16(4);
  const count = view.getUint16(6);
  const maxRecords = Math.floor((block.length - header) / 16);
  if (blockLevel !== level || count > maxRecords) throw new GrtError('BAD_RECORD', `XFS bmap btree block ${fsBlock}: level ${blockLevel} (expected ${level}), ${count} records`, at);
  if (level === 0) {
    if (out.length + count > MAX_EXTENTS) throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_EXTENTS} extents in one fork`, at);
    for (let i = 0; i < count; i++) out.push(decodeExtent(view, header + i * EXTENT_RECORD_SIZE));
    return;
  }
  const pointerStart = header + maxRecords * 8;
  for (let i = 0; i < count; i++) {
    await walkNode(sb, { fsBlock: Number(view.getBigUint64(pointerStart + i * 8)), pointerByte: at.offset + pointerStart + i * 8 }, level - 1, access, out, visited);
  }
}
