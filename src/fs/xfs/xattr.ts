/**
 * XFS extended attributes (XFS Algorithms & Data Structures "Extended Attributes"): short form in
 * the inode's attribute fork, or leaf blocks in the attribute fork's extents (one leaf, or leaves
 * under a dabtree node for "node" format). Names are listed from every leaf block, as directory
 * names are from data blocks: the hash-ordered node blocks are only an index.
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import { decodeName } from '../utf8-name.js';

export interface Xattr {
  /** With its namespace prefix: user., trusted. or security. */
  name: string;
  value: Uint8Array;
}

/** Where a remote value lives: its first attribute-fork block and its length. */
export interface RemoteValue {
  name: string;
  fileBlock: number;
  length: number;
}

/** xfs_attr_leaf_entry flags (XFS_ATTR_*). */
const ATTR_LOCAL = 0x01;
const ATTR_ROOT = 0x02;
const ATTR_SECURE = 0x04;
/** Parent pointers (XFS_ATTR_PARENT) and half-set attributes (XFS_ATTR_INCOMPLETE) are not user data. */
const ATTR_SKIPPED = 0x20 | 0x80;
const LEAF_MAGIC_V4 = 0xfbee;
const LEAF_MAGIC_V5 = 0x3bee;
const LEAF_HEADER_V4 = 32;
const LEAF_HEADER_V5 = 80;
const LEAF_ENTRY_SIZE = 8;
/** Short-form header: totsize u16, count u8, padding u8. */
const SHORT_FORM_HEADER = 4;

function prefixed(flags: number, name: Uint8Array): string {
  const namespace = flags & ATTR_ROOT ? 'trusted.' : flags & ATTR_SECURE ? 'security.' : 'user.';
  return namespace + decodeName(name);
}

/** Damage at `byteOffset` of the volume (the bad entry or header field; undefined when unknown). */
function bad(detail: string, byteOffset: number | undefined): GrtError {
  return new GrtError('BAD_ATTRIBUTE', `XFS xattrs: ${detail}`, { structure: 'xfs xattr', offset: byteOffset, space: 'volume' });
}

/** `base + delta`, or undefined when the bytes' place in the volume is not known. */
function placed(base: number | undefined, delta: number): number | undefined {
  return base === undefined ? undefined : base + delta;
}

/** Short-form attributes (xfs_attr_shortform) from the attribute fork bytes, which start at `forkByte` of the volume. */
export function parseShortFormXattrs(fork: Uint8Array, forkByte?: number): Xattr[] {
  if (fork.length < SHORT_FORM_HEADER) throw bad('short form shorter than its header', forkByte);
  const view = new DataView(fork.buffer, fork.byteOffset, fork.byteLength);
  const total = Math.min(view.getUint16(0), fork.length);
  const count = fork[2]!;
  const out: Xattr[] = [];
  let at = SHORT_FORM_HEADER;
  for (let i = 0; i < count; i++) {
    if (at + 3 > total) throw bad(`short-form entry ${i} past the end`, placed(forkByte, at));
    const nameLength = fork[at]!;
    const valueLength = fork[at + 1]!;
    const flags = fork[at + 2]!;
    const end = at + 3 + nameLength + valueLength;
    if (end > total) throw bad(`short-form entry ${i} of ${nameLength}+${valueLength} bytes past the end`, placed(forkByte, at));
    if (!(flags & ATTR_SKIPPED)) {
      out.push({ name: prefixed(flags, fork.subarray(at + 3, at + 3 + nameLength)), value: fork.slice(at + 3 + nameLength, end) });
    }
    at = end;
  }
  return out;
}

/** Whether a block of the attribute fork is a leaf (the rest are dabtree nodes or remote values). */
export function isLeafBlock(block: Uint8Array): boolean {
  const magic = (block[8]! << 8) | block[9]!;
  return magic === LEAF_MAGIC_V4 || magic === LEAF_MAGIC_V5;
}

/** The local attributes of one leaf block (at `blockByte` of the volume), and where its remote values live. */
export function parseLeafBlock(block: Uint8Array, warnings: GrtWarning[], blockByte?: number): { local: Xattr[]; remote: RemoteValue[] } {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const isV5 = view.getUint16(8) === LEAF_MAGIC_V5;
  const header = isV5 ? LEAF_HEADER_V5 : LEAF_HEADER_V4;
  const countAt = isV5 ? 56 : 12;
  const count = view.getUint16(countAt);
  if (header + count * LEAF_ENTRY_SIZE > block.length) throw bad(`leaf of ${count} entries does not fit its block`, placed(blockByte, countAt));
  const local: Xattr[] = [];
  const remote: RemoteValue[] = [];
  for (let i = 0; i < count; i++) {
    const entry = header + i * LEAF_ENTRY_SIZE;
    const nameAt = view.getUint16(entry + 4);
    const flags = block[entry + 6]!;
    if (flags & ATTR_SKIPPED) continue;
    try {
      if (flags & ATTR_LOCAL) {
        // xfs_attr_leaf_name_local: valuelen u16, namelen u8, name, value.
        if (nameAt + 3 > block.length) throw bad(`leaf entry ${i} name at ${nameAt} past the block`, placed(blockByte, entry + 4));
        const valueLength = view.getUint16(nameAt);
        const nameLength = block[nameAt + 2]!;
        const end = nameAt + 3 + nameLength + valueLength;
        if (end > block.length) throw bad(`leaf entry ${i} past the block`, placed(blockByte, nameAt));
        local.push({ name: prefixed(flags, block.subarray(nameAt + 3, nameAt + 3 + nameLength)), value: block.slice(nameAt + 3 + nameLength, end) });
      } else {
        // xfs_attr_leaf_name_remote: valueblk u32, valuelen u32, namelen u8, name.
        if (nameAt + 9 > block.length) throw bad(`leaf entry ${i} name at ${nameAt} past the block`, placed(blockByte, entry + 4));
        const nameLength = block[nameAt + 8]!;
        if (nameAt + 9 + nameLength > block.length) throw bad(`leaf entry ${i} past the block`, placed(blockByte, nameAt));
        remote.push({ name: prefixed(flags, block.subarray(nameAt + 9, nameAt + 9 + nameLength)), fileBlock: view.getUint32(nameAt), length: view.getUint32(nameAt + 4) });
      }
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      warnings.push(error.offset === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, offset: error.offset });
    }
  }
  return { local, remote };
}
