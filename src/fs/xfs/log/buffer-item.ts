/**
 * Buffer log items (xfs_log_format.h xfs_buf_log_format; the kernel's xlog_recover_do_reg_buffer):
 * a format region naming the buffer (daddr and length in 512-byte blocks) with a bitmap of its
 * dirty 128-byte chunks, then one region per run of set bits holding those chunks' new bytes.
 * The format region is in the byte order of the log (h_fmt); the chunks are disk bytes.
 */
import { GrtError } from '../../../errors.js';
import type { LogItem } from './transactions.js';

export const ITEM_TYPE = { efi: 0x1236, efd: 0x1237, unlinked: 0x1238, inode: 0x123b, buffer: 0x123c, dquot: 0x123d, quotaOff: 0x123e, inodeCreate: 0x123f } as const;
/** blf_flags (XFS_BLF_*). */
const BLF = { inodeBuffer: 0x1, cancel: 0x2, userQuota: 0x4, projectQuota: 0x8, groupQuota: 0x10 } as const;
/** The buffer's type sits in blf_flags bits 11-15 (XFS_BLFT_SHIFT, XFS_BLFT_BITS). */
const BLFT_SHIFT = 11;
const BLFT_MASK = 0x1f;
/** A bitmap bit covers 128 bytes (XFS_BLF_CHUNK). */
const CHUNK = 128;
const FORMAT_HEADER = 20;
const BASIC_BLOCK = 512;

export interface BufferItem {
  /** First 512-byte block of the buffer on the data device. */
  daddr: number;
  /** Length in 512-byte blocks. */
  lengthBlocks: number;
  /** What the buffer holds (XFS_BLFT_*), as the logging kernel knew it. */
  bufferType: number;
  /** The buffer was freed: earlier items for it must not be replayed (XFS_BLF_CANCEL). */
  cancel: boolean;
  /**
   * Only the unlinked-list pointers of an inode buffer or dquots: grt reads neither, and their
   * other chunks may hold stale inode cores, so these are not replayed.
   */
  skip: boolean;
  /** The dirty chunks: byte offset in the buffer and new bytes. */
  chunks: { byteOffset: number; bytes: Uint8Array }[];
}

function bad(item: LogItem, detail: string): GrtError {
  return new GrtError('BAD_RECORD', `XFS log buffer item: ${detail}`, { structure: 'xfs log buffer item', offset: item.byteOffset, space: 'volume' });
}

/** The item's type (the first u16 of its format region). */
export function itemType(item: LogItem, littleEndian: boolean): number {
  const format = item.regions[0]!;
  return new DataView(format.buffer, format.byteOffset, format.byteLength).getUint16(0, littleEndian);
}

export function parseBufferItem(item: LogItem, littleEndian: boolean): BufferItem {
  const format = item.regions[0]!;
  if (format.length < FORMAT_HEADER) throw bad(item, `format region of ${format.length} bytes`);
  const view = new DataView(format.buffer, format.byteOffset, format.byteLength);
  const flags = view.getUint16(4, littleEndian);
  const lengthBlocks = view.getUint16(6, littleEndian);
  const daddr = Number(view.getBigInt64(8, littleEndian));
  const mapWords = view.getUint32(16, littleEndian);
  if (daddr < 0 || !Number.isSafeInteger(daddr * BASIC_BLOCK)) throw bad(item, `buffer at block ${daddr}`);
  if (FORMAT_HEADER + mapWords * 4 > format.length) throw bad(item, `bitmap of ${mapWords} words in a ${format.length}-byte region`);
  const out: BufferItem = {
    daddr, lengthBlocks,
    bufferType: (flags >>> BLFT_SHIFT) & BLFT_MASK,
    cancel: (flags & BLF.cancel) !== 0,
    skip: (flags & (BLF.inodeBuffer | BLF.userQuota | BLF.projectQuota | BLF.groupQuota)) !== 0,
    chunks: [],
  };
  if (out.cancel || out.skip) return out;
  const isSet = (bit: number): boolean => ((view.getUint32(FORMAT_HEADER + (bit >>> 5) * 4, littleEndian) >>> (bit & 31)) & 1) === 1;
  const bits = mapWords * 32;
  let region = 1;
  for (let bit = 0; bit < bits; bit++) {
    if (!isSet(bit)) continue;
    let runBits = 1;
    while (bit + runBits < bits && isSet(bit + runBits)) runBits++;
    const bytes = item.regions[region++];
    if (!bytes) throw bad(item, `buffer at block ${daddr}: bitmap names more regions than the item's ${item.regions.length - 1}`);
    const length = Math.min(bytes.length, runBits * CHUNK);
    if (bit * CHUNK + length > lengthBlocks * BASIC_BLOCK) throw bad(item, `buffer at block ${daddr}: chunk ${bit} past its ${lengthBlocks} blocks`);
    out.chunks.push({ byteOffset: bit * CHUNK, bytes: bytes.subarray(0, length) });
    bit += runBits - 1;
  }
  return out;
}

/** The key cancellations are matched by (the kernel's xlog_find_buffer_cancelled: blkno and len). */
export function bufferKey(item: BufferItem): string {
  return `${item.daddr}:${item.lengthBlocks}`;
}
