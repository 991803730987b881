/**
 * Writes XFS log records into a copy of a volume, from the format as xfs_log_format.h lays it out
 * (xlog_rec_header, xlog_op_header, xfs_trans_header, xfs_buf_log_format, xfs_inode_log_format,
 * xfs_log_dinode), the way a little-endian kernel writes them, or a big-endian one (bigEndianHost
 * and the items' littleEndian = false): no tool here can make a dirty log (that takes a kernel
 * mount), so the replay tests build their own, and xfs_logprint checks that the builder's records
 * parse (log-replay.test.ts, when xfsprogs is installed).
 */
import { crc32cRaw, crc32cZeros } from '../../src/util/crc32c.js';
import { fsBlockToByte, type Superblock } from '../../src/fs/xfs/superblock.js';

const BB = 512;
const OP = { start: 0x01, commit: 0x02, continued: 0x04, wasContinued: 0x08, end: 0x10 } as const;

/** One log item: its format region first, then its data regions. */
export type Item = Uint8Array[];

export interface LogTransaction {
  tid: number;
  items: Item[];
  /** Leave out the commit operation. */
  uncommitted?: boolean;
}

interface Op {
  tid: number;
  flags: number;
  data: Uint8Array;
}

/** A region whose fields `fill` writes through `put` in the writing host's byte order. */
function hostRegion(size: number, littleEndian: boolean, fill: (put: HostView) => void): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  fill({
    u16: (at, value) => view.setUint16(at, value, littleEndian),
    u32: (at, value) => view.setUint32(at, value, littleEndian),
    i32: (at, value) => view.setInt32(at, value, littleEndian),
    u64: (at, value) => view.setBigUint64(at, BigInt(value), littleEndian),
    getU32: (at) => view.getUint32(at, littleEndian),
  });
  return bytes;
}

interface HostView {
  u16(at: number, value: number): void;
  u32(at: number, value: number): void;
  i32(at: number, value: number): void;
  u64(at: number, value: number): void;
  getU32(at: number): number;
}

/**
 * A buffer item rewriting byte ranges of the buffer at `daddr` (ranges are widened to 128-byte
 * chunks from `image`), its format region in the writing host's byte order.
 */
export function bufferItem(image: Uint8Array, daddr: number, lengthBlocks: number, edits: { offset: number; bytes: Uint8Array }[], flags = 0, littleEndian = true): Item {
  const buffer = image.slice(daddr * BB, (daddr + lengthBlocks) * BB);
  for (const edit of edits) buffer.set(edit.bytes, edit.offset);
  const chunks = new Set<number>();
  for (const edit of edits) for (let c = Math.floor(edit.offset / 128); c * 128 < edit.offset + edit.bytes.length; c++) chunks.add(c);
  const mapWords = Math.ceil((lengthBlocks * BB) / 128 / 32);
  const runs: [number, number][] = [];
  for (const chunk of [...chunks].sort((a, b) => a - b)) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === chunk) last[1]++;
    else runs.push([chunk, 1]);
  }
  const format = hostRegion(20 + mapWords * 4, littleEndian, (v) => {
    v.u16(0, 0x123c);
    v.u16(2, flags & 0x2 ? 1 : 1 + runs.length);
    v.u16(4, flags);
    v.u16(6, lengthBlocks);
    v.u64(8, daddr);
    v.u32(16, mapWords);
    for (const chunk of flags & 0x2 ? [] : chunks) v.u32(20 + (chunk >>> 5) * 4, (v.getU32(20 + (chunk >>> 5) * 4) | (1 << (chunk & 31))) >>> 0);
  });
  if (flags & 0x2) return [format];
  return [format, ...runs.map(([first, count]) => buffer.slice(first * 128, (first + count) * 128))];
}

/** Core fields as [offset, width] (xfs_dinode / xfs_log_dinode share the layout). */
const FIELDS: [number, number][] = [
  [0, 2], [2, 2], [6, 2], [8, 4], [12, 4], [16, 4], [20, 2], [22, 2], [32, 4], [36, 4], [40, 4], [44, 4], [48, 4], [52, 4],
  [56, 8], [64, 8], [72, 4], [76, 4], [80, 2], [84, 4], [88, 2], [90, 2], [92, 4], [96, 4],
];
/** di_flushiter, where a v3 core has di_big_nextents. */
const V2_FIELDS: [number, number][] = [[30, 2]];
const V3_FIELDS: [number, number][] = [[24, 8], [104, 8], [112, 8], [120, 8], [128, 4], [144, 4], [148, 4], [152, 8]];

/**
 * The log form (xfs_log_dinode, in the writing host's byte order) of an on-disk inode core;
 * legacy timestamps only. A big-endian host logs the core as it is on disk, bar di_crc.
 */
export function logCore(diskInode: Uint8Array, littleEndian = true): Uint8Array {
  const v3 = diskInode[4] === 3;
  const core = diskInode.slice(0, v3 ? 176 : 96);
  for (const [offset, width] of !littleEndian ? [] : v3 ? [...FIELDS, ...V3_FIELDS] : [...FIELDS.filter(([o]) => o < 96), ...V2_FIELDS]) {
    if (offset + width <= core.length) core.set(diskInode.slice(offset, offset + width).reverse(), offset);
  }
  if (v3) core.fill(0, 100, 104); // di_crc is not logged
  return core;
}

/** How a logged data fork is given: inline bytes, extent records or a B+tree root (XFS_ILOG_DDATA/DEXT/DBROOT). */
const FORK_FIELD = { local: 0x2, extents: 0x4, btree: 0x8 } as const;

/**
 * The in-memory form the kernel logs a bmap B+tree root in: a long btree block header (72 bytes
 * on v5, 24 on v4), then the keys and pointers of a block sized for exactly its records.
 */
export function inMemoryRoot(sb: Superblock, diskRoot: Uint8Array): Uint8Array {
  const view = new DataView(diskRoot.buffer, diskRoot.byteOffset, diskRoot.byteLength);
  const count = view.getUint16(2);
  const diskMax = Math.floor((diskRoot.length - 4) / 16);
  const header = sb.hasCrc ? 72 : 24;
  const block = new Uint8Array(header + count * 16);
  const out = new DataView(block.buffer);
  out.setUint32(0, sb.hasCrc ? 0x424d4133 : 0x424d4150);
  out.setUint16(4, view.getUint16(0));
  out.setUint16(6, count);
  block.set(diskRoot.subarray(4, 4 + count * 8), header);
  block.set(diskRoot.subarray(4 + diskMax * 8, 4 + diskMax * 8 + count * 8), header + count * 8);
  return block;
}

/** An inode item logging the core and, when given, the data fork (XFS_ILOG_CORE | DDATA/DEXT/DBROOT). */
export function inodeItem(sb: Superblock, inodeNumber: number, inodeByte: number, core: Uint8Array, dataFork?: { bytes: Uint8Array; format: keyof typeof FORK_FIELD }, littleEndian = true): Item {
  const clusterStart = inodeByte - (inodeByte % sb.blockSize);
  const fields = 0x1 | (dataFork ? FORK_FIELD[dataFork.format] : 0);
  const format = hostRegion(56, littleEndian, (v) => {
    v.u16(0, 0x123b);
    v.u16(2, dataFork ? 3 : 2);
    v.u32(4, fields);
    v.u16(10, dataFork?.bytes.length ?? 0);
    v.u64(16, inodeNumber);
    v.u64(40, clusterStart / BB);
    v.i32(48, sb.blockSize / BB);
    v.i32(52, inodeByte - clusterStart);
  });
  return dataFork ? [format, core, dataFork.bytes] : [format, core];
}

function transactionOps(transaction: LogTransaction, littleEndian: boolean): Op[] {
  const { tid, items } = transaction;
  const header = hostRegion(16, littleEndian, (v) => {
    v.u32(0, 0x5452414e);
    v.u32(4, 1);
    v.u32(8, tid);
    v.u32(12, items.length);
  });
  const ops: Op[] = [{ tid, flags: OP.start, data: new Uint8Array(0) }, { tid, flags: 0, data: header }];
  for (const item of items) for (const region of item) ops.push({ tid, flags: 0, data: region });
  if (!transaction.uncommitted) ops.push({ tid, flags: OP.commit, data: new Uint8Array(0) });
  return ops;
}

/** Pack operations into records of at most `capacity` data bytes, splitting regions that do not fit. */
function records(ops: Op[], capacity: number): Op[][] {
  const out: Op[][] = [[]];
  let used = 0;
  for (const op of ops) {
    let rest = op.data;
    let part = 0;
    for (;;) {
      if (capacity - used < 12 + (rest.length > 0 ? 1 : 0)) {
        out.push([]);
        used = 0;
      }
      const take = Math.min(rest.length, capacity - used - 12);
      const last = take === rest.length;
      const flags = op.flags | (part > 0 ? OP.wasContinued | (last ? OP.end : 0) : last ? 0 : OP.continued);
      out[out.length - 1]!.push({ tid: op.tid, flags, data: rest.subarray(0, take) });
      used += 12 + take;
      rest = rest.subarray(take);
      part++;
      if (last) break;
    }
  }
  return out.filter((r) => r.length > 0);
}

export interface LogPlacement {
  /** Log block of the first record (default 2: after mkfs's unmount record). */
  startBlock?: number;
  /** Cycle of the first record (default 1). */
  cycle?: number;
  /** Data bytes per record (default 32 KiB); small values split regions over records. */
  capacity?: number;
  /** Write as a big-endian host does (h_fmt XLOG_FMT_LINUX_BE, transaction headers big-endian). */
  bigEndianHost?: boolean;
  /** h_fmt as written, when not the host's (0: XLOG_FMT_UNKNOWN). */
  format?: number;
}

/** Write the transactions as log records into `image` (in place); returns the log block after them. */
export function writeLog(image: Uint8Array, sb: Superblock, transactions: LogTransaction[], placement: LogPlacement = {}): number {
  const start = fsBlockToByte(sb, sb.logStart);
  const ringBlocks = (sb.logBlocks * sb.blockSize) / BB;
  let block = placement.startBlock ?? 2;
  let cycle = placement.cycle ?? 1;
  const tail = { cycle, block };
  const littleEndian = !placement.bigEndianHost;
  for (const ops of records(transactions.flatMap((t) => transactionOps(t, littleEndian)), placement.capacity ?? 32 * 1024)) {
    const body = ops.reduce((n, op) => n + 12 + op.data.length, 0);
    const dataBlocks = Math.ceil(body / BB);
    const data = new Uint8Array(dataBlocks * BB);
    const dv = new DataView(data.buffer);
    let at = 0;
    for (const op of ops) {
      dv.setUint32(at, op.tid);
      dv.setUint32(at + 4, op.data.length);
      data[at + 8] = 0x69;
      data[at + 9] = op.flags;
      data.set(op.data, at + 12);
      at += 12 + op.data.length;
    }
    const header = new Uint8Array(BB);
    const hv = new DataView(header.buffer);
    hv.setUint32(0, 0xfeedbabe);
    hv.setUint32(4, cycle);
    hv.setUint32(8, 2);
    hv.setUint32(12, data.length);
    hv.setUint32(16, cycle);
    hv.setUint32(20, block);
    hv.setUint32(24, tail.cycle);
    hv.setUint32(28, tail.block);
    hv.setUint32(36, 0xffffffff);
    hv.setUint32(40, ops.length);
    hv.setUint32(300, placement.format ?? (littleEndian ? 1 : 2)); // h_fmt: XLOG_FMT_LINUX_LE or _BE
    header.set(image.subarray(32, 48), 304); // h_fs_uuid: sb_uuid
    hv.setUint32(320, 32 * 1024);
    for (let i = 0; i < dataBlocks; i++) {
      hv.setUint32(44 + i * 4, dv.getUint32(i * BB)); // dataBlocks <= 64: one header block
      // Blocks past the end of the ring carry the next cycle (the kernel's xlog_split_iclog).
      dv.setUint32(i * BB, block + 1 + i >= ringBlocks ? cycle + 1 : cycle);
    }
    let crc = crc32cZeros(crc32cRaw(0xffffffff, header, 0, 32), 4);
    crc = ~crc32cRaw(crc32cRaw(crc, header, 36, 328), data) >>> 0;
    hv.setUint32(32, crc, true);
    for (const [i, bytes] of [header, ...Array.from({ length: dataBlocks }, (_, k) => data.subarray(k * BB, (k + 1) * BB))].entries()) {
      let target = block + i;
      if (target >= ringBlocks) target -= ringBlocks;
      image.set(bytes, start + target * BB);
    }
    block += 1 + dataBlocks;
    if (block >= ringBlocks) {
      block -= ringBlocks;
      cycle++;
    }
  }
  return block;
}
