/**
 * The ext4 fast-commit area (COMPAT_FAST_COMMIT, JBD2_FEATURE_INCOMPAT_FAST_COMMIT): the blocks
 * after the main log hold logical changes (inode updates, added and removed names and ranges)
 * made after the last full commit. This scans the area the way recovery does and hands back the
 * tags of every valid fast commit, in order; fast-commit-overlay.ts applies them.
 *
 * Source: the kernel's "ext4 Data Structures and Algorithms", section "Fast Commits", and
 * fs/ext4/fast_commit.h (the same file as e2fsprogs' lib/ext2fs/fast_commit.h): a block is a list
 * of little-endian tag-length-value records (struct ext4_fc_tl: fc_tag u16, fc_len u16, then
 * fc_len bytes), never split across blocks (a PAD tag fills the rest of a block). Tags: ADD_RANGE
 * 1 (fc_ino u32, a 12-byte struct ext4_extent), DEL_RANGE 2 (fc_ino, fc_lblk, fc_len u32s),
 * CREAT 3 / LINK 4 / UNLINK 5 (fc_parent_ino, fc_ino u32s, the name), INODE 6 (fc_ino, the raw
 * inode), PAD 7, TAIL 8 (fc_tid, fc_crc u32s), HEAD 9 (fc_features, fc_tid u32s).
 *
 * Which fast commits count (the kernel's and e2fsck's ext4_fc_replay_scan, fed by jbd2's
 * fc_do_one_pass from block j_last + 1 on): the area's first block must start with a HEAD whose
 * fc_tid is the transaction the full-commit log ended at and whose fc_features are 0. Each TAIL
 * closes one fast commit: it is valid when its fc_tid is that transaction and its fc_crc is the
 * crc32c, from 0 (the raw register), of every tag since the previous tail, the TAIL's own tag,
 * length and fc_tid included. The scan stops at the first tail that fails, unknown tag or HEAD of
 * another transaction; the fast commits before it are replayed, in order. An area whose HEAD is
 * of another transaction was left by an older one: the kernel stops there and replays the full
 * commits (e2fsck 1.47 gives up the whole journal instead); grt follows the kernel, silently.
 */
import { GrtError, type GrtWarning } from '../../../errors.js';
import { crc32cRaw } from '../../../util/crc32c.js';
import { u16le, u32le } from '../../../util/little-endian.js';
import { decodeExtent, type Extent } from '../extent-tree.js';
import type { JournalLog } from './journal-superblock.js';

const TAG = { addRange: 1, delRange: 2, creat: 3, link: 4, unlink: 5, inode: 6, pad: 7, tail: 8, head: 9 } as const;
/** sizeof(struct ext4_fc_tl). */
const TL_BYTES = 4;
/** sizeof(struct ext4_fc_head) and of struct ext4_fc_tail. */
const HEAD_BYTES = 8;
const TAIL_BYTES = 8;
/** sizeof(struct ext4_fc_add_range), of struct ext4_fc_del_range and of struct ext4_fc_dentry_info. */
const ADD_RANGE_BYTES = 16;
const DEL_RANGE_BYTES = 12;
const DENTRY_INFO_BYTES = 8;
/** EXT4_NAME_LEN: the longest name a directory entry holds. */
const MAX_NAME_BYTES = 255;
/** EXT4_GOOD_OLD_INODE_SIZE: an INODE tag logs at least the 128-byte inode (ext4_fc_value_len_isvalid). */
const MIN_INODE_BYTES = 128;
/** EXT4_FC_SUPPORTED_FEATURES: no fc_features bit is defined yet. */
const SUPPORTED_FEATURES = 0;
/**
 * Fast-commit blocks read: mke2fs sizes the area at 1/64 of the journal (256 blocks by default,
 * 4,096 for a 1 GiB journal of 4 KiB blocks, 2^14 with 1 KiB blocks); fast commits that go on
 * past 2^14 blocks are refused.
 */
export const MAX_FAST_COMMIT_BLOCKS = 1 << 14;
/**
 * Tags kept for replay, and the bytes of their values (copied out of the blocks): one fsync's
 * changes fill a few blocks, the default area holds 256; 2^16 tags and 16 MiB keep a hostile
 * area's replay (each INODE tag becomes an inode copy of up to 1 KiB) to tens of MiB.
 */
export const MAX_FAST_COMMIT_TAGS = 1 << 16;
export const MAX_FAST_COMMIT_BYTES = 16 * 1024 * 1024;

/** CREAT, LINK or UNLINK: a name in directory `parent` for `inode`. */
export interface DentryTag { kind: 'creat' | 'link' | 'unlink'; parent: number; inode: number; name: Uint8Array }

export type FastCommitTag =
  | { kind: 'inode'; inode: number; raw: Uint8Array }
  | { kind: 'addRange'; inode: number; extent: Extent }
  | { kind: 'delRange'; inode: number; logicalBlock: number; count: number }
  | DentryTag;

export interface FastCommitScan {
  /** Tags of the valid fast commits, in log order (HEAD, PAD and TAIL left out). */
  tags: FastCommitTag[];
  /** Valid fast commits (tails) found. */
  commits: number;
  /** Why the first fast commit of the expected transaction cannot be replayed, if it cannot. */
  problem?: string;
}

/** One tag's record, or why it is not one recovery accepts (its length is checked as the kernel's ext4_fc_value_len_isvalid). */
function parseTag(tag: number, value: Uint8Array): FastCommitTag | 'skip' | string {
  const length = value.length;
  switch (tag) {
    case TAG.pad: return 'skip';
    case TAG.addRange:
      return length === ADD_RANGE_BYTES ? { kind: 'addRange', inode: u32le(value, 0), extent: decodeExtent(value, 4) } : `ADD_RANGE of ${length} bytes`;
    case TAG.delRange:
      return length === DEL_RANGE_BYTES ? { kind: 'delRange', inode: u32le(value, 0), logicalBlock: u32le(value, 4), count: u32le(value, 8) } : `DEL_RANGE of ${length} bytes`;
    case TAG.creat: case TAG.link: case TAG.unlink: {
      const nameBytes = length - DENTRY_INFO_BYTES;
      if (nameBytes < 1 || nameBytes > MAX_NAME_BYTES) return `directory entry tag with a name of ${nameBytes} bytes`;
      const kind = tag === TAG.creat ? 'creat' : tag === TAG.link ? 'link' : 'unlink';
      return { kind, parent: u32le(value, 0), inode: u32le(value, 4), name: value.slice(DENTRY_INFO_BYTES) };
    }
    case TAG.inode:
      return length >= 4 + MIN_INODE_BYTES ? { kind: 'inode', inode: u32le(value, 0), raw: value.slice(4) } : `INODE of ${length} bytes`;
    default: return `unknown tag ${tag}`;
  }
}

interface ScanState {
  expectedTid: number;
  accepted: FastCommitTag[];
  pending: FastCommitTag[];
  commits: number;
  crc: number;
  /** Bytes of the tag values kept. */
  bytes: number;
}

/**
 * Walk one block's tags. Returns undefined to go on with the next block, or the reason the scan
 * ends here ('' for a normal end: a HEAD of another transaction, an unused block).
 */
function scanBlock(block: Uint8Array, state: ScanState): string | undefined {
  // NOTE: recovery walks while cur < block end − 1, so a block's last byte never starts a tag.
  for (let at = 0; at < block.length - 1;) {
    // Fewer bytes than a tag header left: the kernel goes on with the next block.
    if (at + TL_BYTES > block.length) break;
    const tag = u16le(block, at);
    const length = u16le(block, at + 2);
    const end = at + TL_BYTES + length;
    if (end > block.length) return `tag ${tag} of ${length} bytes past the block`;
    const value = block.subarray(at + TL_BYTES, end);
    if (tag === TAG.head) {
      if (length !== HEAD_BYTES) return `HEAD of ${length} bytes`;
      // A HEAD of an older transaction: an area the kernel has not written since (stale).
      if (u32le(value, 4) !== state.expectedTid) return '';
      if (u32le(value, 0) & ~SUPPORTED_FEATURES) return `fast-commit features 0x${u32le(value, 0).toString(16)} unknown`;
      state.crc = crc32cRaw(state.crc, block, at, end);
    } else if (tag === TAG.tail) {
      if (length < TAIL_BYTES) return `TAIL of ${length} bytes`;
      state.crc = crc32cRaw(state.crc, block, at, at + TL_BYTES + 4);
      if (u32le(value, 0) !== state.expectedTid) return `TAIL for transaction ${u32le(value, 0)}`;
      if (u32le(value, 4) !== state.crc) return 'checksum does not match';
      state.accepted.push(...state.pending);
      state.pending = [];
      state.commits++;
      state.crc = 0;
    } else {
      const parsed = parseTag(tag, value);
      if (typeof parsed === 'string' && parsed !== 'skip') return parsed;
      if (parsed !== 'skip') {
        state.pending.push(parsed);
        state.bytes += length;
      }
      if (state.accepted.length + state.pending.length > MAX_FAST_COMMIT_TAGS || state.bytes > MAX_FAST_COMMIT_BYTES) {
        throw new GrtError('LIMIT_EXCEEDED', `fast-commit tags past ${MAX_FAST_COMMIT_TAGS} or ${MAX_FAST_COMMIT_BYTES} bytes`, { structure: 'ext4 fast-commit area' });
      }
      state.crc = crc32cRaw(state.crc, block, at, end);
    }
    at = end;
  }
  return undefined;
}

/**
 * The fast commits that continue the log ending at `endSequence` (a GrtError for fast commits
 * going on past MAX_FAST_COMMIT_BLOCKS). `problem` is set when the area holds a fast commit of
 * that transaction but not one valid: the kernel then refuses to mount and e2fsck drops the whole
 * journal; grt keeps the full commits, replays no fast commit and warns.
 */
export async function scanFastCommits(log: JournalLog, endSequence: number): Promise<FastCommitScan> {
  const { sb } = log;
  // The kernel's first fast-commit block is j_last + 1: one past the log's end.
  const first = sb.logEnd + 1;
  const end = Math.min(sb.maxLength, first + MAX_FAST_COMMIT_BLOCKS);
  const state: ScanState = { expectedTid: endSequence, accepted: [], pending: [], commits: 0, crc: 0, bytes: 0 };
  let stop: string | undefined;
  for (let journalBlock = first; journalBlock < end && stop === undefined; journalBlock++) {
    const block = await log.reader.blocks(log.volumeBlock(journalBlock), 1, 'jbd2 fast-commit block');
    // An area that does not start with a HEAD of this transaction holds no fast commit for it.
    if (journalBlock === first && (u16le(block, 0) !== TAG.head || u32le(block, TL_BYTES + 4) !== endSequence)) return { tags: [], commits: 0 };
    stop = scanBlock(block, state);
  }
  if (stop === undefined && end < sb.maxLength) {
    throw new GrtError('LIMIT_EXCEEDED', `fast commits go on past ${MAX_FAST_COMMIT_BLOCKS} blocks`, { structure: 'ext4 fast-commit area' });
  }
  const result: FastCommitScan = { tags: state.accepted, commits: state.commits };
  if (state.commits === 0 && stop !== '') result.problem = stop ?? 'no TAIL closes it';
  return result;
}

/** The warning for a fast commit of the expected transaction that is not replayed. */
export function fastCommitProblem(endSequence: number, problem: string): GrtWarning {
  return {
    code: 'FAST_COMMIT_NOT_REPLAYED',
    message: `ext4 fast commit for transaction ${endSequence} not replayed (${problem}), so the newest changes (made just before the backup) may be missing`,
  };
}
