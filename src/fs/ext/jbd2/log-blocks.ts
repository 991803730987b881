/**
 * Descriptor and revoke blocks of the jbd2 log.
 *
 * Source: "ext4 Data Structures and Algorithms", section "Journal (jbd2)": a descriptor block is
 * a journal header, then block tags, each followed by a 16-byte UUID unless it has
 * JBD2_FLAG_SAME_UUID; the tag with JBD2_FLAG_LAST_TAG ends it. Tag layouts (journal_tag_bytes in
 * the kernel): csum v3: t_blocknr u32, t_flags u32, t_blocknr_high u32, t_checksum u32 (16 bytes);
 * otherwise t_blocknr u32, t_checksum u16, t_flags u16, then t_blocknr_high u32 with 64bit (8 or
 * 12 bytes, +2 with csum v2). With csum v2/v3 the block's last 4 bytes are a checksum tail. A
 * revoke block is a header, r_count u32 (bytes used, header included), then 4- or 8-byte (64bit)
 * block numbers.
 */
import { BLOCK_TAIL_BYTES } from './checksums.js';
import { JOURNAL_INCOMPAT, hasChecksumV2orV3 } from './journal-superblock.js';

export const TAG_FLAGS = { escape: 0x1, sameUuid: 0x2, deleted: 0x4, lastTag: 0x8 } as const;
const HEADER_BYTES = 12;
const UUID_BYTES = 16;

export interface BlockTag {
  /** Home block number of the data block that follows in the log. */
  blockNumber: number;
  escaped: boolean;
  /** t_checksum: crc32c of the data block (v3: 32 bits; v2: the low 16; 0 without checksums). */
  checksum: number;
}

export function tagBytes(incompat: number): number {
  if (incompat & JOURNAL_INCOMPAT.csumV3) return 16;
  const size = 12 + (incompat & JOURNAL_INCOMPAT.csumV2 ? 2 : 0);
  return incompat & JOURNAL_INCOMPAT.is64bit ? size : size - 4;
}

/** Tags of one descriptor block; at most (block size / tag size) of them, by construction. */
export function parseDescriptor(block: Uint8Array, incompat: number): BlockTag[] {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const size = tagBytes(incompat);
  const end = block.length - (hasChecksumV2orV3(incompat) ? BLOCK_TAIL_BYTES : 0);
  const v3 = (incompat & JOURNAL_INCOMPAT.csumV3) !== 0;
  const is64 = (incompat & JOURNAL_INCOMPAT.is64bit) !== 0;
  const tags: BlockTag[] = [];
  let at = HEADER_BYTES;
  while (at + size <= end) {
    const low = view.getUint32(at);
    const flags = v3 ? view.getUint32(at + 4) : view.getUint16(at + 6);
    const high = is64 ? view.getUint32(at + 8) : 0;
    const checksum = v3 ? view.getUint32(at + 12) : view.getUint16(at + 4);
    tags.push({ blockNumber: high * 0x1_0000_0000 + low, escaped: (flags & TAG_FLAGS.escape) !== 0, checksum });
    at += size;
    if (!(flags & TAG_FLAGS.sameUuid)) at += UUID_BYTES;
    if (flags & TAG_FLAGS.lastTag) break;
  }
  return tags;
}

/** Block numbers a revoke block revokes (r_count bounded by the block). */
export function parseRevoke(block: Uint8Array, incompat: number): number[] {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const is64 = (incompat & JOURNAL_INCOMPAT.is64bit) !== 0;
  const recordBytes = is64 ? 8 : 4;
  const end = Math.min(view.getUint32(HEADER_BYTES), block.length - (hasChecksumV2orV3(incompat) ? BLOCK_TAIL_BYTES : 0));
  const blocks: number[] = [];
  for (let at = HEADER_BYTES + 4; at + recordBytes <= end; at += recordBytes) {
    blocks.push(is64 ? view.getUint32(at) * 0x1_0000_0000 + view.getUint32(at + 4) : view.getUint32(at));
  }
  return blocks;
}
