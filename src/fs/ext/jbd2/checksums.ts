/**
 * jbd2 checksums v2 and v3 (JBD2_FEATURE_INCOMPAT_CSUM_V2 / _V3): crc32c, big-endian fields,
 * seeded with crc32c(~0, s_uuid) of the journal superblock. And checksum v1
 * (JBD2_FEATURE_COMPAT_CHECKSUM): one big-endian CRC-32 (crc32_be: polynomial 0x04C11DB7, not
 * reflected, no final xor) over a transaction's descriptor blocks and logged blocks in log order,
 * from ~0, stored in its commit block's h_chksum[0] with h_chksum_type 1 (JBD2_CRC32_CHKSUM) and
 * h_chksum_size 4; a commit block with type, size and sum all 0 carries none (the kernel's
 * fs/jbd2/recovery.c calc_chksums and its commit-block check).
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
/** h_chksum_type and h_chksum_size of struct commit_header. */
const COMMIT_CHECKSUM_TYPE_OFFSET = 12;
const COMMIT_CHECKSUM_SIZE_OFFSET = 13;
/** JBD2_CRC32_CHKSUM and JBD2_CRC32_CHKSUM_SIZE. */
const CRC32_CHECKSUM_TYPE = 1;
const CRC32_CHECKSUM_SIZE = 4;
/** The start of a v1 transaction checksum (crc32_sum = ~0). */
export const V1_CHECKSUM_START = 0xffffffff;
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

/** crc32_be's table: CRC-32 of each byte value, most significant bit first, polynomial 0x04C11DB7. */
const CRC32_BE_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The kernel's crc32_be(crc, data): no reflection, no final xor (CRC-32/MPEG-2 from ~0). */
export function crc32Be(crc: number, data: Uint8Array): number {
  let value = crc >>> 0;
  for (let i = 0; i < data.length; i++) value = ((value << 8) ^ CRC32_BE_TABLE[((value >>> 24) ^ data[i]!) & 0xff]!) >>> 0;
  return value;
}

/** A v1 commit block against the transaction's running sum, or one that carries no checksum. */
export function commitChecksumV1Matches(block: Uint8Array, sum: number): boolean {
  const type = block[COMMIT_CHECKSUM_TYPE_OFFSET];
  const size = block[COMMIT_CHECKSUM_SIZE_OFFSET];
  const stored = be32(block, COMMIT_CHECKSUM_OFFSET);
  if (type === 0 && size === 0 && stored === 0) return true;
  return type === CRC32_CHECKSUM_TYPE && size === CRC32_CHECKSUM_SIZE && stored === sum >>> 0;
}
