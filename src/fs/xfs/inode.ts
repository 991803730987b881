/**
 * The XFS inode core (xfs_dinode, XFS Algorithms & Data Structures "On-disk Inode"): versions
 * 1 and 2 (100-byte core) and 3 (176-byte core with CRC, creation time and its own number),
 * followed by the data fork and, from di_forkoff × 8, the attribute fork.
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import type { EntryTimes } from '../file-system.js';
import { secondsToNs } from '../../util/time.js';
import { xfsCrcMatches } from './crc32c.js';
import type { Superblock } from './superblock.js';

const INODE_MAGIC = 0x494e; // 'IN'
const CORE_SIZE_V2 = 100;
const CORE_SIZE_V3 = 176;
/** di_crc: CRC-32C of the whole v3 inode. */
const INODE_CRC_OFFSET = 100;
/**
 * di_flags2 is a big-endian u64 at byte 120; both flags read here lie in its low word (byte 124),
 * read as a Number: a BigInt per inode is garbage a listing of 100,000 files pays for.
 */
const FLAGS2_LOW_OFFSET = 124;
/** di_flags2: timestamps are 64-bit nanosecond counters (XFS_DIFLAG2_BIGTIME). */
const DIFLAG2_BIGTIME = 1 << 3;
/** di_flags2: 64-bit data extent counter at byte 24 (XFS_DIFLAG2_NREXT64). */
const DIFLAG2_NREXT64 = 1 << 4;
/** Bigtime counts from the lowest 32-bit time, -2^31 s (xfs_format.h XFS_BIGTIME_EPOCH_OFFSET). */
const BIGTIME_EPOCH_OFFSET_NS = 2n ** 31n * 1_000_000_000n;

/** di_format: how a fork is stored (xfs_dinode_fmt). */
export type ForkFormat = 'dev' | 'local' | 'extents' | 'btree' | 'uuid' | 'unknown';
const FORK_FORMATS: readonly ForkFormat[] = ['dev', 'local', 'extents', 'btree', 'uuid'];

export type InodeKind = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev' | 'unknown';
const KIND_BY_TYPE = new Map<number, InodeKind>([
  [0o100000, 'file'], [0o040000, 'dir'], [0o120000, 'symlink'], [0o010000, 'fifo'],
  [0o140000, 'socket'], [0o020000, 'chardev'], [0o060000, 'blockdev'],
]);

export interface Fork {
  format: ForkFormat;
  /** The fork's bytes inside the inode (inline data, extent list or B+tree root). */
  bytes: Uint8Array;
  extentCount: number;
  /** The fork's first byte in the volume, when the inode was read from a known place (error offsets). */
  byteOffset?: number;
}

export interface Inode {
  number: number;
  mode: number;
  kind: InodeKind;
  version: number;
  uid: number;
  gid: number;
  links: number;
  projectId: number;
  size: number;
  flags: number;
  generation: number;
  times: EntryTimes;
  dataFork: Fork;
  attrFork?: Fork;
  /** Character and block devices: the device number (major, minor). */
  device?: { major: number; minor: number };
}

/**
 * A device inode's data fork (format 'dev') holds one big-endian xfs_dev_t in the SysV layout:
 * major in bits 18–31, minor in bits 0–17 (the kernel's sysv_major/sysv_minor; it keeps 9 bits of
 * the major, as MKDEV does).
 */
function deviceOf(fork: Uint8Array): { major: number; minor: number } | undefined {
  if (fork.length < 4) return undefined;
  const value = new DataView(fork.buffer, fork.byteOffset, 4).getUint32(0);
  return { major: (value >>> 18) & 0x1ff, minor: value & 0x3ffff };
}

function forkFormat(value: number): ForkFormat {
  return FORK_FORMATS[value] ?? 'unknown';
}

/** A timestamp as nanoseconds since 1970: bigtime's counter, or legacy signed 32-bit seconds and nanoseconds. */
function timestamp(view: DataView, offset: number, bigtime: boolean): bigint {
  if (bigtime) return view.getBigUint64(offset) - BIGTIME_EPOCH_OFFSET_NS;
  return secondsToNs(view.getInt32(offset), view.getUint32(offset + 4));
}

/** A big-endian u64 as a Number (unsafe past 2^53: callers check where it matters). */
function uint64(view: DataView, offset: number): number {
  return view.getUint32(offset) * 2 ** 32 + view.getUint32(offset + 4);
}

/**
 * A fork of `inode` bytes [start, end), placed in the volume when the inode is. Its bytes are a
 * view made on first use: a listing reads no fork of most inodes, and a view per fork was a
 * twentieth of what listing 100,000 files allocated.
 */
class InodeFork implements Fork {
  private view: Uint8Array | undefined;
  readonly byteOffset?: number;

  constructor(readonly format: ForkFormat, private readonly inode: Uint8Array, private readonly start: number, private readonly end: number, readonly extentCount: number, inodeByte: number | undefined) {
    if (inodeByte !== undefined) this.byteOffset = inodeByte + start;
  }

  get bytes(): Uint8Array {
    return (this.view ??= this.inode.subarray(this.start, this.end));
  }
}

/** Damage in the inode `number`'s core, reported at its first byte: where it starts on the volume. */
function inodeError(number: number, byteOffset: number | undefined, detail: string): GrtError {
  return new GrtError('BAD_RECORD', `XFS inode ${number}: ${detail}`, { structure: 'xfs inode', offset: byteOffset, space: 'volume' });
}

/** Parse the inode `number` from its `sb.inodeSize` bytes, which lie at `byteOffset` of the volume. */
export function parseInode(sb: Superblock, number: number, bytes: Uint8Array, warnings: GrtWarning[], byteOffset?: number): Inode {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== INODE_MAGIC) throw inodeError(number, byteOffset, 'no IN magic');
  const version = bytes[4]!;
  if (version < 1 || version > 3 || (version === 3) !== sb.hasCrc) throw inodeError(number, byteOffset, `inode version ${version} on a v${sb.version} volume`);
  const coreSize = version === 3 ? CORE_SIZE_V3 : CORE_SIZE_V2;
  const mode = view.getUint16(2);
  const flags2Low = version === 3 ? view.getUint32(FLAGS2_LOW_OFFSET) : 0;
  const bigtime = (flags2Low & DIFLAG2_BIGTIME) !== 0;
  const nrext64 = (flags2Low & DIFLAG2_NREXT64) !== 0;
  const size = uint64(view, 56);
  if (!Number.isSafeInteger(size)) throw inodeError(number, byteOffset, `size ${size}`);
  const dataExtents = nrext64 ? uint64(view, 24) : view.getUint32(76);
  const attrExtents = nrext64 ? view.getUint32(76) : view.getUint16(80);
  const forkOffset = bytes[82]! * 8;
  const literalSize = sb.inodeSize - coreSize;
  if (forkOffset > literalSize) throw inodeError(number, byteOffset, `attribute fork offset ${forkOffset} past the inode`);
  const dataEnd = coreSize + (forkOffset > 0 ? forkOffset : literalSize);
  const times: EntryTimes = {
    atime: timestamp(view, 32, bigtime),
    mtime: timestamp(view, 40, bigtime),
    ctime: timestamp(view, 48, bigtime),
  };
  if (version === 3) times.btime = timestamp(view, 144, bigtime);
  if (version === 3 && !xfsCrcMatches(bytes, INODE_CRC_OFFSET)) warnings.push({ code: 'BAD_CHECKSUM', message: `XFS inode ${number}: CRC mismatch` });
  if (version === 3 && uint64(view, 152) !== number) {
    warnings.push({ code: 'BAD_RECORD', message: `XFS inode ${number}: records itself as inode ${view.getBigUint64(152)}` });
  }
  const inode: Inode = {
    number, mode, version,
    kind: KIND_BY_TYPE.get(mode & 0o170000) ?? 'unknown',
    uid: view.getUint32(8),
    gid: view.getUint32(12),
    // v1 inodes keep a 16-bit link count at byte 6 (di_onlink); v2+ a 32-bit one at 16.
    links: version === 1 ? view.getUint16(6) : view.getUint32(16),
    projectId: version === 1 ? 0 : (view.getUint16(20) | (view.getUint16(22) << 16)) >>> 0,
    size,
    flags: view.getUint16(90),
    generation: view.getUint32(92),
    times,
    dataFork: new InodeFork(forkFormat(bytes[5]!), bytes, coreSize, dataEnd, dataExtents, byteOffset),
  };
  if ((inode.kind === 'chardev' || inode.kind === 'blockdev') && inode.dataFork.format === 'dev') {
    const device = deviceOf(inode.dataFork.bytes);
    if (device) inode.device = device;
  }
  if (forkOffset > 0) {
    inode.attrFork = new InodeFork(forkFormat(bytes[83]!), bytes, dataEnd, sb.inodeSize, attrExtents, byteOffset);
  }
  return inode;
}
