/** XFS (v4 and v5) as fs/registry.ts loads it. */
import type { FileSystemReader } from '../registry.js';
import { parseSuperblock, SUPERBLOCK_SIZE } from './superblock.js';
import { openXfs } from './volume.js';

export const xfsReader: FileSystemReader = {
  open: (source) => openXfs(source),
  // The UUID is in the superblock's first sector.
  readSerial: async (source) => parseSuperblock(await source.read(0, SUPERBLOCK_SIZE), source.size).uuid,
};
