/**
 * The ext inode: s_inode_size bytes (128 up to the block size) in its group's inode table.
 *
 * Source: "ext4 Data Structures and Algorithms", section "Index Nodes": i_mode 0x00, i_uid 0x02,
 * i_size_lo 0x04, i_atime 0x08, i_ctime 0x0C, i_mtime 0x10, i_dtime 0x14, i_gid 0x18,
 * i_links_count 0x1A, i_flags 0x20, i_block 0x28 (60 bytes), i_generation 0x64, i_file_acl_lo 0x68,
 * i_size_high 0x6C, osd2 at 0x74 (l_i_file_acl_high 0x76, l_i_uid_high 0x78, l_i_gid_high 0x7A,
 * l_i_checksum_lo 0x7C), i_extra_isize 0x80, i_checksum_hi 0x82, i_ctime_extra 0x84,
 * i_mtime_extra 0x88, i_atime_extra 0x8C, i_crtime 0x90, i_crtime_extra 0x94. Section "Inode
 * Timestamps": seconds are signed 32-bit; the low 2 bits of *_extra extend them by 2^32 each
 * (to 2446), the upper 30 bits are nanoseconds.
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import { crc32cRaw, crc32cU32le, crc32cZeros } from '../../util/crc32c.js';
import { secondsToNs } from '../../util/time.js';

export const ROOT_INODE = 2;
/** i_flags bits grt reads. */
export const INODE_FLAGS = { encrypt: 0x800, index: 0x1000, hugeFile: 0x40000, extents: 0x80000, eaInode: 0x200000, inlineData: 0x10000000 } as const;
/** i_mode file type (the S_IFMT bits). */
export const MODE_TYPE = { fifo: 0x1000, chardev: 0x2000, dir: 0x4000, blockdev: 0x6000, file: 0x8000, symlink: 0xa000, socket: 0xc000 } as const;
export type InodeKind = keyof typeof MODE_TYPE | 'unknown';
/** Bytes of i_block: 15 u32 block pointers, or an extent tree root, or inline data, or a fast symlink. */
export const I_BLOCK_BYTES = 60;
export const I_BLOCK_OFFSET = 0x28;
/** i_size_lo: where a file's size starts in its inode (the high half is i_size_high). */
export const I_SIZE_OFFSET = 0x04;
const GOOD_OLD_INODE_SIZE = 128;

/** Times as bigint nanoseconds since 1970-01-01 UTC; undefined where the inode has no field. */
export interface InodeTimes {
  atime: bigint;
  ctime: bigint;
  mtime: bigint;
  btime?: bigint;
  dtime: number;
}

export interface Inode {
  number: number;
  /** Where the inode lies in the volume (its first byte): damage in it is reported there. */
  byteOffset: number;
  mode: number;
  kind: InodeKind;
  uid: number;
  gid: number;
  size: number;
  links: number;
  /** i_blocks: 512-byte units, or volume blocks with HUGE_FILE_FL (huge_file feature). */
  blockUnits: number;
  flags: number;
  /** The 60 bytes of i_block (a view into the inode table block read: not to be modified). */
  blockField: Uint8Array;
  generation: number;
  /** Block of the extended attribute block, 0 when none. */
  fileAclBlock: number;
  times: InodeTimes;
  /** The inode bytes past the first 128 (in-inode xattrs live after i_extra_isize of them). */
  extra: Uint8Array;
  extraIsize: number;
  /** Device number of a character or block device (major, minor). */
  device?: { major: number; minor: number };
}

const KIND_OF_TYPE = new Map<number, InodeKind>(Object.entries(MODE_TYPE).map(([kind, value]) => [value, kind as InodeKind]));

function kindOf(mode: number): InodeKind {
  return KIND_OF_TYPE.get(mode & 0xf000) ?? 'unknown';
}

function nanoseconds(seconds: number, extra: number | undefined): bigint {
  if (extra === undefined) return secondsToNs(seconds | 0);
  // Seconds with the epoch bits stay below 2^35: exact as a Number.
  return secondsToNs((seconds | 0) + (extra & 3) * 0x1_0000_0000, extra >>> 2);
}

/** Device numbers: old style in i_block[0] (8:8), new style in i_block[1] (12:20 split as Linux new_encode_dev). */
function deviceOf(blockField: Uint8Array): { major: number; minor: number } {
  const old = u32le(blockField, 0);
  if (old !== 0) return { major: (old >>> 8) & 0xff, minor: old & 0xff };
  const dev = u32le(blockField, 4);
  return { major: (dev & 0xfff00) >>> 8, minor: (dev & 0xff) | ((dev >>> 12) & 0xfff00) };
}

/**
 * Parse inode `number` from its `bytes` (s_inode_size long). `checksumSeed` set: verify the
 * metadata_csum (a mismatch is a warning, the inode is still read).
 */
export function parseInode(bytes: Uint8Array, number: number, offset: number, checksumSeed?: number, warnings?: GrtWarning[]): Inode {
  if (bytes.length < GOOD_OLD_INODE_SIZE) throw new GrtError('TRUNCATED', 'inode shorter than 128 bytes', { structure: `ext inode ${number}`, offset, space: 'volume' });
  const extraIsize = bytes.length > GOOD_OLD_INODE_SIZE ? u16le(bytes, 0x80) : 0;
  // i_extra_isize past the inode is damage: read the inode as if it had no extra fields.
  const extraEnd = GOOD_OLD_INODE_SIZE + extraIsize <= bytes.length && extraIsize % 4 === 0 ? GOOD_OLD_INODE_SIZE + extraIsize : GOOD_OLD_INODE_SIZE;
  if (extraEnd === GOOD_OLD_INODE_SIZE && extraIsize !== 0) {
    warnings?.push({ code: 'BAD_RECORD', message: `ext inode ${number}: i_extra_isize ${extraIsize} does not fit`, offset: offset + 0x80 });
  }
  const extraField = (at: number): number | undefined => (at + 4 <= extraEnd ? u32le(bytes, at) : undefined);
  const mode = u16le(bytes, 0x00);
  const kind = kindOf(mode);
  const blockField = bytes.subarray(I_BLOCK_OFFSET, I_BLOCK_OFFSET + I_BLOCK_BYTES);
  const crtime = extraField(0x90);
  const inode: Inode = {
    number, byteOffset: offset, mode, kind,
    uid: (u16le(bytes, 0x02) | (u16le(bytes, 0x78) << 16)) >>> 0,
    gid: (u16le(bytes, 0x18) | (u16le(bytes, 0x7a) << 16)) >>> 0,
    size: u32le(bytes, 0x04) + u32le(bytes, 0x6c) * 0x1_0000_0000,
    links: u16le(bytes, 0x1a),
    blockUnits: u32le(bytes, 0x1c) + u16le(bytes, 0x74) * 0x1_0000_0000,
    flags: u32le(bytes, 0x20),
    blockField,
    generation: u32le(bytes, 0x64),
    fileAclBlock: u32le(bytes, 0x68) + u16le(bytes, 0x76) * 0x1_0000_0000,
    times: {
      atime: nanoseconds(u32le(bytes, 0x08), extraField(0x8c)),
      ctime: nanoseconds(u32le(bytes, 0x0c), extraField(0x84)),
      mtime: nanoseconds(u32le(bytes, 0x10), extraField(0x88)),
      btime: crtime === undefined ? undefined : nanoseconds(crtime, extraField(0x94)),
      dtime: u32le(bytes, 0x14),
    },
    extra: bytes.subarray(GOOD_OLD_INODE_SIZE),
    extraIsize: extraEnd - GOOD_OLD_INODE_SIZE,
  };
  if (kind === 'chardev' || kind === 'blockdev') inode.device = deviceOf(blockField);
  if (!Number.isSafeInteger(inode.size)) throw new GrtError('BAD_RECORD', 'inode size beyond 2^53', { structure: `ext inode ${number}`, offset: offset + 0x04, space: 'volume' });
  if (checksumSeed !== undefined && mode !== 0) checkInode(bytes, number, offset, checksumSeed, extraEnd, warnings);
  return inode;
}

/** metadata_csum: crc32c(seed, inode number, generation, inode with both checksum halves zeroed). */
function checkInode(bytes: Uint8Array, number: number, offset: number, seed: number, extraEnd: number, warnings?: GrtWarning[]): void {
  const hasHigh = extraEnd >= 0x84;
  // The inode with l_i_checksum_lo (0x7C) and i_checksum_hi (0x82) counted as zeros, without a copy.
  let crc = crc32cRaw(crc32cU32le(crc32cU32le(seed, number), u32le(bytes, 0x64)), bytes, 0, 0x7c);
  crc = crc32cZeros(crc, 2);
  if (hasHigh) {
    crc = crc32cRaw(crc, bytes, 0x7e, 0x82);
    crc = crc32cZeros(crc, 2);
    crc = crc32cRaw(crc, bytes, 0x84);
  } else {
    crc = crc32cRaw(crc, bytes, 0x7e);
  }
  const stored = u16le(bytes, 0x7c) | (hasHigh ? u16le(bytes, 0x82) << 16 : 0);
  const expected = hasHigh ? crc >>> 0 : crc & 0xffff;
  if ((stored >>> 0) !== expected) warnings?.push({ code: 'BAD_CHECKSUM', message: `ext inode ${number} checksum does not match`, offset: offset + 0x7c });
}
