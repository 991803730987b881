/**
 * jbd2 checksums v2 and v3 (JBD2_FEATURE_INCOMPAT_CSUM_V2 / _V3): crc32c, big-endian fields,
 * seeded with crc32c(~0, s_uuid) of the journal superblock.
 *
 * Source: "ext4 Data Structures and Algorithms", section "Journal (jbd2)" (the block tail of
 * descriptor and revoke blocks, the commit block's h_chksum[0] at byte 16, the tag checksum over
 * the big-endian sequence number then the data block as logged) and the kernel's fs/jbd2
 * (jbd2_superblock_csum, jbd2_descriptor_block_csum_verify, jbd2_commit_block_csum_verify,
 * jbd2_block_tag_csum_verify): each checksum is computed with its own field counted as zeros;
 * v2 tags keep the low 16 bits.
 */
import { crc32cRaw, crc32cZeros } from '../../../util/crc32c.js';

/** s_uuid of journal_superblock_t. */
const SUPERBLOCK_UUID_OFFSET = 0x30;
const UUID_BYTES = 16;
/** s_checksum of journal_superblock_t, covering sizeof(journal_superblock_t) = 1024 bytes. */
const SUPERBLOCK_CHECKSUM_OFFSET = 0xfc;
export const JOURNAL_SUPERBLOCK_BYTES = 1024;
/** h_chksum[0] of struct commit_header. */
const COMMIT_CHECKSUM_OFFSET = 16;
/** struct jbd2_journal_block_tail: the last 4 bytes of a descriptor or revoke block. */
export const BLOCK_TAIL_BYTES = 4;

function be32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** crc32c of `bytes` with the 4 bytes at `field` counted as zeros, without copying. */
function crcWithout(seed: number, bytes: Uint8Array, field: number): number {
  return crc32cRaw(crc32cZeros(crc32cRaw(seed, bytes, 0, field), BLOCK_TAIL_BYTES), bytes, field + BLOCK_TAIL_BYTES);
}

/** The seed every other jbd2 checksum starts from (j_csum_seed). */
export function journalChecksumSeed(superblock: Uint8Array): number {
  return crc32cRaw(0xffffffff, superblock, SUPERBLOCK_UUID_OFFSET, SUPERBLOCK_UUID_OFFSET + UUID_BYTES);
}

export function superblockChecksumMatches(superblock: Uint8Array): boolean {
  const bytes = superblock.subarray(0, JOURNAL_SUPERBLOCK_BYTES);
  return crcWithout(0xffffffff, bytes, SUPERBLOCK_CHECKSUM_OFFSET) === be32(bytes, SUPERBLOCK_CHECKSUM_OFFSET);
}

/** A descriptor or revoke block against its tail. */
export function blockTailMatches(block: Uint8Array, seed: number): boolean {
  const tail = block.length - BLOCK_TAIL_BYTES;
  return crcWithout(seed, block, tail) === be32(block, tail);
}

export function commitChecksumMatches(block: Uint8Array, seed: number): boolean {
  return crcWithout(seed, block, COMMIT_CHECKSUM_OFFSET) === be32(block, COMMIT_CHECKSUM_OFFSET);
}

/** A logged data block against its tag's checksum (`v3`: all 32 bits stored, else the low 16). */
export function tagChecksumMatches(stored: number, sequence: number, data: Uint8Array, seed: number, v3: boolean): boolean {
  const sequenceBytes = new Uint8Array([sequence >>> 24, (sequence >>> 16) & 0xff, (sequence >>> 8) & 0xff, sequence & 0xff]);
  const crc = crc32cRaw(crc32cRaw(seed, sequenceBytes), data);
  return v3 ? crc === stored : (crc & 0xffff) === stored;
}
