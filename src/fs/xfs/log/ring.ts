/**
 * The internal log as a ring of 512-byte basic blocks (XFS Algorithms & Data Structures "Journaling
 * Log"; xfs_log_format.h xlog_rec_header, xlog_rec_ext_header; the kernel's xlog_find_head,
 * xlog_find_tail and xlog_unpack_data). Every block carries the cycle (pass over the ring) it was
 * written in: a record header holds it at byte 4 after the FEEDBABE magic, every other block at
 * byte 0, the block's own first word having been moved into the header's h_cycle_data.
 */
import { GrtError } from '../../../errors.js';
import type { ByteSource } from '../../../io/byte-source.js';
import { xfsCrcMatches } from '../crc32c.js';
import { fsBlockToByte, type Superblock } from '../superblock.js';

export const BASIC_BLOCK = 512;
const RECORD_MAGIC = 0xfeedbabe;
/** A record holds at most 256 KiB of data (XLOG_MAX_RECORD_BSIZE). */
const MAX_RECORD_BYTES = 256 * 1024;
/** v2 headers take one basic block per 32 KiB of record (XLOG_HEADER_CYCLE_SIZE). */
const HEADER_CYCLE_SIZE = 32 * 1024;
/** Cycle words one header block holds (XLOG_HEADER_CYCLE_SIZE / BBSIZE). */
const CYCLE_WORDS = HEADER_CYCLE_SIZE / BASIC_BLOCK;
/** h_version bit: a v2 log with extended headers (XLOG_VERSION_2). */
const VERSION_2 = 0x2;
/** h_crc covers the header as the 64-bit kernel lays it out (328 bytes, with tail padding) or 324. */
const HEADER_CRC_SPANS = [328, 324];
const HEADER_CRC_OFFSET = 32;
/** h_len: the record's data length. */
const HEADER_LENGTH_OFFSET = 12;
/** sb_logstart in the superblock: where a log that does not fit was placed. */
const SB_LOGSTART_OFFSET = 48;

export interface LogRing {
  source: ByteSource;
  /** Byte offset of log block 0 in the volume. */
  start: number;
  /** Length of the ring in basic blocks. */
  blocks: number;
}

/** A log sequence number: cycle and block of the record it names. */
export interface Lsn {
  cycle: number;
  block: number;
}

export interface RecordHeader {
  block: number;
  cycle: number;
  /** Bytes of operations after the header (h_len). */
  length: number;
  lsn: Lsn;
  tail: Lsn;
  crc: number;
  operations: number;
  /** 1: log items in little-endian (XLOG_FMT_LINUX_LE); 2 or 3: big-endian. */
  format: number;
  headerBlocks: number;
}

export function logRing(source: ByteSource, sb: Superblock): LogRing {
  if (sb.logStart === 0) throw new GrtError('UNSUPPORTED', 'the XFS log is on an external device', { structure: 'xfs log' });
  const start = fsBlockToByte(sb, sb.logStart);
  const blocks = Math.floor((sb.logBlocks * sb.blockSize) / BASIC_BLOCK);
  if (blocks < 2 || start + blocks * BASIC_BLOCK > source.size) {
    throw new GrtError('BAD_HEADER', `XFS log of ${sb.logBlocks} blocks does not fit the volume`, { structure: 'xfs log', offset: SB_LOGSTART_OFFSET, space: 'volume' });
  }
  return { source, start, blocks };
}

/** The volume byte offset of log block `block`. */
export function logBlockByte(ring: LogRing, block: number): number {
  return ring.start + (block % ring.blocks) * BASIC_BLOCK;
}

/** The volume byte offset of byte `at` of a record's data (after its header blocks, wrapping the ring). */
export function recordDataByte(ring: LogRing, header: RecordHeader, at: number): number {
  return logBlockByte(ring, header.block + header.headerBlocks + Math.floor(at / BASIC_BLOCK)) + (at % BASIC_BLOCK);
}

/** `count` basic blocks from `first`, wrapping at the end of the ring. */
export async function ringBlocks(ring: LogRing, first: number, count: number): Promise<Uint8Array> {
  const head = Math.min(count, ring.blocks - first);
  const part = await ring.source.read(ring.start + first * BASIC_BLOCK, head * BASIC_BLOCK);
  if (head === count) return part;
  const out = new Uint8Array(count * BASIC_BLOCK);
  out.set(part);
  out.set(await ring.source.read(ring.start, (count - head) * BASIC_BLOCK), part.length);
  return out;
}

function lsnAt(view: DataView, offset: number): Lsn {
  return { cycle: view.getUint32(offset), block: view.getUint32(offset + 4) };
}

/** The header at `block`, or undefined when the block holds none. */
export async function recordHeader(ring: LogRing, block: number): Promise<RecordHeader | undefined> {
  const bytes = await ringBlocks(ring, block, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== RECORD_MAGIC) return undefined;
  const version = view.getUint32(8);
  const length = view.getUint32(12);
  const size = view.getUint32(320);
  const headerBlocks = version & VERSION_2 ? Math.max(1, Math.ceil(size / HEADER_CYCLE_SIZE)) : 1;
  if (length > MAX_RECORD_BYTES || headerBlocks > MAX_RECORD_BYTES / HEADER_CYCLE_SIZE) {
    throw new GrtError('BAD_RECORD', `XFS log record at block ${block}: ${length} bytes, ${headerBlocks} header blocks`, {
      structure: 'xfs log record', offset: logBlockByte(ring, block) + HEADER_LENGTH_OFFSET, space: 'volume',
    });
  }
  return {
    block, headerBlocks, length,
    cycle: view.getUint32(4),
    lsn: lsnAt(view, 16),
    tail: lsnAt(view, 24),
    crc: view.getUint32(HEADER_CRC_OFFSET),
    operations: view.getUint32(40),
    format: view.getUint32(300),
  };
}

/** The cycle a block was written in. */
async function cycleAt(ring: LogRing, block: number): Promise<number> {
  const bytes = await ringBlocks(ring, block, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(0) === RECORD_MAGIC ? view.getUint32(4) : view.getUint32(0);
}

/**
 * The head: the first block not written in the newest cycle. Block 0 carries the newest cycle
 * (the ring is written from block 0 on each pass), so a binary search finds where it changes.
 * Undefined when the log was never written.
 */
export async function findHead(ring: LogRing): Promise<{ block: number; cycle: number } | undefined> {
  const cycle = await cycleAt(ring, 0);
  if (cycle === 0) return undefined;
  if ((await cycleAt(ring, ring.blocks - 1)) === cycle) return { block: 0, cycle: cycle + 1 };
  let low = 0;
  let high = ring.blocks - 1;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if ((await cycleAt(ring, middle)) === cycle) low = middle;
    else high = middle;
  }
  return { block: high, cycle };
}

/** The last record header before `head` (searching back at most one record's length). */
export async function lastRecord(ring: LogRing, head: number): Promise<RecordHeader | undefined> {
  const span = MAX_RECORD_BYTES / BASIC_BLOCK + MAX_RECORD_BYTES / HEADER_CYCLE_SIZE;
  for (let back = 1; back <= Math.min(span, ring.blocks); back++) {
    const header = await recordHeader(ring, (head - back + ring.blocks) % ring.blocks);
    if (header) return header;
  }
  return undefined;
}

/** Basic blocks a record takes in the ring, header included. */
export function recordBlocks(header: RecordHeader): number {
  return header.headerBlocks + Math.ceil(header.length / BASIC_BLOCK);
}

/**
 * A record's operations as written: its data with each block's first word restored from the
 * cycle data of the header blocks. `crcMatches` is undefined when the record carries no CRC
 * (mkfs and old kernels write 0).
 */
export async function recordData(ring: LogRing, header: RecordHeader): Promise<{ data: Uint8Array; crcMatches: boolean | undefined }> {
  const headers = await ringBlocks(ring, header.block, header.headerBlocks);
  const dataBlocks = Math.ceil(header.length / BASIC_BLOCK);
  const first = (header.block + header.headerBlocks) % ring.blocks;
  const data = (await ringBlocks(ring, first, dataBlocks)).slice(0, header.length);
  const crcMatches = header.crc === 0 ? undefined : recordCrcMatches(headers, data);
  const view = new DataView(headers.buffer, headers.byteOffset, headers.byteLength);
  for (let i = 0; i * BASIC_BLOCK < data.length; i++) {
    const headerBlock = Math.floor(i / CYCLE_WORDS);
    // Block 0's cycle data follows 44 bytes of header; an extension block's follows xh_cycle.
    const wordAt = headerBlock * BASIC_BLOCK + (headerBlock === 0 ? 44 : 4) + (i % CYCLE_WORDS) * 4;
    const word = view.getUint32(wordAt);
    const at = i * BASIC_BLOCK;
    const room = Math.min(4, data.length - at);
    for (let k = 0; k < room; k++) data[at + k] = (word >>> (24 - 8 * k)) & 0xff;
  }
  return { data, crcMatches };
}

/** xlog_cksum: the header (h_crc as zeros), each extension block, then the packed data. */
function recordCrcMatches(headers: Uint8Array, data: Uint8Array): boolean {
  return HEADER_CRC_SPANS.some((span) => {
    const covered = new Uint8Array(span + headers.length - BASIC_BLOCK + data.length);
    covered.set(headers.subarray(0, span));
    covered.set(headers.subarray(BASIC_BLOCK), span);
    covered.set(data, span + headers.length - BASIC_BLOCK);
    return xfsCrcMatches(covered, HEADER_CRC_OFFSET);
  });
}
