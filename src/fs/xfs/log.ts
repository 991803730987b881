/**
 * Whether the internal log was cleanly unmounted (XFS Algorithms & Data Structures "Journaling
 * Log"; the kernel's xlog_find_head and xlog_check_unmount_rec). grt does not replay the log, so
 * a volume whose last log record is not an unmount record may lack its most recent changes.
 *
 * The log is a ring of 512-byte basic blocks, each stamped with the cycle (pass) it was written
 * in: a record header holds it at byte 4 after the FEEDBABE magic, every other block at byte 0.
 * Block 0 carries the newest cycle, so the head is the first block whose cycle differs from it.
 */
import type { ByteSource } from '../../io/byte-source.js';
import { fsBlockToByte, type Superblock } from './superblock.js';

const BASIC_BLOCK = 512;
const RECORD_MAGIC = 0xfeedbabe;
/** A record is at most 256 KiB of data (XLOG_MAX_RECORD_BSIZE) plus its header blocks. */
const MAX_RECORD_BLOCKS = 256 * 1024 / BASIC_BLOCK + 64;
/** v2 headers take one basic block per 32 KiB of record (XLOG_HEADER_CYCLE_SIZE). */
const HEADER_CYCLE_SIZE = 32 * 1024;
/** xlog_op_header.oh_flags: this operation is the unmount record. */
const UNMOUNT_TRANS = 0x20;

export type LogState = { clean: true } | { clean: false; reason: string } | { clean: undefined; reason: string };

export async function logState(source: ByteSource, sb: Superblock): Promise<LogState> {
  if (sb.logStart === 0) return { clean: undefined, reason: 'the log is on an external device' };
  const start = fsBlockToByte(sb, sb.logStart);
  const blocks = Math.floor((sb.logBlocks * sb.blockSize) / BASIC_BLOCK);
  if (blocks < 2 || start + blocks * BASIC_BLOCK > source.size) return { clean: undefined, reason: `log of ${sb.logBlocks} blocks does not fit the volume` };
  const sector = (index: number): Promise<DataView> =>
    source.read(start + index * BASIC_BLOCK, BASIC_BLOCK).then((b) => new DataView(b.buffer, b.byteOffset, b.byteLength));
  const cycleAt = async (index: number): Promise<number> => {
    const view = await sector(index);
    return view.getUint32(0) === RECORD_MAGIC ? view.getUint32(4) : view.getUint32(0);
  };
  const firstCycle = await cycleAt(0);
  if (firstCycle === 0) return { clean: undefined, reason: 'the log was never written' };
  // Binary search for the head: cycleAt(low) === firstCycle, cycleAt(high) !== firstCycle.
  let low = 0;
  let high = blocks;
  if ((await cycleAt(blocks - 1)) !== firstCycle) {
    high = blocks - 1;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if ((await cycleAt(middle)) === firstCycle) low = middle;
      else high = middle;
    }
  }
  const head = high;
  for (let index = head - 1; index >= 0 && index >= head - MAX_RECORD_BLOCKS; index--) {
    const view = await sector(index);
    if (view.getUint32(0) !== RECORD_MAGIC) continue;
    if (view.getUint32(4) !== firstCycle) break;
    const version = view.getUint32(8);
    const headerBlocks = version === 2 ? Math.max(1, Math.ceil(view.getUint32(320) / HEADER_CYCLE_SIZE)) : 1;
    const operations = view.getUint32(40);
    if (index + headerBlocks >= blocks) break;
    const firstOperation = await sector(index + headerBlocks);
    if (operations === 1 && (firstOperation.getUint8(9) & UNMOUNT_TRANS) !== 0) return { clean: true };
    return { clean: false, reason: `the last log record (block ${index}, cycle ${firstCycle}) is not an unmount record` };
  }
  return { clean: false, reason: `no log record header before the log head (block ${head})` };
}
