/**
 * The jbd2 journal superblock: block 0 of the journal, big-endian like every jbd2 structure.
 *
 * Source: kernel documentation "ext4 Data Structures and Algorithms", section "Journal (jbd2)":
 * journal_header_t (h_magic 0xC03B3998, h_blocktype, h_sequence); journal_superblock_t s_blocksize
 * 0x0C, s_maxlen 0x10, s_first 0x14, s_sequence 0x18, s_start 0x1C (0: the journal is clean),
 * s_feature_compat 0x24, s_feature_incompat 0x28 (REVOKE 0x1, 64BIT 0x2, ASYNC_COMMIT 0x4,
 * CSUM_V2 0x8, CSUM_V3 0x10, FAST_COMMIT 0x20), s_feature_ro_compat 0x2C, s_uuid 0x30,
 * s_num_fc_blks 0x54 (0: 256), s_checksum 0xFC. Block type 3 is a v1 superblock (no feature
 * fields), 4 a v2 one. With FAST_COMMIT the last s_num_fc_blks blocks are the fast-commit area
 * and the log wraps before them (the kernel's j_last = s_maxlen - s_num_fc_blks).
 */
import { GrtError } from '../../../errors.js';
import type { BlockReader } from '../block-reader.js';
import { JOURNAL_SUPERBLOCK_BYTES, journalChecksumSeed, superblockChecksumMatches } from './checksums.js';

export const JBD2_MAGIC = 0xc03b3998;
export const BLOCK_TYPE = { descriptor: 1, commit: 2, superblockV1: 3, superblockV2: 4, revoke: 5 } as const;
/** s_feature_compat bits: CHECKSUM is checksum v1 (a CRC-32 per transaction in its commit block). */
export const JOURNAL_COMPAT = { checksum: 0x1 } as const;
export const JOURNAL_INCOMPAT = { revoke: 0x1, is64bit: 0x2, asyncCommit: 0x4, csumV2: 0x8, csumV3: 0x10, fastCommit: 0x20 } as const;
const STRUCTURE = 'jbd2 superblock';
/** Fast-commit blocks when s_num_fc_blks is 0 (JBD2_DEFAULT_FAST_COMMIT_BLOCKS). */
const DEFAULT_FAST_COMMIT_BLOCKS = 256;
/** The kernel keeps the main log at least this long when carving out the fast-commit area (JBD2_MIN_JOURNAL_BLOCKS). */
const MIN_JOURNAL_BLOCKS = 1024;

export interface JournalSuperblock {
  blockSize: number;
  /** Blocks in the journal. */
  maxLength: number;
  /** First block of the log (after the superblock). */
  first: number;
  /** Sequence number of the first transaction to replay. */
  sequence: number;
  /** Journal block where the log starts; 0 when there is nothing to replay. */
  start: number;
  /** s_feature_compat (JOURNAL_COMPAT); 0 in a v1 superblock. */
  compat: number;
  incompat: number;
  /** One past the last block of the main log: where it wraps (s_maxlen without a fast-commit area). */
  logEnd: number;
  /** Journal blocks of the fast-commit area, [logEnd, maxLength); 0 without FAST_COMMIT. */
  fastCommitBlocks: number;
  /** j_csum_seed: crc32c of s_uuid, the start of every v2/v3 checksum. */
  checksumSeed: number;
}

/** A journal being read: its blocks through the volume's reader, mapped from journal block numbers. */
export interface JournalLog {
  reader: BlockReader;
  /** Volume block number of journal block n (a GrtError for blocks outside the journal). */
  volumeBlock: (journalBlock: number) => number;
  sb: JournalSuperblock;
}

export function hasChecksumV2orV3(incompat: number): boolean {
  return (incompat & (JOURNAL_INCOMPAT.csumV2 | JOURNAL_INCOMPAT.csumV3)) !== 0;
}

export function journalHeader(bytes: Uint8Array): { magic: number; blockType: number; sequence: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 12);
  return { magic: view.getUint32(0), blockType: view.getUint32(4), sequence: view.getUint32(8) };
}

export function parseJournalSuperblock(bytes: Uint8Array, fsBlockSize: number, journalBlocks: number, offset: number): JournalSuperblock {
  const details = { structure: STRUCTURE, offset, space: 'volume' } as const;
  const header = journalHeader(bytes);
  if (header.magic !== JBD2_MAGIC) throw new GrtError('BAD_MAGIC', 'not a jbd2 superblock', { ...details, expected: JBD2_MAGIC, actual: header.magic });
  if (header.blockType !== BLOCK_TYPE.superblockV1 && header.blockType !== BLOCK_TYPE.superblockV2) {
    throw new GrtError('BAD_HEADER', 'jbd2 superblock block type', { ...details, actual: header.blockType });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blockSize = view.getUint32(0x0c);
  const maxLength = view.getUint32(0x10);
  const first = view.getUint32(0x14);
  const compat = header.blockType === BLOCK_TYPE.superblockV2 ? view.getUint32(0x24) : 0;
  const incompat = header.blockType === BLOCK_TYPE.superblockV2 ? view.getUint32(0x28) : 0;
  if (blockSize !== fsBlockSize) throw new GrtError('BAD_HEADER', 'jbd2 block size differs from the volume', { ...details, expected: fsBlockSize, actual: blockSize });
  if (maxLength > journalBlocks || maxLength < 2) throw new GrtError('BAD_HEADER', 'jbd2 length does not fit the journal inode', { ...details, expected: `≤ ${journalBlocks}`, actual: maxLength });
  if (first === 0 || first >= maxLength) throw new GrtError('BAD_HEADER', 'jbd2 first log block out of range', { ...details, actual: first });
  const start = view.getUint32(0x1c);
  if (start !== 0 && (start < first || start >= maxLength)) throw new GrtError('BAD_HEADER', 'jbd2 log start out of range', { ...details, actual: start });
  // The kernel refuses to load a v2/v3 journal whose superblock checksum fails (load_superblock).
  if (hasChecksumV2orV3(incompat) && bytes.length >= JOURNAL_SUPERBLOCK_BYTES && !superblockChecksumMatches(bytes)) {
    throw new GrtError('BAD_CHECKSUM', 'jbd2 superblock checksum does not match', details);
  }
  let fastCommitBlocks = 0;
  if (incompat & JOURNAL_INCOMPAT.fastCommit) {
    const stored = view.getUint32(0x54) || DEFAULT_FAST_COMMIT_BLOCKS;
    // As the kernel: a journal too short to spare the area keeps its whole length for the log.
    if (stored < maxLength && maxLength - stored >= MIN_JOURNAL_BLOCKS) fastCommitBlocks = stored;
  }
  const logEnd = maxLength - fastCommitBlocks;
  if (first >= logEnd || (start !== 0 && start >= logEnd)) throw new GrtError('BAD_HEADER', 'jbd2 log start in the fast-commit area', { ...details, actual: start });
  return { blockSize, maxLength, first, sequence: view.getUint32(0x18), start, compat, incompat, logEnd, fastCommitBlocks, checksumSeed: journalChecksumSeed(bytes) };
}
