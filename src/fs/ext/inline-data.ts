/**
 * Inline data (incompat inline_data, inodes with EXT4_INLINE_DATA_FL): the first 60 bytes of a
 * small file live in i_block, the rest in the value of the in-inode xattr "system.data". An inline
 * directory starts with its parent's inode number (4 bytes), then directory entries fill the rest
 * of i_block and, if present, the "system.data" value.
 *
 * Source: "ext4 Data Structures and Algorithms", sections "Inline Data" and "Inline Directories".
 */
import type { GrtWarning } from '../../errors.js';
import { type DirEntry, parseDirBlock } from './directory.js';
import type { Inode } from './inode.js';
import type { Xattr } from './xattr.js';

const PARENT_BYTES = 4;
export const INLINE_DATA_XATTR = 'system.data';

function systemData(xattrs: Xattr[]): Uint8Array {
  return xattrs.find((x) => x.name === INLINE_DATA_XATTR)?.value ?? new Uint8Array(0);
}

/** The bytes of an inline file (its size bounds the result: never more than i_block + the xattr). */
export function inlineFileBytes(inode: Inode, xattrs: Xattr[], warnings: GrtWarning[]): Uint8Array {
  const rest = systemData(xattrs);
  const all = new Uint8Array(inode.blockField.length + rest.length);
  all.set(inode.blockField);
  all.set(rest, inode.blockField.length);
  if (inode.size > all.length) {
    warnings.push({ code: 'BAD_RECORD', message: `ext inode ${inode.number}: inline size ${inode.size} exceeds its ${all.length} stored bytes` });
    const padded = new Uint8Array(inode.size > 1 << 20 ? all.length : inode.size);
    padded.set(all);
    return padded;
  }
  return all.subarray(0, inode.size);
}

/** The entries of an inline directory. */
export function inlineDirEntries(inode: Inode, xattrs: Xattr[], hasFileType: boolean, warnings: GrtWarning[]): DirEntry[] {
  const structure = `ext inode ${inode.number} inline directory`;
  const entries = parseDirBlock(inode.blockField.subarray(PARENT_BYTES), hasFileType, structure, warnings);
  const rest = systemData(xattrs);
  if (rest.length > 0) entries.push(...parseDirBlock(rest, hasFileType, structure, warnings));
  return entries;
}
