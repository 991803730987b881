/**
 * The kernel writes a v5 metadata buffer's CRC when it writes the buffer back, not when it logs
 * it, so a replayed buffer's CRC field is stale: recompute it where its magic says it lives
 * (xfs_format.h, xfs_da_format.h: each structure's crc field), as the kernel's write verifiers do.
 */
import { xfsCrcWrite } from '../crc32c.js';
import type { Superblock } from '../superblock.js';

/** 32-bit magics at byte 0 and their CRC offsets; the CRC covers the whole buffer. */
const WHOLE_BUFFER = new Map<number, number>([
  [0x58444233, 4], [0x58444433, 4], [0x58444633, 4], // XDB3 XDD3 XDF3: xfs_dir3_blk_hdr.crc
  [0x424d4133, 64], // BMA3: long btree block bb_crc
  [0x58534c4d, 12], // XSLM: a remote symlink extent has one header (xfs_symlink_write)
  [0x49414233, 52], [0x46494233, 52], [0x41423342, 52], [0x41423343, 52], [0x524d4233, 52], [0x52334643, 52], // IAB3 FIB3 AB3B AB3C RMB3 R3FC: short btree block
  [0x5841464c, 32], // XAFL: AGFL
]);
/** One-sector headers: the CRC covers their sector only. */
const ONE_SECTOR = new Map<number, number>([[0x58465342, 224], [0x58414746, 216], [0x58414749, 312]]); // XFSB XAGF XAGI
/** Per-filesystem-block headers of remote attribute values: crc at 12. */
const PER_BLOCK = new Set([0x5841524d]); // XARM
/** 16-bit magics of xfs_da3_blkinfo at byte 8 (dir3 leaf1/leafn, da3 node, attr3 leaf): crc at 12. */
const DA3_MAGICS = new Set([0x3df1, 0x3dff, 0x3ebe, 0x3bee]);
const INODE_MAGIC = 0x494e;

export function resealBuffer(buffer: Uint8Array, sb: Superblock): void {
  if (!sb.hasCrc || buffer.length < 16) return;
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const magic = view.getUint32(0);
  const whole = WHOLE_BUFFER.get(magic);
  if (whole !== undefined) return xfsCrcWrite(buffer, whole);
  const sector = ONE_SECTOR.get(magic);
  if (sector !== undefined) return xfsCrcWrite(buffer.subarray(0, Math.min(buffer.length, sb.sectorSize)), sector);
  if (DA3_MAGICS.has(view.getUint16(8))) return xfsCrcWrite(buffer, 12);
  if (PER_BLOCK.has(magic)) {
    for (let at = 0; at + sb.blockSize <= buffer.length; at += sb.blockSize) {
      if (PER_BLOCK.has(view.getUint32(at))) xfsCrcWrite(buffer.subarray(at, at + sb.blockSize), 12);
    }
    return;
  }
  if (view.getUint16(0) === INODE_MAGIC) {
    for (let at = 0; at + sb.inodeSize <= buffer.length; at += sb.inodeSize) {
      if (view.getUint16(at) === INODE_MAGIC && buffer[at + 4] === 3) xfsCrcWrite(buffer.subarray(at, at + sb.inodeSize), 100);
    }
  }
}
