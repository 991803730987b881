/**
 * Inode log items (xfs_log_format.h xfs_inode_log_format and xfs_log_dinode; the kernel's
 * xlog_recover_inode_commit_pass2 and xfs_log_dinode_to_disk): a format region naming the inode
 * and where its cluster buffer is, the inode core in the log's byte order, then the data fork and
 * the attribute fork regions the ilf_fields flags announce. Applying one rewrites the on-disk
 * inode: the core converted to big-endian, the forks copied (a B+tree root converted from its
 * in-memory block form to the on-disk xfs_bmdr form), the CRC recomputed.
 */
import { GrtError } from '../../../errors.js';
import { xfsCrcWrite } from '../crc32c.js';
import type { Superblock } from '../superblock.js';
import { compareLsn } from './buffer-lsn.js';
import type { Lsn } from './ring.js';
import type { LogItem } from './transactions.js';

/** ilf_fields (XFS_ILOG_*): which fork regions follow the core, and in which form. */
const ILOG = { core: 0x1, ddata: 0x2, dext: 0x4, dbroot: 0x8, dev: 0x10, adata: 0x40, aext: 0x80, abroot: 0x100 } as const;
const DATA_FORK = ILOG.ddata | ILOG.dext | ILOG.dbroot;
const ATTR_FORK = ILOG.adata | ILOG.aext | ILOG.abroot;
/** xfs_inode_log_format is 56 bytes; the 32-bit layout without ilf_pad, 52. */
const FORMAT_SIZE_64 = 56;
const FORMAT_SIZE_32 = 52;
const DISK_CORE_V2 = 100;
const DISK_CORE_V3 = 176;
/** The log core stops before di_next_unlinked on v1/v2 inodes (xfs_log_dinode_size). */
const LOG_CORE_V2 = 96;
const INODE_CRC_OFFSET = 100;
const INODE_MAGIC = 0x494e; // 'IN'
/** di_flushiter of a v1/v2 core, and where it wraps (DI_MAX_FLUSH). */
const FLUSHITER_OFFSET = 30;
const MAX_FLUSH = 0xffff;
const DIFLAG2_BIGTIME = 1n << 3n;
/** An in-memory bmap root block starts with a long btree header (XFS_BTREE_LBLOCK_LEN / _CRC_LEN). */
const LONG_HEADER_V4 = 24;
const LONG_HEADER_V5 = 72;
/** Big-endian fields of the core below di_next_unlinked: [offset, width]; timestamps apart. */
const CORE_FIELDS: readonly (readonly [number, number])[] = [
  [0, 2], [2, 2], [4, 1], [5, 1], [6, 2], [8, 4], [12, 4], [16, 4], [20, 2], [22, 2],
  [56, 8], [64, 8], [72, 4], [76, 4], [80, 2], [82, 1], [83, 1], [84, 4], [88, 2], [90, 2], [92, 4],
];
const V3_FIELDS: readonly (readonly [number, number])[] = [[104, 8], [120, 8], [128, 4], [152, 8]];
const TIMESTAMPS = [32, 40, 48];
const V3_TIMESTAMP = 144;

export interface InodeItem {
  inodeNumber: number;
  /** Byte offset of the inode on the data device. */
  byteOffset: number;
  fields: number;
  core: Uint8Array;
  dataFork?: Uint8Array;
  attrFork?: Uint8Array;
  rdev: number;
  /** Volume byte offset of the item in the log. */
  logByteOffset: number;
}

/** Damage in a logged inode: reported at the item's format region in the log (`logByteOffset`). */
function bad(logByteOffset: number, detail: string): GrtError {
  return new GrtError('BAD_RECORD', `XFS log inode item: ${detail}`, { structure: 'xfs log inode item', offset: logByteOffset, space: 'volume' });
}

export function parseInodeItem(item: LogItem, littleEndian: boolean, sb: Superblock): InodeItem {
  const format = item.regions[0]!;
  if (format.length !== FORMAT_SIZE_64 && format.length !== FORMAT_SIZE_32) throw bad(item.byteOffset, `format region of ${format.length} bytes`);
  const view = new DataView(format.buffer, format.byteOffset, format.byteLength);
  const wide = format.length === FORMAT_SIZE_64 ? 4 : 0; // ilf_pad shifts every field after ilf_dsize
  const fields = view.getUint32(4, littleEndian);
  const inodeNumber = Number(view.getBigUint64(12 + wide, littleEndian));
  const daddr = Number(view.getBigInt64(36 + wide, littleEndian));
  const bufferBlocks = view.getInt32(44 + wide, littleEndian);
  const bufferOffset = view.getInt32(48 + wide, littleEndian);
  if (daddr < 0 || !Number.isSafeInteger(daddr * 512) || bufferOffset < 0 || bufferOffset + sb.inodeSize > bufferBlocks * 512) {
    throw bad(item.byteOffset, `inode ${inodeNumber} at offset ${bufferOffset} of a ${bufferBlocks}-block buffer at ${daddr}`);
  }
  const core = item.regions[1];
  if (!(fields & ILOG.core) || !core) throw bad(item.byteOffset, `inode ${inodeNumber}: no core logged`);
  let next = 2;
  const out: InodeItem = { inodeNumber, byteOffset: daddr * 512 + bufferOffset, fields, core, rdev: view.getUint32(20 + wide, littleEndian), logByteOffset: item.byteOffset };
  if (fields & DATA_FORK) out.dataFork = item.regions[next++];
  if (fields & ATTR_FORK) out.attrFork = item.regions[next++];
  return out;
}

function copyField(from: Uint8Array, to: Uint8Array, offset: number, width: number, littleEndian: boolean): void {
  for (let k = 0; k < width; k++) to[offset + k] = from[littleEndian ? offset + width - 1 - k : offset + k]!;
}

/**
 * The byte order of a logged core: the writing host's (xfs_log_dinode is in CPU order, whatever
 * h_fmt says), told by its di_magic 'IN' read both ways; undefined when neither reads.
 */
export function coreByteOrder(item: InodeItem): { littleEndian: boolean } | undefined {
  const { core } = item;
  if (core.length < 2) return undefined;
  if (core[0] === 0x49 && core[1] === 0x4e) return { littleEndian: false };
  if (core[0] === 0x4e && core[1] === 0x49) return { littleEndian: true };
  return undefined;
}

/**
 * Apply the item to the inode's current on-disk bytes (`inode`, sb.inodeSize long), in place;
 * `littleEndian` is the core's byte order (coreByteOrder).
 */
export function applyInodeItem(item: InodeItem, littleEndian: boolean, sb: Superblock, lsn: Lsn, inode: Uint8Array): void {
  const { core } = item;
  const version = core[4]!;
  const coreView = new DataView(core.buffer, core.byteOffset, core.byteLength);
  if (core.length < (version === 3 ? DISK_CORE_V3 : LOG_CORE_V2) || coreView.getUint16(0, littleEndian) !== INODE_MAGIC) throw bad(item.logByteOffset, `inode ${item.inodeNumber}: core of ${core.length} bytes`);
  for (const [offset, width] of CORE_FIELDS) copyField(core, inode, offset, width, littleEndian);
  const bigtime = version === 3 && (coreView.getBigUint64(120, littleEndian) & DIFLAG2_BIGTIME) !== 0n;
  const timestamps = version === 3 ? [...TIMESTAMPS, V3_TIMESTAMP] : TIMESTAMPS;
  for (const offset of timestamps) {
    // A bigtime stamp is one 64-bit counter; a legacy one two 32-bit words (seconds, nanoseconds).
    if (bigtime) copyField(core, inode, offset, 8, littleEndian);
    else for (const half of [0, 4]) copyField(core, inode, offset + half, 4, littleEndian);
  }
  if (version === 3) {
    copyField(core, inode, 24, 8, littleEndian); // di_big_nextents or padding
    for (const [offset, width] of V3_FIELDS) copyField(core, inode, offset, width, littleEndian);
    inode.set(core.subarray(132, 144), 132); // di_pad2
    inode.set(core.subarray(160, 176), 160); // di_uuid: bytes
    const view = new DataView(inode.buffer, inode.byteOffset, inode.byteLength);
    view.setUint32(112, lsn.cycle);
    view.setUint32(116, lsn.block);
  } else {
    inode.set(core.subarray(24, 30), 24);
    // The kernel resets di_flushiter as it replays (xlog_recover_inode_commit_pass2).
    inode[FLUSHITER_OFFSET] = 0;
    inode[FLUSHITER_OFFSET + 1] = 0;
  }
  applyForks(item, sb, version === 3 ? DISK_CORE_V3 : DISK_CORE_V2, inode);
  if (version === 3) xfsCrcWrite(inode, INODE_CRC_OFFSET);
}

function applyForks(item: InodeItem, sb: Superblock, coreSize: number, inode: Uint8Array): void {
  const forkOffset = inode[82]! * 8;
  const literal = sb.inodeSize - coreSize;
  if (forkOffset > literal) throw bad(item.logByteOffset, `inode ${item.inodeNumber}: attribute fork offset ${forkOffset}`);
  const dataFork = inode.subarray(coreSize, coreSize + (forkOffset || literal));
  const attrFork = inode.subarray(coreSize + forkOffset, sb.inodeSize);
  const header = sb.hasCrc ? LONG_HEADER_V5 : LONG_HEADER_V4;
  if (item.fields & ILOG.dev) new DataView(dataFork.buffer, dataFork.byteOffset).setUint32(0, item.rdev);
  const place = (region: Uint8Array | undefined, fork: Uint8Array, asRoot: boolean): void => {
    if (!region) throw bad(item.logByteOffset, `inode ${item.inodeNumber}: a fork region is missing`);
    if (asRoot) return bmbtToBmdr(item, region, header, fork);
    if (region.length > fork.length) throw bad(item.logByteOffset, `inode ${item.inodeNumber}: fork region of ${region.length} bytes for a ${fork.length}-byte fork`);
    fork.set(region);
  };
  if (item.fields & DATA_FORK) place(item.dataFork, dataFork, (item.fields & ILOG.dbroot) !== 0);
  if (item.fields & ATTR_FORK) {
    if (forkOffset === 0) throw bad(item.logByteOffset, `inode ${item.inodeNumber}: attribute fork logged, none in the core`);
    place(item.attrFork, attrFork, (item.fields & ILOG.abroot) !== 0);
  }
}

/** The kernel's xfs_bmbt_to_bmdr: level, count, keys and pointers moved to the fork's slots. */
function bmbtToBmdr(item: InodeItem, block: Uint8Array, header: number, fork: Uint8Array): void {
  if (block.length < header || fork.length < 4) throw bad(item.logByteOffset, `inode ${item.inodeNumber}: B+tree root of ${block.length} bytes`);
  const from = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const to = new DataView(fork.buffer, fork.byteOffset, fork.byteLength);
  const count = from.getUint16(6);
  const maxRecords = Math.floor((block.length - header) / 16);
  const forkRecords = Math.floor((fork.length - 4) / 16);
  if (count > maxRecords || count > forkRecords) throw bad(item.logByteOffset, `inode ${item.inodeNumber}: B+tree root of ${count} records`);
  fork.fill(0);
  to.setUint16(0, from.getUint16(4));
  to.setUint16(2, count);
  fork.set(block.subarray(header, header + count * 8), 4);
  const pointers = header + maxRecords * 8;
  fork.set(block.subarray(pointers, pointers + count * 8), 4 + forkRecords * 8);
}

/**
 * Whether the on-disk inode is already newer than the transaction, so the kernel skips the item
 * (xlog_recover_inode_commit_pass2): a v3 inode by its di_lsn, strictly past the transaction's LSN
 * (checkpoints may share a start LSN); on a v4 volume by di_flushiter, the count of writebacks,
 * larger on disk than logged unless it wrapped past DI_MAX_FLUSH.
 */
export function inodeIsNewer(inode: Uint8Array, item: InodeItem, littleEndian: boolean, sb: Superblock, lsn: Lsn): boolean {
  if (inode[0] !== 0x49 || inode[1] !== 0x4e) return false;
  const view = new DataView(inode.buffer, inode.byteOffset, inode.byteLength);
  if (inode[4]! >= 3) {
    const cycle = view.getUint32(112);
    const block = view.getUint32(116);
    if ((cycle === 0 && block === 0) || (cycle === 0xffffffff && block === 0xffffffff)) return false;
    if (compareLsn({ cycle, block }, lsn) > 0) return true;
  }
  if (sb.hasCrc || item.core.length < FLUSHITER_OFFSET + 2) return false;
  const logged = new DataView(item.core.buffer, item.core.byteOffset, item.core.byteLength).getUint16(FLUSHITER_OFFSET, littleEndian);
  const onDisk = view.getUint16(FLUSHITER_OFFSET);
  return logged < onDisk && !(onDisk === MAX_FLUSH && logged < MAX_FLUSH >>> 1);
}
