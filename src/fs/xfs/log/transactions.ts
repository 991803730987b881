/**
 * Transactions reassembled from the operations of log records (xfs_log_format.h xlog_op_header,
 * xfs_trans_header; the kernel's xlog_recover_process_ophdr, xlog_recover_add_to_trans and
 * xlog_recover_add_to_cont_trans). An operation is a 12-byte big-endian header and a region; a
 * transaction opens with an XLOG_START_TRANS operation, its first region is the transaction header,
 * then come log items, each a format region (whose u16 at byte 2 counts the item's regions) and
 * its data regions. A region split over two records goes on with an XLOG_WAS_CONT_TRANS operation.
 * A transaction counts only once its XLOG_COMMIT_TRANS operation is read.
 */
import { GrtError } from '../../../errors.js';
import { concatBytes } from '../../../util/concat-bytes.js';
import type { Lsn, RecordHeader } from './ring.js';

const OP_HEADER_SIZE = 12;
/** xlog_op_header.oh_flags (XLOG_*_TRANS). */
const OP = { start: 0x01, commit: 0x02, continued: 0x04, wasContinued: 0x08, end: 0x10, unmount: 0x20 } as const;
/** oh_clientid: a transaction or the log itself (XFS_TRANSACTION, XFS_LOG). */
const CLIENT_TRANSACTION = 0x69;
const CLIENT_LOG = 0xaa;
const TRANS_HEADER_SIZE = 16;
/** th_magic 'TRAN', in the byte order the log items were written in. */
const TRANS_MAGIC = 0x5452414e;
/** Regions one item may have: a 64 KiB buffer's 128-byte chunks, every other one dirty, + 1 (XLOG_MAX_REGIONS_IN_ITEM). */
const MAX_REGIONS_IN_ITEM = 65536 / 128 / 2 + 1;
/** Bytes held by transactions not yet committed: a log is at most 2 GiB, memory is bounded tighter. */
export const MAX_OPEN_BYTES = 64 * 1024 * 1024;

export interface LogItem {
  /** Regions the format region announced (0 until it is read). */
  total: number;
  regions: Uint8Array[];
  /** Volume byte offset of the item's format region in the log (where its damage is reported). */
  byteOffset: number;
}

/** The volume byte offset of a byte of the current record's data. */
export type RecordByte = (at: number) => number;

export interface Transaction {
  tid: number;
  /** LSN of the record the transaction started in (the kernel's r_lsn). */
  lsn: Lsn;
  /** Log items are in little-endian (h_fmt XLOG_FMT_LINUX_LE, or th_magic reads so), else big-endian. */
  littleEndian: boolean;
  header: Uint8Array;
  items: LogItem[];
  bytes: number;
}

function bad(header: RecordHeader, detail: string, byteOffset: number): GrtError {
  return new GrtError('BAD_RECORD', `XFS log record at block ${header.block}: ${detail}`, { structure: 'xfs log operation', offset: byteOffset, space: 'volume' });
}

/** A region's record and its volume byte offset. */
interface RegionPlace {
  header: RecordHeader;
  byteOffset: number;
}

/** Feeds records in log order; hands back the transactions each one commits. */
export class TransactionAssembler {
  private readonly open = new Map<number, Transaction>();
  private openBytes = 0;

  /** `byteOf` places the record's data bytes in the volume, for error offsets. */
  record(header: RecordHeader, data: Uint8Array, byteOf: RecordByte): Transaction[] {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const committed: Transaction[] = [];
    let at = 0;
    for (let i = 0; i < header.operations; i++) {
      const opByte = byteOf(at);
      if (at + OP_HEADER_SIZE > data.length) throw bad(header, `operation ${i} past the record's ${data.length} bytes`, opByte);
      const tid = view.getUint32(at);
      const length = view.getUint32(at + 4);
      const client = data[at + 8]!;
      const flags = data[at + 9]!;
      at += OP_HEADER_SIZE;
      if (length > data.length - at) throw bad(header, `operation ${i} of ${length} bytes past the record`, opByte);
      const region = data.slice(at, at + length);
      at += length;
      if (client !== CLIENT_TRANSACTION && client !== CLIENT_LOG) throw bad(header, `operation ${i} of client 0x${client.toString(16)}`, opByte);
      if (flags & OP.unmount) {
        this.drop(tid);
        continue;
      }
      const transaction = this.open.get(tid);
      if (!transaction) {
        // A transaction whose start lies before the tail was already on disk: skip its remnants.
        if (flags & OP.start) this.open.set(tid, { tid, lsn: header.lsn, littleEndian: header.format === 1, header: new Uint8Array(0), items: [], bytes: 0 });
        continue;
      }
      if (flags & OP.start) continue;
      let kind = flags & ~OP.end;
      if (kind & OP.wasContinued) kind &= ~OP.continued;
      const place = { header, byteOffset: opByte + OP_HEADER_SIZE };
      if (kind === 0 || kind === OP.continued) this.add(place, transaction, region, false);
      else if (kind === OP.wasContinued) this.add(place, transaction, region, true);
      else if (kind === OP.commit) {
        committed.push(transaction);
        this.drop(tid);
      } else throw bad(header, `operation ${i} with flags 0x${flags.toString(16)}`, opByte);
    }
    return committed;
  }

  private drop(tid: number): void {
    this.openBytes -= this.open.get(tid)?.bytes ?? 0;
    this.open.delete(tid);
  }

  /** Adds a region that starts at `place.byteOffset` of the volume. */
  private add(place: RegionPlace, transaction: Transaction, region: Uint8Array, continues: boolean): void {
    const { header, byteOffset } = place;
    if (region.length === 0) return;
    this.openBytes += region.length;
    transaction.bytes += region.length;
    if (this.openBytes > MAX_OPEN_BYTES) throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_OPEN_BYTES} bytes of open XFS log transactions`, { structure: 'xfs log', offset: byteOffset, space: 'volume' });
    if (transaction.items.length === 0) {
      // The transaction header comes first, maybe split over two records.
      transaction.header = concatBytes([transaction.header, region]);
      if (transaction.header.length > TRANS_HEADER_SIZE) throw bad(header, `transaction ${transaction.tid}: header of ${transaction.header.length} bytes`, byteOffset);
      if (transaction.header.length < TRANS_HEADER_SIZE) return;
      // The items are in the writing host's byte order: h_fmt names it, th_magic shows it.
      const view = new DataView(transaction.header.buffer);
      if (view.getUint32(0, transaction.littleEndian) !== TRANS_MAGIC) {
        if (view.getUint32(0, !transaction.littleEndian) !== TRANS_MAGIC) throw bad(header, `transaction ${transaction.tid}: header magic 0x${view.getUint32(0).toString(16)}`, byteOffset);
        transaction.littleEndian = !transaction.littleEndian;
      }
      transaction.items.push({ total: 0, regions: [], byteOffset: -1 });
      return;
    }
    let item = transaction.items[transaction.items.length - 1]!;
    if (continues) {
      if (item.regions.length === 0) throw bad(header, `transaction ${transaction.tid}: a continued region with nothing before it`, byteOffset);
      item.regions[item.regions.length - 1] = concatBytes([item.regions[item.regions.length - 1]!, region]);
    } else {
      if (item.total === 0 && item.regions.length > 0) {
        throw bad(header, `transaction ${transaction.tid}: item format region of ${item.regions[0]!.length} bytes`, item.byteOffset);
      }
      if (item.total !== 0 && item.regions.length === item.total) {
        item = { total: 0, regions: [], byteOffset: -1 };
        transaction.items.push(item);
      }
      if (item.regions.length === 0) item.byteOffset = byteOffset;
      item.regions.push(region);
    }
    if (item.total === 0) readRegionCount(header, transaction, item);
  }
}

/**
 * An item's region count, from its format region (the first) once 4 bytes of it are in: a region
 * may be split over records at any byte (XLOG_CONTINUE_TRANS), its header too.
 */
function readRegionCount(header: RecordHeader, transaction: Transaction, item: Transaction['items'][number]): void {
  const format = item.regions[0]!;
  if (format.length < 4) return;
  const total = new DataView(format.buffer, format.byteOffset).getUint16(2, transaction.littleEndian);
  if (total === 0 || total > MAX_REGIONS_IN_ITEM) throw bad(header, `transaction ${transaction.tid}: item of ${total} regions`, item.byteOffset);
  item.total = total;
}
