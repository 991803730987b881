/**
 * Extended attributes: in the inode after i_extra_isize (a 4-byte magic, then entries whose values
 * are relative to the first entry) and in one xattr block (a 32-byte header, entries from byte 32,
 * values relative to the block).
 *
 * Source: "ext4 Data Structures and Algorithms", section "Extended Attributes": header magic
 * 0xEA020000; ext4_xattr_entry = e_name_len u8, e_name_index u8, e_value_offs u16, e_value_inum
 * u32, e_value_size u32, e_hash u32, name; entries padded to 4 bytes, the list ends with 4 zero
 * bytes. Name indexes: 1 "user.", 2 "system.posix_acl_access", 3 "system.posix_acl_default",
 * 4 "trusted.", 6 "security.", 7 "system.", 8 "system.richacl".
 */
import type { GrtWarning } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import { decodeName } from '../utf8-name.js';

export const XATTR_MAGIC = 0xea020000;
const ENTRY_HEADER_BYTES = 16;
const BLOCK_HEADER_BYTES = 32;
const PREFIXES: Record<number, string> = {
  1: 'user.', 2: 'system.posix_acl_access', 3: 'system.posix_acl_default', 4: 'trusted.', 6: 'security.', 7: 'system.', 8: 'system.richacl',
};

export interface Xattr {
  name: string;
  value: Uint8Array;
  /** Set when the value lives in its own inode (ea_inode feature); `value` is then empty. */
  valueInode?: number;
}

/**
 * Entries of one xattr area. `entries` is where the first entry starts, `valueBase` what value
 * offsets count from; `area` bounds everything (so a list cannot run past it, and the number of
 * entries is bounded by its size / 16). Damage ends the list with a warning.
 */
function parseEntries(area: Uint8Array, entries: number, valueBase: number, structure: string, warnings: GrtWarning[]): Xattr[] {
  const found: Xattr[] = [];
  let at = entries;
  while (at + 4 <= area.length && u32le(area, at) !== 0) {
    if (at + ENTRY_HEADER_BYTES > area.length) break;
    const nameLength = area[at]!;
    const nameIndex = area[at + 1]!;
    const valueOffset = u16le(area, at + 2);
    const valueInode = u32le(area, at + 4);
    const valueSize = u32le(area, at + 8);
    const nameEnd = at + ENTRY_HEADER_BYTES + nameLength;
    const valueStart = valueBase + valueOffset;
    if (nameEnd > area.length || (valueInode === 0 && valueStart + valueSize > area.length)) {
      warnings.push({ code: 'BAD_ATTRIBUTE', message: `${structure}: xattr entry at byte ${at} runs past its area` });
      break;
    }
    const name = (PREFIXES[nameIndex] ?? `unknown${nameIndex}.`) + decodeName(area, at + ENTRY_HEADER_BYTES, nameEnd);
    if (valueInode !== 0) found.push({ name, value: new Uint8Array(0), valueInode });
    else found.push({ name, value: area.slice(valueStart, valueStart + valueSize) });
    at = (nameEnd + 3) & ~3;
  }
  return found;
}

/** The xattrs stored in the inode body (`extra` = inode bytes past 128, `extraIsize` = i_extra_isize). */
export function inodeXattrs(extra: Uint8Array, extraIsize: number, structure: string, warnings: GrtWarning[]): Xattr[] {
  const start = extraIsize;
  if (start + 4 > extra.length || u32le(extra, start) !== XATTR_MAGIC) return [];
  const area = extra.subarray(start + 4);
  return parseEntries(area, 0, 0, structure, warnings);
}

/** The xattrs of an xattr block (warning, no entries, when its magic is wrong). */
export function blockXattrs(block: Uint8Array, structure: string, warnings: GrtWarning[]): Xattr[] {
  if (block.length < BLOCK_HEADER_BYTES || u32le(block, 0) !== XATTR_MAGIC) {
    warnings.push({ code: 'BAD_MAGIC', message: `${structure}: xattr block magic is wrong` });
    return [];
  }
  return parseEntries(block, BLOCK_HEADER_BYTES, 0, structure, warnings);
}
