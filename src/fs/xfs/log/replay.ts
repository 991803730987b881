/**
 * Log recovery in memory (XFS Algorithms & Data Structures "Journaling Log"; the kernel's
 * xlog_find_tail and xlog_do_recovery_pass): find the head and the last record; if that is an
 * unmount record the log is clean. Otherwise walk the records from the tail the last record names
 * to the head, reassemble the committed transactions, and apply them in two passes as the kernel
 * does: the first collects buffer cancellations, the second replays buffer and inode items into a
 * sector overlay, skipping buffers a later cancellation freed. Nothing is written to the image.
 */
import { GrtError, type GrtWarning } from '../../../errors.js';
import type { ByteSource } from '../../../io/byte-source.js';
import type { Superblock } from '../superblock.js';
import { bufferLsn, compareLsn } from './buffer-lsn.js';
import { bufferKey, ITEM_TYPE, itemType, parseBufferItem } from './buffer-item.js';
import { applyInodeItem, coreByteOrder, inodeIsNewer, parseInodeItem } from './inode-item.js';
import { SectorOverlay } from './overlay.js';
import { resealBuffer } from './reseal.js';
import { findHead, lastRecord, logBlockByte, logRing, recordBlocks, recordData, recordDataByte, recordHeader, type LogRing, type RecordHeader } from './ring.js';
import { TransactionAssembler, type Transaction } from './transactions.js';

/** xlog_op_header.oh_flags of the unmount record (XLOG_UNMOUNT_TRANS). */
const UNMOUNT_TRANS = 0x20;
/** h_tail_lsn in a record header. */
const TAIL_LSN_OFFSET = 24;
/**
 * Item types that change nothing grt reads: quotas, and intents/done items for freeing extents
 * and for the reverse-map and reference-count B+trees (grt reads neither free space nor those
 * trees). An inode chunk creation only initialises inodes no directory names yet; every inode a
 * later transaction uses is logged whole by its inode item. The remaining intents (bmap, xattr,
 * mapping exchange) change files: those are counted as not replayed.
 */
const IGNORED_ITEMS = new Set<number>([
  ITEM_TYPE.dquot, ITEM_TYPE.quotaOff, ITEM_TYPE.efi, ITEM_TYPE.efd, ITEM_TYPE.inodeCreate,
  0x1240, 0x1241, 0x1242, 0x1243, 0x1245, 0x1247, 0x1249, // RUI RUD CUI CUD BUD ATTRD XMD
]);

export interface LogReplay {
  /** true: unmounted cleanly; false: replayed (or could not be); undefined: never written / external. */
  clean: boolean | undefined;
  reason: string;
  transactions: number;
  overlay: SectorOverlay;
  /** Items not replayed, by type: unfinished bmap, xattr and mapping-exchange intents, undecodable inode cores. */
  skipped: Map<string, number>;
}

function result(source: ByteSource, clean: boolean | undefined, reason: string): LogReplay {
  return { clean, reason, transactions: 0, overlay: new SectorOverlay(source), skipped: new Map() };
}

export async function replayLog(source: ByteSource, sb: Superblock, warnings: GrtWarning[]): Promise<LogReplay> {
  if (sb.logStart === 0) return result(source, undefined, 'the log is on an external device');
  const ring = logRing(source, sb);
  const head = await findHead(ring);
  if (!head) return result(source, undefined, 'the log was never written');
  const last = await lastRecord(ring, head.block);
  if (!last) throw new GrtError('BAD_RECORD', `no XFS log record header before the log head (block ${head.block})`, { structure: 'xfs log', offset: logBlockByte(ring, head.block), space: 'volume' });
  const { data } = await recordData(ring, last);
  if (last.operations === 1 && data.length >= 12 && (data[9]! & UNMOUNT_TRANS) !== 0) return result(source, true, 'unmounted cleanly');
  const replay = result(source, false, `the last log record (block ${last.block}, cycle ${last.cycle}) is not an unmount record`);
  const cancelled = new Map<string, number>();
  await walkCommitted(ring, last, head.block, warnings, (transaction) => {
    for (const item of transaction.items) {
      if (item.total === 0 || itemType(item, transaction.littleEndian) !== ITEM_TYPE.buffer) continue;
      const buffer = parseBufferItem(item, transaction.littleEndian);
      if (buffer.cancel) cancelled.set(bufferKey(buffer), (cancelled.get(bufferKey(buffer)) ?? 0) + 1);
    }
  });
  // The first walk warned about damage already; the second replays what it accepted.
  replay.transactions = await walkCommitted(ring, last, head.block, [], (transaction) => applyTransaction(transaction, sb, replay, cancelled));
  return replay;
}

/**
 * Hands each committed transaction to `visit`, in log order, from the tail `last` names to `head`. A record
 * that is missing, of the wrong cycle or fails its CRC ends the walk with a warning (the kernel
 * treats such a record near the head as a torn write).
 */
async function walkCommitted(ring: LogRing, last: RecordHeader, head: number, warnings: GrtWarning[], visit: (t: Transaction) => Promise<void> | void): Promise<number> {
  const assembler = new TransactionAssembler();
  let { block, cycle } = last.tail;
  const tailAt = logBlockByte(ring, last.block) + TAIL_LSN_OFFSET;
  let committed = 0;
  if (block >= ring.blocks) throw new GrtError('BAD_RECORD', `XFS log tail at block ${block} past the log`, { structure: 'xfs log', offset: tailAt, space: 'volume' });
  for (let walked = 0; block !== head; ) {
    const header = await recordHeader(ring, block);
    const stop = !header ? 'no record header' : header.cycle !== cycle ? `cycle ${header.cycle}, expected ${cycle}` : undefined;
    if (stop || !header) {
      warnings.push({ code: 'BAD_RECORD', message: `XFS log record at block ${block}: ${stop}; replay stops there`, offset: logBlockByte(ring, block) });
      break;
    }
    const { data, crcMatches } = await recordData(ring, header);
    if (crcMatches === false) {
      warnings.push({ code: 'BAD_CHECKSUM', message: `XFS log record at block ${block}: CRC mismatch; replay stops there`, offset: logBlockByte(ring, block) });
      break;
    }
    for (const transaction of assembler.record(header, data, (at) => recordDataByte(ring, header, at))) {
      await visit(transaction);
      committed++;
    }
    const length = recordBlocks(header);
    walked += length;
    if (walked > ring.blocks) throw new GrtError('BAD_RECORD', 'XFS log records run past the whole log', { structure: 'xfs log', offset: logBlockByte(ring, block), space: 'volume' });
    block += length;
    if (block >= ring.blocks) {
      block -= ring.blocks;
      cycle++;
    }
  }
  return committed;
}

function count(counts: Map<string, number>, name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
}

async function applyTransaction(transaction: Transaction, sb: Superblock, replay: LogReplay, cancelled: Map<string, number>): Promise<void> {
  const { littleEndian, lsn } = transaction;
  const items = transaction.items.filter((item) => item.total > 0);
  // Buffers first, then inodes: an inode item is newer than the cluster buffer it lives in.
  for (const item of items) {
    if (itemType(item, littleEndian) !== ITEM_TYPE.buffer) continue;
    const buffer = parseBufferItem(item, littleEndian);
    const key = bufferKey(buffer);
    const cancels = cancelled.get(key);
    if (buffer.cancel) {
      if (cancels !== undefined && cancels <= 1) cancelled.delete(key);
      else if (cancels !== undefined) cancelled.set(key, cancels - 1);
      continue;
    }
    if (cancels !== undefined || buffer.skip) continue;
    const byteOffset = buffer.daddr * 512;
    const bytes = await replay.overlay.read(byteOffset, buffer.lengthBlocks * 512);
    // A v5 block already at or past this transaction holds its change (xlog_recover_buf_commit_pass2).
    const blockLsn = bufferLsn(bytes, buffer.bufferType, sb);
    if (blockLsn && compareLsn(blockLsn, lsn) >= 0) continue;
    for (const chunk of buffer.chunks) bytes.set(chunk.bytes, chunk.byteOffset);
    resealBuffer(bytes, sb);
    await replay.overlay.write(byteOffset, bytes);
  }
  for (const item of items) {
    const type = itemType(item, littleEndian);
    if (type === ITEM_TYPE.buffer || IGNORED_ITEMS.has(type)) continue;
    if (type !== ITEM_TYPE.inode) {
      count(replay.skipped, `item type 0x${type.toString(16)}`);
      continue;
    }
    const inodeItem = parseInodeItem(item, littleEndian, sb);
    const order = coreByteOrder(inodeItem);
    if (!order) {
      count(replay.skipped, 'inode item with a core in neither byte order');
      continue;
    }
    const inode = await replay.overlay.read(inodeItem.byteOffset, sb.inodeSize);
    if (inodeIsNewer(inode, inodeItem, order.littleEndian, sb, lsn)) continue;
    applyInodeItem(inodeItem, order.littleEndian, sb, lsn, inode);
    await replay.overlay.write(inodeItem.byteOffset, inode);
  }
}
