/**
 * The ext4 fast-commit area (COMPAT_FAST_COMMIT, JBD2_FEATURE_INCOMPAT_FAST_COMMIT): the last
 * s_num_fc_blks blocks of the journal hold logical changes (inode updates, added and removed
 * names and ranges) made after the last full commit. grt does not replay them; when the area holds
 * a fast commit that follows the replayed log, a warning says the newest changes may be missing.
 *
 * Source: the kernel's "ext4 Data Structures and Algorithms", section "Fast Commits", and
 * fs/ext4/fast_commit.h: a fast-commit block is a list of little-endian tag-length-value records
 * (struct ext4_fc_tl: fc_tag u16, fc_len u16); the first is EXT4_FC_TAG_HEAD (9) with
 * struct ext4_fc_head (fc_features u32, fc_tid u32). Recovery uses the area only when fc_tid is
 * the transaction the full-commit log ended at (ext4_fc_replay_scan, expected_tid).
 */
import type { GrtWarning } from '../../../errors.js';
import { u16le, u32le } from '../../../util/little-endian.js';
import type { JournalLog } from './journal-superblock.js';

const FC_TAG_HEAD = 9;
/** sizeof(struct ext4_fc_head). */
const FC_HEAD_LENGTH = 8;
/**
 * Blocks searched for the head: the kernel starts the area at j_last + 1 (one block past the
 * log's end), other writers at j_last; both are looked at.
 */
const HEAD_CANDIDATES = 2;


/** The warning for a fast commit that continues the log ending at `endSequence`, if there is one. */
export async function fastCommitWarning(log: JournalLog, endSequence: number): Promise<GrtWarning | undefined> {
  const { sb } = log;
  for (let journalBlock = sb.logEnd; journalBlock < Math.min(sb.maxLength, sb.logEnd + HEAD_CANDIDATES); journalBlock++) {
    const bytes = await log.reader.blocks(log.volumeBlock(journalBlock), 1, 'jbd2 fast-commit block');
    if (u16le(bytes, 0) !== FC_TAG_HEAD || u16le(bytes, 2) !== FC_HEAD_LENGTH) continue;
    const tid = u32le(bytes, 8);
    if (tid !== endSequence) continue;
    return {
      code: 'FAST_COMMIT_NOT_REPLAYED',
      message: `ext4 fast commit for transaction ${tid} in the journal: grt does not replay fast commits, so the newest changes (made just before the backup) may be missing`,
    };
  }
  return undefined;
}
