/**
 * The LSN a v5 metadata block was last written at, read from its own header (the kernel's
 * xlog_recover_get_buf_lsn): replay skips a buffer item whose transaction is not newer than the
 * block on disk, since the block already holds that change or a later one. Each header kind keeps
 * its lsn and uuid at its own offsets (xfs_format.h, xfs_da_format.h); a block whose uuid is not
 * the volume's metadata UUID is stale (a freed block reused by an older file system), and blocks
 * without a transactional LSN (remote attribute values, inode and dquot buffers, unknown
 * contents) are always replayed.
 */
import { formatUuid, type Superblock } from '../superblock.js';
import type { Lsn } from './ring.js';

interface HeaderLsn {
  lsnOffset: number;
  uuidOffset: number;
}

const SHORT_BTREE: HeaderLsn = { lsnOffset: 24, uuidOffset: 32 }; // xfs_btree_block_shdr
/** 32-bit magics at byte 0 of headers with an LSN. */
const BY_MAGIC32 = new Map<number, HeaderLsn>([
  [0x41423342, SHORT_BTREE], [0x41423343, SHORT_BTREE], // AB3B AB3C: free space B+trees
  [0x524d4233, SHORT_BTREE], [0x52334643, SHORT_BTREE], // RMB3 R3FC: reverse map, refcount
  [0x49414233, SHORT_BTREE], [0x46494233, SHORT_BTREE], // IAB3 FIB3: inode B+trees
  [0x424d4133, { lsnOffset: 32, uuidOffset: 40 }], // BMA3: xfs_btree_block_lhdr
  [0x58414746, { lsnOffset: 208, uuidOffset: 64 }], // XAGF: agf_lsn, agf_uuid
  [0x5841464c, { lsnOffset: 24, uuidOffset: 8 }], // XAFL: agfl_lsn, agfl_uuid
  [0x58414749, { lsnOffset: 320, uuidOffset: 296 }], // XAGI: agi_lsn, agi_uuid
  [0x58534c4d, { lsnOffset: 48, uuidOffset: 24 }], // XSLM: sl_lsn, sl_uuid
  [0x58444233, { lsnOffset: 16, uuidOffset: 24 }], // XDB3 \
  [0x58444433, { lsnOffset: 16, uuidOffset: 24 }], // XDD3  > xfs_dir3_blk_hdr
  [0x58444633, { lsnOffset: 16, uuidOffset: 24 }], // XDF3 /
]);
const SUPERBLOCK_MAGIC = 0x58465342; // XFSB
const SUPERBLOCK_LSN = 240;
/** sb_meta_uuid when the metaUuid feature is set, else sb_uuid. */
const SUPERBLOCK_UUID = 32;
const SUPERBLOCK_META_UUID = 248;
/** 16-bit magics of xfs_da3_blkinfo at byte 8: dir3 leaf1/leafn, da3 node, attr3 leaf. */
const DA3_MAGICS = new Set([0x3df1, 0x3dff, 0x3ebe, 0x3bee]);
const DA3_HEADER: HeaderLsn = { lsnOffset: 24, uuidOffset: 32 };
/** Buffer types (blf_flags >> XFS_BLFT_SHIFT) of realtime bitmap and summary blocks: no header. */
const BLFT_RTBITMAP = 19;
const BLFT_RTSUMMARY = 20;

function headerOf(view: DataView, sb: Superblock): HeaderLsn | undefined {
  const magic = view.getUint32(0);
  if (magic === SUPERBLOCK_MAGIC) {
    return { lsnOffset: SUPERBLOCK_LSN, uuidOffset: sb.metaUuid === sb.uuid ? SUPERBLOCK_UUID : SUPERBLOCK_META_UUID };
  }
  return BY_MAGIC32.get(magic) ?? (DA3_MAGICS.has(view.getUint16(8)) ? DA3_HEADER : undefined);
}

/**
 * The LSN `block` (a buffer's current bytes) carries, or undefined when it must be replayed
 * regardless: v4 volumes, realtime blocks, headers without one, a zero or NULLCOMMITLSN (-1)
 * stamp, another file system's uuid.
 */
export function bufferLsn(block: Uint8Array, bufferType: number, sb: Superblock): Lsn | undefined {
  if (!sb.hasCrc || bufferType === BLFT_RTBITMAP || bufferType === BLFT_RTSUMMARY || block.length < 16) return undefined;
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const header = headerOf(view, sb);
  if (!header || header.uuidOffset + 16 > block.length || header.lsnOffset + 8 > block.length) return undefined;
  if (formatUuid(block.subarray(header.uuidOffset, header.uuidOffset + 16)) !== sb.metaUuid) return undefined;
  const lsn = { cycle: view.getUint32(header.lsnOffset), block: view.getUint32(header.lsnOffset + 4) };
  const unset = (lsn.cycle === 0 && lsn.block === 0) || (lsn.cycle === 0xffffffff && lsn.block === 0xffffffff);
  return unset ? undefined : lsn;
}

/** XFS_LSN_CMP: cycles first, then blocks. */
export function compareLsn(a: Lsn, b: Lsn): number {
  return a.cycle !== b.cycle ? a.cycle - b.cycle : a.block - b.block;
}
