/**
 * XFS version 2 directories (XFS Algorithms & Data Structures "Directories"). Short form lives in
 * the inode; every other format (block, leaf, node, B+tree) keeps its names in data blocks at
 * directory offsets below XFS_DIR2_LEAF_OFFSET, and only adds hash indexes above it. grt lists
 * names, so it reads the data blocks and never needs the hash indexes.
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import { xfsCrcMatches } from './crc32c.js';
import type { Superblock } from './superblock.js';
import { decodeName } from '../utf8-name.js';

export interface DirEntry {
  name: string;
  inode: number;
  /** The entry's ftype byte (XFS_DIR3_FT_*) on volumes with the ftype feature; absent without it. */
  fileType?: number;
}

/** Directory offsets from 32 GiB up hold leaf and free-space indexes, not names (XFS_DIR2_LEAF_OFFSET). */
export const DIR_LEAF_OFFSET = 32 * 2 ** 30;
/** Names listed for one directory: bounds memory for a hostile directory claiming billions. */
export const MAX_DIR_ENTRIES = 1 << 22;
const DATA_MAGIC = { block: 0x58443242, data: 0x58443244, block3: 0x58444233, data3: 0x58444433 } as const; // XD2B XD2D XDB3 XDD3
const DATA_HEADER_V4 = 16;
const DATA_HEADER_V5 = 64;
const FREE_TAG = 0xffff;
const BLOCK_TAIL_SIZE = 8;
const LEAF_ENTRY_SIZE = 8;

/**
 * A big-endian u64 as a number, rounded once as Number(getBigUint64) rounds (the high word times
 * 2^32 is exact), without a BigInt per directory entry.
 */
function u64be(view: DataView, at: number): number {
  return view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
}

/** `offset`: the volume byte where the damage is, when known. */
function badDir(inode: number, detail: string, offset: number | undefined): GrtError {
  return new GrtError('BAD_INDEX', `XFS directory inode ${inode}: ${detail}`, { structure: 'xfs directory', offset, space: 'volume' });
}

/** Short-form directory (xfs_dir2_sf_hdr + entries) from the inode's data fork. */
/** `inodeOffset`: the volume offset of the inode whose fork `bytes` is, where its damage is reported. */
export function parseShortForm(sb: Superblock, inodeNumber: number, bytes: Uint8Array, size: number, inodeOffset?: number): DirEntry[] {
  if (size > bytes.length || size < 6) throw badDir(inodeNumber, `short form of ${size} bytes in a ${bytes.length}-byte fork`, inodeOffset);
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  const count = bytes[0]!;
  const wide = bytes[1]! > 0; // i8count: inode numbers are 8 bytes, not 4
  const numberSize = wide ? 8 : 4;
  let at = 2 + numberSize;
  const out: DirEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 3 > size) throw badDir(inodeNumber, `short-form entry ${i} past the end`, inodeOffset);
    const nameLength = bytes[at]!;
    const nameStart = at + 3; // namelen u8, offset u16
    const numberAt = nameStart + nameLength + (sb.hasFtype ? 1 : 0);
    if (nameLength === 0 || numberAt + numberSize > size) throw badDir(inodeNumber, `short-form entry ${i} of length ${nameLength} past the end`, inodeOffset);
    const inode = wide ? u64be(view, numberAt) : view.getUint32(numberAt);
    const entry: DirEntry = { name: decodeName(bytes, nameStart, nameStart + nameLength), inode };
    // xfs_dir2_sf_entry: namelen, offset, name, [ftype], inumber.
    if (sb.hasFtype) entry.fileType = bytes[numberAt - 1]!;
    out.push(entry);
    at = numberAt + numberSize;
  }
  return out;
}

/** Entries of one directory data block (block or data format, v4 or v5 header). */
/** `blockOffset`: the volume offset of `block`, for error offsets. */
export function parseDataBlock(sb: Superblock, inodeNumber: number, block: Uint8Array, out: DirEntry[], warnings: GrtWarning[], blockOffset?: number): void {
  const offsetOf = (pos: number): number | undefined => (blockOffset === undefined ? undefined : blockOffset + pos);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const magic = view.getUint32(0);
  const isBlock = magic === DATA_MAGIC.block || magic === DATA_MAGIC.block3;
  const isV5 = magic === DATA_MAGIC.block3 || magic === DATA_MAGIC.data3;
  if (!isBlock && magic !== DATA_MAGIC.data && magic !== DATA_MAGIC.data3) throw badDir(inodeNumber, `data block magic 0x${magic.toString(16)}`, offsetOf(0));
  if (isV5 !== sb.hasCrc) warnings.push({ code: 'BAD_INDEX', message: `XFS directory inode ${inodeNumber}: v${isV5 ? 5 : 4} block on a v${sb.version} volume` });
  // v5 data blocks: xfs_dir3_blk_hdr { magic, crc, ... }.
  if (isV5 && !xfsCrcMatches(block, 4)) warnings.push({ code: 'BAD_CHECKSUM', message: `XFS directory inode ${inodeNumber}: data block CRC mismatch` });
  let end = block.length;
  if (isBlock) {
    // A single-block directory ends with its leaf array and a tail (xfs_dir2_block_tail).
    const leafCount = view.getUint32(block.length - BLOCK_TAIL_SIZE);
    end = block.length - BLOCK_TAIL_SIZE - leafCount * LEAF_ENTRY_SIZE;
  }
  let at = isV5 ? DATA_HEADER_V5 : DATA_HEADER_V4;
  if (end < at) throw badDir(inodeNumber, `block leaf count leaves no room for names`, offsetOf(block.length - BLOCK_TAIL_SIZE));
  while (at + 8 <= end) {
    if (view.getUint16(at) === FREE_TAG) {
      const length = view.getUint16(at + 2);
      if (length < 8 || length % 8 !== 0) throw badDir(inodeNumber, `free space of ${length} bytes at ${at}`, offsetOf(at));
      at += length;
      continue;
    }
    const nameLength = block[at + 8]!;
    // xfs_dir2_data_entry: inumber u64, namelen u8, name, [ftype u8], tag u16, padded to 8.
    const length = Math.ceil((8 + 1 + nameLength + (sb.hasFtype ? 1 : 0) + 2) / 8) * 8;
    if (nameLength === 0 || at + length > end) throw badDir(inodeNumber, `entry at ${at} of name length ${nameLength} past the end`, offsetOf(at));
    const name = decodeName(block, at + 9, at + 9 + nameLength);
    if (name !== '.' && name !== '..') {
      if (out.length >= MAX_DIR_ENTRIES) throw new GrtError('LIMIT_EXCEEDED', `XFS directory inode ${inodeNumber}: more than ${MAX_DIR_ENTRIES} names`);
      const entry: DirEntry = { name, inode: u64be(view, at) };
      if (sb.hasFtype) entry.fileType = block[at + 9 + nameLength]!;
      out.push(entry);
    }
    at += length;
  }
}
