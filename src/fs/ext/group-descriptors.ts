/**
 * Block group descriptors: where each group's bitmaps and inode table are. 32 bytes each, or
 * s_desc_size (≥ 64) with the 64bit feature, whose second half holds the high 32 bits.
 *
 * Source: "ext4 Data Structures and Algorithms", section "Block Group Descriptors" (bg_inode_table_lo
 * at 0x08, bg_flags at 0x12, bg_checksum at 0x1E, bg_inode_table_hi at 0x28) and "Meta Block
 * Groups" (with meta_bg, descriptor block i ≥ s_first_meta_bg sits in the first block of metagroup i).
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import type { BlockReader } from './block-reader.js';
import { crc32cRaw } from '../../util/crc32c.js';
import { INCOMPAT, RO_COMPAT, groupHasSuperblock, type Superblock } from './superblock.js';

const STRUCTURE = 'ext group descriptor';
/**
 * Groups grt will index: 2^22 groups × 128 MiB is 512 TiB with 4 KiB blocks, past any VM disk; the
 * table is then 256 MiB at 64 bytes a descriptor, the most memory one volume may take for it.
 */
export const MAX_GROUPS = 1 << 22;

export interface GroupDescriptor {
  inodeTableBlock: number;
  /** bg_flags: INODE_UNINIT 0x1 (the table was never written), BLOCK_UNINIT 0x2, INODE_ZEROED 0x4. */
  flags: number;
}

export class GroupDescriptors {
  private constructor(private readonly table: Uint8Array, private readonly sb: Superblock) {}

  /**
   * Read every descriptor block of the volume. CRC mismatches (metadata_csum) are warnings.
   * `firstBlock`: where the table starts (the block after the superblock copy in use: a backup's
   * own table when the primary superblock was damaged).
   */
  static async read(reader: BlockReader, sb: Superblock, warnings: GrtWarning[], firstBlock = sb.firstDataBlock + 1): Promise<GroupDescriptors> {
    if (sb.groupCount > MAX_GROUPS) {
      throw new GrtError('LIMIT_EXCEEDED', `${sb.groupCount} block groups is past the limit of ${MAX_GROUPS}`, { structure: STRUCTURE });
    }
    const perBlock = sb.blockSize / sb.descSize;
    const tableBlocks = Math.ceil(sb.groupCount / perBlock);
    const table = new Uint8Array(tableBlocks * sb.blockSize);
    const metaBg = (sb.featureIncompat & INCOMPAT.metaBg) !== 0;
    for (let i = 0; i < tableBlocks; i++) {
      let blockNumber = firstBlock + i;
      if (metaBg && i >= sb.firstMetaBg) {
        const group = i * perBlock;
        blockNumber = sb.firstDataBlock + group * sb.blocksPerGroup + (groupHasSuperblock(sb, group) ? 1 : 0);
      }
      table.set(await reader.block(blockNumber, STRUCTURE), i * sb.blockSize);
    }
    const descriptors = new GroupDescriptors(table, sb);
    descriptors.checkAll(warnings);
    return descriptors;
  }

  get(group: number): GroupDescriptor {
    const at = group * this.sb.descSize;
    const high = this.sb.descSize >= 64 ? u32le(this.table, at + 0x28) : 0;
    return { inodeTableBlock: u32le(this.table, at + 0x08) + high * 0x1_0000_0000, flags: u16le(this.table, at + 0x12) };
  }

  /** metadata_csum: crc32c(seed, group le32, descriptor with bg_checksum zeroed) & 0xFFFF; gdt_csum uses crc16 (not checked). */
  private checkAll(warnings: GrtWarning[]): void {
    if ((this.sb.featureRoCompat & RO_COMPAT.metadataCsum) === 0) return;
    let bad = 0;
    const groupBytes = new Uint8Array(4);
    for (let group = 0; group < this.sb.groupCount; group++) {
      const at = group * this.sb.descSize;
      const descriptor = this.table.slice(at, at + this.sb.descSize);
      descriptor[0x1e] = 0;
      descriptor[0x1f] = 0;
      new DataView(groupBytes.buffer).setUint32(0, group, true);
      const crc = crc32cRaw(crc32cRaw(this.sb.checksumSeed, groupBytes), descriptor) & 0xffff;
      if (crc !== u16le(this.table, at + 0x1e)) bad++;
    }
    if (bad > 0) warnings.push({ code: 'BAD_CHECKSUM', message: `${bad} ext group descriptor checksums do not match` });
  }
}
