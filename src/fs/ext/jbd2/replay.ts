/**
 * jbd2 recovery in memory: find the committed transactions of the log, collect their revoke
 * records, and map every block they wrote (unless a transaction at or after it revoked the block)
 * to its copy in the journal. The result is an overlay the volume reads through; nothing is written.
 *
 * Source: "ext4 Data Structures and Algorithms", section "Journal (jbd2)", and the three passes
 * the jbd2 recovery documentation describes (scan for the end of the log, collect revokes, replay):
 * a transaction counts only once its commit block is found; the log ends at the first block whose
 * magic or sequence number is not the expected one; sequence numbers wrap at 2^32.
 */
import { GrtError, type GrtWarning } from '../../../errors.js';
import type { BlockReader, OverlayBlock } from '../block-reader.js';
import { parseDescriptor, parseRevoke } from './log-blocks.js';
import { BLOCK_TYPE, JBD2_MAGIC, journalHeader, parseJournalSuperblock, type JournalSuperblock } from './journal-superblock.js';

/**
 * Log blocks walked: 2^21 blocks (8 GiB of log with 4 KiB blocks) is past any journal mke2fs makes
 * (at most 2^30 bytes by default), and bounds the overlay map the same way.
 */
export const MAX_LOG_BLOCKS = 1 << 21;
/** Revoke records kept: a revoke storm beyond this stops the replay (LIMIT_EXCEEDED). */
export const MAX_REVOKE_RECORDS = 1 << 20;

export interface ReplayResult {
  overlay: Map<number, OverlayBlock>;
  /** Committed transactions replayed. */
  transactions: number;
  superblock: JournalSuperblock;
}

interface Transaction {
  sequence: number;
  writes: { blockNumber: number; journalBlock: number; escaped: boolean }[];
  revokes: number[];
}

/** a after b in jbd2's wrapping 32-bit sequence order (the kernel's tid_gt). */
export function sequenceAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

interface Log {
  reader: BlockReader;
  /** Volume block number of journal block n. */
  volumeBlock: (journalBlock: number) => number;
  sb: JournalSuperblock;
}

async function logBlock(log: Log, journalBlock: number): Promise<Uint8Array> {
  return log.reader.blocks(log.volumeBlock(journalBlock), 1, 'jbd2 log block');
}

/** Pass 1 (scan): the committed transactions from s_start, in order. */
async function scan(log: Log): Promise<Transaction[]> {
  const { sb } = log;
  const logLength = sb.maxLength - sb.first;
  const wrap = (block: number): number => (block >= sb.maxLength ? block - logLength : block);
  const committed: Transaction[] = [];
  let current: Transaction = { sequence: sb.sequence, writes: [], revokes: [] };
  let block = sb.start;
  let revokeCount = 0;
  for (let walked = 0; walked < Math.min(logLength, MAX_LOG_BLOCKS); walked++) {
    const bytes = await logBlock(log, block);
    const header = journalHeader(bytes);
    if (header.magic !== JBD2_MAGIC || header.sequence !== current.sequence) break;
    block = wrap(block + 1);
    if (header.blockType === BLOCK_TYPE.descriptor) {
      for (const tag of parseDescriptor(bytes, sb.incompat)) {
        current.writes.push({ blockNumber: tag.blockNumber, journalBlock: block, escaped: tag.escaped });
        block = wrap(block + 1);
        walked++;
      }
    } else if (header.blockType === BLOCK_TYPE.revoke) {
      const revoked = parseRevoke(bytes, sb.incompat);
      revokeCount += revoked.length;
      if (revokeCount > MAX_REVOKE_RECORDS) {
        throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_REVOKE_RECORDS} jbd2 revoke records`, { structure: 'jbd2 revoke block' });
      }
      current.revokes.push(...revoked);
    } else if (header.blockType === BLOCK_TYPE.commit) {
      committed.push(current);
      current = { sequence: (current.sequence + 1) >>> 0, writes: [], revokes: [] };
    } else {
      break;
    }
  }
  return committed;
}

/**
 * Replay the journal whose blocks `volumeBlock` maps (journal block → volume block; it must throw
 * a GrtError for blocks outside the journal). Writes to blocks outside the volume are dropped
 * with a warning.
 */
export async function replayJournal(reader: BlockReader, volumeBlock: (journalBlock: number) => number, journalBlocks: number, warnings: GrtWarning[]): Promise<ReplayResult> {
  const superOffset = volumeBlock(0);
  const sb = parseJournalSuperblock(await reader.blocks(superOffset, 1, 'jbd2 superblock'), reader.blockSize, journalBlocks, superOffset * reader.blockSize);
  const overlay = new Map<number, OverlayBlock>();
  if (sb.start === 0) return { overlay, transactions: 0, superblock: sb };
  const transactions = await scan({ reader, volumeBlock, sb });
  // Pass 2: the newest transaction that revoked each block.
  const revokedBy = new Map<number, number>();
  for (const transaction of transactions) {
    for (const blockNumber of transaction.revokes) {
      const before = revokedBy.get(blockNumber);
      if (before === undefined || sequenceAfter(transaction.sequence, before)) revokedBy.set(blockNumber, transaction.sequence);
    }
  }
  // Pass 3: later transactions win; a revoke by the same or a later transaction cancels a write.
  let outside = 0;
  for (const transaction of transactions) {
    for (const write of transaction.writes) {
      const revoked = revokedBy.get(write.blockNumber);
      if (revoked !== undefined && !sequenceAfter(transaction.sequence, revoked)) continue;
      if (write.blockNumber >= reader.blockCount) {
        outside++;
        continue;
      }
      overlay.set(write.blockNumber, { journalBlockNumber: volumeBlock(write.journalBlock), escaped: write.escaped });
    }
  }
  if (outside > 0) warnings.push({ code: 'BAD_TABLE', message: `jbd2: ${outside} journaled blocks lie outside the volume and were not replayed` });
  return { overlay, transactions: transactions.length, superblock: sb };
}
