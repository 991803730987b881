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

const ENTRY_HEADER_BYTES = 8;
/** file_type byte values of ext4_dir_entry_2. */
export const DIR_FILE_TYPES = ['unknown', 'file', 'dir', 'chardev', 'blockdev', 'fifo', 'socket', 'symlink'] as const;

export interface DirEntry {
  inode: number;
  /** Raw name bytes: ext names are bytes, not necessarily UTF-8. */
  nameBytes: Uint8Array;
  name: string;
  fileType: number;
}

/** rec_len as stored: with 64 KiB blocks, 65535 and 0 mean 65536 (ext4_rec_len_from_disk). */
function recordLength(raw: number, blockSize: number): number {
  if (blockSize >= 65536 && (raw === 65535 || raw === 0)) return 65536;
  return raw;
}

/**
 * Entries of one directory block (or an inline directory's entry area). A damaged entry ends the
 * block with a warning: its remaining names are lost, never misread. `.` and `..` are skipped.
 */
export function parseDirBlock(bytes: Uint8Array, hasFileType: boolean, structure: string, warnings: GrtWarning[], blockSize = bytes.length): DirEntry[] {
  const entries: DirEntry[] = [];
  const decoder = new TextDecoder('utf-8');
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
      const nameBytes = bytes.slice(at + ENTRY_HEADER_BYTES, at + ENTRY_HEADER_BYTES + nameLength);
      const name = decoder.decode(nameBytes);
      if (name !== '.' && name !== '..') entries.push({ inode, nameBytes, name, fileType: hasFileType ? bytes[at + 7]! : 0 });
    }
    at += length;
  }
  return entries;
}
