/**
 * jbd2 recovery in memory: find the committed transactions of the log, collect their revoke
 * records, and map every block they wrote (unless a transaction at or after it revoked the block)
 * to its copy in the journal. The result is an overlay the volume reads through; nothing is written.
 *
 * Source: "ext4 Data Structures and Algorithms", section "Journal (jbd2)", and the three passes
 * the jbd2 recovery documentation describes (scan for the end of the log, collect revokes, replay):
 * a transaction counts only once its commit block is found; the log ends at the first block whose
 * magic or sequence number is not the expected one; sequence numbers wrap at 2^32. With checksums
 * v2/v3, a transaction whose descriptor, revoke or commit block or any logged block fails its
 * checksum ends the log there (the kernel's recovery stops at that transaction too): it and the
 * ones after it are not replayed, and a warning says so. With checksum v1 the same holds for a
 * commit block whose CRC-32 over the transaction's descriptor and logged blocks does not match.
 */
import { GrtError, isGrtError, type GrtWarning } from '../../../errors.js';
import type { BlockReader, OverlayBlock } from '../block-reader.js';
import { blockTailMatches, commitChecksumMatches, commitChecksumV1Matches, crc32Be, tagChecksumMatches, V1_CHECKSUM_START } from './checksums.js';
import { type FastCommitScan, fastCommitProblem, scanFastCommits } from './fast-commit.js';
import { type BlockTag, parseDescriptor, parseRevoke } from './log-blocks.js';
import {
  BLOCK_TYPE, JBD2_MAGIC, JOURNAL_COMPAT, JOURNAL_INCOMPAT, hasChecksumV2orV3, journalHeader, parseJournalSuperblock, type JournalLog, type JournalSuperblock,
} from './journal-superblock.js';

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
  /** The valid fast commits after the log, when the journal has a fast-commit area. */
  fastCommits?: FastCommitScan;
}

interface Transaction {
  sequence: number;
  writes: { blockNumber: number; journalBlock: number; escaped: boolean }[];
  revokes: number[];
  /** The first of its blocks whose checksum failed, if any. */
  damage?: string;
  /** Checksum v1: the CRC-32 of its descriptor and logged blocks so far. */
  v1Sum: number;
}

/** a after b in jbd2's wrapping 32-bit sequence order (the kernel's tid_gt). */
export function sequenceAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}


async function logBlock(log: JournalLog, journalBlock: number): Promise<Uint8Array> {
  return log.reader.blocks(log.volumeBlock(journalBlock), 1, 'jbd2 log block');
}

/** The first logged block of a descriptor whose tag checksum fails, or undefined. */
async function badTag(log: JournalLog, logged: readonly { tag: BlockTag; journalBlock: number }[], sequence: number): Promise<string | undefined> {
  const v3 = (log.sb.incompat & JOURNAL_INCOMPAT.csumV3) !== 0;
  for (const { tag, journalBlock } of logged) {
    if (!tagChecksumMatches(tag.checksum, sequence, await logBlock(log, journalBlock), log.sb.checksumSeed, v3)) return `logged copy of block ${tag.blockNumber}`;
  }
  return undefined;
}

/** Checksum v1: `sum` carried over a descriptor block and the blocks it logged, as stored. */
async function v1Sum(log: JournalLog, descriptor: Uint8Array, logged: readonly { journalBlock: number }[], sum: number): Promise<number> {
  let crc = crc32Be(sum, descriptor);
  for (const { journalBlock } of logged) crc = crc32Be(crc, await logBlock(log, journalBlock));
  return crc;
}

/** Pass 1 (scan): the committed transactions from s_start, in order, and the sequence the log ends at. */
async function scan(log: JournalLog, warnings: GrtWarning[]): Promise<{ committed: Transaction[]; endSequence: number }> {
  const { sb } = log;
  const checked = hasChecksumV2orV3(sb.incompat);
  // v2/v3 supersede v1 (the kernel clears COMPAT_CHECKSUM when it sets them).
  const checkedV1 = !checked && (sb.compat & JOURNAL_COMPAT.checksum) !== 0;
  const logLength = sb.logEnd - sb.first;
  const wrap = (block: number): number => (block >= sb.logEnd ? block - logLength : block);
  const committed: Transaction[] = [];
  let current: Transaction = { sequence: sb.sequence, writes: [], revokes: [], v1Sum: V1_CHECKSUM_START };
  let block = sb.start;
  let revokeCount = 0;
  for (let walked = 0; walked < Math.min(logLength, MAX_LOG_BLOCKS); walked++) {
    const bytes = await logBlock(log, block);
    const header = journalHeader(bytes);
    if (header.magic !== JBD2_MAGIC || header.sequence !== current.sequence) break;
    block = wrap(block + 1);
    if (header.blockType === BLOCK_TYPE.descriptor) {
      const logged = parseDescriptor(bytes, sb.incompat).map((tag) => {
        const journalBlock = block;
        block = wrap(block + 1);
        walked++;
        return { tag, journalBlock };
      });
      if (checked && current.damage === undefined) {
        current.damage = blockTailMatches(bytes, sb.checksumSeed) ? await badTag(log, logged, current.sequence) : 'descriptor block';
      }
      if (checkedV1) current.v1Sum = await v1Sum(log, bytes, logged, current.v1Sum);
      for (const { tag, journalBlock } of logged) current.writes.push({ blockNumber: tag.blockNumber, journalBlock, escaped: tag.escaped });
    } else if (header.blockType === BLOCK_TYPE.revoke) {
      if (checked && !blockTailMatches(bytes, sb.checksumSeed)) current.damage ??= 'revoke block';
      const revoked = parseRevoke(bytes, sb.incompat);
      revokeCount += revoked.length;
      if (revokeCount > MAX_REVOKE_RECORDS) {
        throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_REVOKE_RECORDS} jbd2 revoke records`, { structure: 'jbd2 revoke block' });
      }
      current.revokes.push(...revoked);
    } else if (header.blockType === BLOCK_TYPE.commit) {
      if (checked && !commitChecksumMatches(bytes, sb.checksumSeed)) current.damage ??= 'commit block';
      if (checkedV1 && !commitChecksumV1Matches(bytes, current.v1Sum)) current.damage ??= 'transaction (v1)';
      if (current.damage !== undefined) {
        warnings.push({ code: 'BAD_CHECKSUM', message: `jbd2 transaction ${current.sequence}: ${current.damage} checksum does not match; it and any later transactions are not replayed` });
        break;
      }
      committed.push(current);
      current = { sequence: (current.sequence + 1) >>> 0, writes: [], revokes: [], v1Sum: V1_CHECKSUM_START };
    } else {
      break;
    }
  }
  return { committed, endSequence: current.sequence };
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
  const log = { reader, volumeBlock, sb };
  const { committed: transactions, endSequence } = await scan(log, warnings);
  const fastCommits = sb.fastCommitBlocks > 0 ? await fastCommitsAfter(log, endSequence, warnings) : undefined;
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
  return { overlay, transactions: transactions.length, superblock: sb, fastCommits };
}

/** The fast commits after the log; a damaged area costs them (a warning), never the full commits. */
async function fastCommitsAfter(log: JournalLog, endSequence: number, warnings: GrtWarning[]): Promise<FastCommitScan | undefined> {
  try {
    const scan = await scanFastCommits(log, endSequence);
    if (scan.problem !== undefined) warnings.push(fastCommitProblem(endSequence, scan.problem));
    return scan.commits > 0 ? scan : undefined;
  } catch (error) {
    if (!isGrtError(error)) throw error;
    warnings.push(fastCommitProblem(endSequence, error.message));
    return undefined;
  }
}
