/** NTFS as fs/registry.ts loads it. */
import type { FileSystemReader } from '../registry.js';
import { readBootSector } from './boot-sector.js';
import { NtfsLookahead } from './tap-lookahead.js';
import { openNtfs } from './volume.js';

export const ntfsReader: FileSystemReader = {
  open: (source, options = {}) => openNtfs(source, options),
  // The boot sector holds the serial: a few hundred bytes, not the MFT and $UpCase a mount reads.
  readSerial: async (source) => (await readBootSector(source, [])).serial,
  lookahead: (volume, hooks) => new NtfsLookahead(volume, hooks),
};
