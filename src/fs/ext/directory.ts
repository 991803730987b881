/**
 * Directory entries (ext4_dir_entry_2), read from every block of a directory as a plain list: an
 * htree's interior blocks look like one empty entry (inode 0) spanning the block, and its root's
 * index hides inside the rec_len of "..", so reading linearly lists every name.
 *
 * Source: "ext4 Data Structures and Algorithms", sections "Linear (Classic) Directories" (inode
 * u32, rec_len u16, name_len u8, file_type u8, name; without the filetype feature name_len is a
 * u16), "Hash Tree Directories" and "Inline Directories" (4-byte parent inode, then entries).
 */
import type { GrtWarning } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import { decodeName } from '../utf8-name.js';

const ENTRY_HEADER_BYTES = 8;
/** file_type byte values of ext4_dir_entry_2. */
export const DIR_FILE_TYPES = ['unknown', 'file', 'dir', 'chardev', 'blockdev', 'fifo', 'socket', 'symlink'] as const;

export interface DirEntry {
  inode: number;
  /** The name as UTF-8 (ext names are bytes; invalid sequences read as U+FFFD). */
  name: string;
  fileType: number;
  /** Found in the slack of a live entry's rec_len: a removed name (its inode may be reused). */
  removed?: boolean;
}

/** rec_len as stored: with 64 KiB blocks, 65535 and 0 mean 65536 (ext4_rec_len_from_disk). */
function recordLength(raw: number, blockSize: number): number {
  if (blockSize >= 65536 && (raw === 65535 || raw === 0)) return 65536;
  return raw;
}

/** Bytes a live entry needs: header and name, rounded up to 4 (EXT4_DIR_REC_LEN). */
function neededLength(nameLength: number): number {
  return (ENTRY_HEADER_BYTES + nameLength + 3) & ~3;
}

/**
 * Removed entries in `bytes[start, end)`, the slack after a live entry: removing a name adds its
 * rec_len to the entry before it, so the old header and name stay until overwritten. Candidates
 * are taken only where a whole plausible header and name fit; the caller checks their inodes.
 */
function slackEntries(bytes: Uint8Array, start: number, end: number, hasFileType: boolean, out: DirEntry[]): void {
  for (let at = start; at + ENTRY_HEADER_BYTES <= end; ) {
    const inode = u32le(bytes, at);
    const nameLength = hasFileType ? bytes[at + 6]! : u16le(bytes, at + 6);
    const length = u16le(bytes, at + 4);
    if (inode === 0 || nameLength === 0 || at + ENTRY_HEADER_BYTES + nameLength > end || length < neededLength(nameLength) || length % 4 !== 0) {
      at += 4;
      continue;
    }
    const name = decodeName(bytes, at + ENTRY_HEADER_BYTES, at + ENTRY_HEADER_BYTES + nameLength);
    out.push({ inode, name, fileType: hasFileType ? bytes[at + 7]! : 0, removed: true });
    at += neededLength(nameLength);
  }
}

/**
 * Entries of one directory block (or an inline directory's entry area). A damaged entry ends the
 * block with a warning: its remaining names are lost, never misread. `.` and `..` are skipped.
 * With `removed`, names left in rec_len slack are listed too (marked `removed`).
 */
export function parseDirBlock(bytes: Uint8Array, hasFileType: boolean, structure: string, warnings: GrtWarning[], blockSize = bytes.length, removed = false): DirEntry[] {
  const entries: DirEntry[] = [];
  let at = 0;
  while (at + ENTRY_HEADER_BYTES <= bytes.length) {
    const inode = u32le(bytes, at);
    const length = recordLength(u16le(bytes, at + 4), blockSize);
    const nameLength = hasFileType ? bytes[at + 6]! : u16le(bytes, at + 6);
    if (length < ENTRY_HEADER_BYTES || length % 4 !== 0 || at + length > bytes.length || ENTRY_HEADER_BYTES + nameLength > length) {
      warnings.push({ code: 'BAD_INDEX', message: `${structure}: directory entry at byte ${at} is damaged (rec_len ${length})` });
      break;
    }
    if (inode !== 0 && nameLength > 0) {
      const name = decodeName(bytes, at + ENTRY_HEADER_BYTES, at + ENTRY_HEADER_BYTES + nameLength);
      if (name !== '.' && name !== '..') entries.push({ inode, name, fileType: hasFileType ? bytes[at + 7]! : 0 });
    }
    if (removed) slackEntries(bytes, at + (inode === 0 ? 0 : neededLength(nameLength)), at + length, hasFileType, entries);
    at += length;
  }
  return entries;
}
