/** ext2/ext3/ext4 as fs/registry.ts loads it. */
import type { FileSystemReader } from '../registry.js';
import { parseSuperblock, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE } from './superblock.js';
import { openExt } from './volume.js';

export const extReader: FileSystemReader = {
  open: (source) => openExt(source),
  // The UUID is in the superblock: 1 KiB, not the descriptors and journal a mount reads.
  readSerial: async (source) => parseSuperblock(await source.read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE), source.size, SUPERBLOCK_OFFSET).uuid,
};
