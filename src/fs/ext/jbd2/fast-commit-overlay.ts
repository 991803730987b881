/**
 * Fast commits replayed in memory: a logical overlay over the block-level jbd2 replay that the ext
 * reader consults before the inode table, the extent tree and the directory blocks. INODE tags
 * replace an inode's bytes, ADD_RANGE/DEL_RANGE change an in-memory extent list for that inode,
 * CREAT/LINK/UNLINK add and remove directory entries. Nothing is written to the image.
 *
 * Source: e2fsck's journal.c, the fast-commit replay (ext4_fc_replay and its handlers), whose
 * result e2fsck -fy leaves on disk (the test oracle), and the kernel's fs/ext4/fast_commit.c:
 * tags are applied in log order. INODE (ext4_fc_handle_inode): of the logged inode, the bytes
 * before i_block and from i_generation to 128 + its i_extra_isize replace the inode's; i_block
 * stays (the ranges map the data), except that an inode with EXTENTS_FL but no extent header gets
 * an empty one and an inode with INLINE_DATA_FL takes the logged i_block. The checksum and
 * i_blocks are recomputed by recovery, so the logged ones are not checked.
 */
import { GrtError } from '../../../errors.js';
import { type DirEntry, DIR_FILE_TYPES } from '../directory.js';
import { type Extent, hasExtentHeader, readExtents } from '../extent-tree.js';
import type { BlockReader } from '../block-reader.js';
import { INODE_FLAGS, I_BLOCK_BYTES, I_BLOCK_OFFSET, parseInode } from '../inode.js';
import { decodeName } from '../../utf8-name.js';
import { DirectoryChanges } from './directory-changes.js';
import { ExtentLists } from './extent-list.js';
import type { DentryTag, FastCommitScan, FastCommitTag } from './fast-commit.js';

const GOOD_OLD_INODE_SIZE = 128;
/** i_generation: where the second replaced span of an INODE tag starts. */
const I_GENERATION_OFFSET = 0x64;
const I_EXTRA_ISIZE_OFFSET = 0x80;
/** i_extra_isize must cover itself and i_checksum_hi (e2fsck's ext4_fc_handle_inode). */
const MIN_EXTRA_ISIZE = 4;
/** An empty extent tree root: eh_magic 0xF30A, no entries, eh_max 4 (i_block holds four). */
const EMPTY_EXTENT_ROOT = [0x0a, 0xf3, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0];
const STRUCTURE = 'ext4 fast-commit area';

/** What replay needs of the volume: its inodes as the jbd2 replay left them, and its blocks. */
export interface FastCommitVolume {
  reader: BlockReader;
  inodeSize: number;
  inodeCount: number;
  /** Inode `number`'s bytes (s_inode_size) as on disk after the jbd2 replay. */
  inodeBytes(number: number): Promise<Uint8Array>;
}

export class FastCommitOverlay {
  /** Inode number → its bytes as replayed. */
  readonly inodes = new Map<number, Uint8Array>();
  /** Inode number → its extents as replayed, sorted (they replace the inode's extent tree). */
  readonly extents = new Map<number, Extent[]>();
  readonly directories = new DirectoryChanges();
  private readonly lists = new ExtentLists();

  private constructor(private readonly volume: FastCommitVolume, readonly commits: number) {}

  /** Replay `scan`'s tags; a GrtError when one cannot be applied as recovery would (then none is). */
  static async replay(volume: FastCommitVolume, scan: FastCommitScan): Promise<FastCommitOverlay> {
    const overlay = new FastCommitOverlay(volume, scan.commits);
    for (const tag of scan.tags) await overlay.apply(tag);
    return overlay;
  }

  /**
   * A directory's entries (`read` from its blocks, unless a fast commit created it) with the fast
   * commits' changes applied; with `removed`, names they unlinked are listed as removed.
   */
  async directoryEntries(directory: number, read: () => Promise<DirEntry[]>, removed: boolean): Promise<DirEntry[]> {
    return this.directories.apply(directory, this.directories.created(directory) ? [] : await read(), removed);
  }

  private checkInode(number: number): void {
    if (number < 1 || number > this.volume.inodeCount) throw new GrtError('BAD_RECORD', `fast commit names inode ${number}, outside 1..${this.volume.inodeCount}`, { structure: STRUCTURE });
  }

  private async current(number: number): Promise<Uint8Array> {
    this.checkInode(number);
    return this.inodes.get(number) ?? (await this.volume.inodeBytes(number));
  }

  private async apply(tag: FastCommitTag): Promise<void> {
    switch (tag.kind) {
      case 'inode':
        this.inodes.set(tag.inode, this.merged(await this.current(tag.inode), tag.raw, tag.inode));
        return;
      case 'addRange':
        this.lists.change(await this.extentList(tag.inode), tag.extent.logicalBlock, tag.extent.count, tag.extent);
        return;
      case 'delRange':
        this.lists.change(await this.extentList(tag.inode), tag.logicalBlock, tag.count);
        return;
      case 'unlink':
        await this.current(tag.parent);
        this.directories.add(tag.parent, { kind: 'unlink', name: entryName(tag.name), inode: tag.inode });
        return;
      default:
        await this.link(tag);
    }
  }

  /** LINK or CREAT: an entry for the inode, typed by its mode as replayed so far. */
  private async link(tag: DentryTag): Promise<void> {
    const inode = parseInode(await this.current(tag.inode), tag.inode, 0);
    const parent = parseInode(await this.current(tag.parent), tag.parent, 0);
    if (parent.kind !== 'dir') throw new GrtError('BAD_RECORD', `fast commit links a name into inode ${tag.parent}, not a directory`, { structure: STRUCTURE });
    const fileType = DIR_FILE_TYPES.indexOf(inode.kind as (typeof DIR_FILE_TYPES)[number]);
    if (fileType <= 0) throw new GrtError('BAD_RECORD', `fast commit links inode ${tag.inode} of mode 0o${inode.mode.toString(8)}`, { structure: STRUCTURE });
    if (tag.kind === 'creat' && inode.kind === 'dir') this.directories.markCreated(tag.inode);
    this.directories.add(tag.parent, { kind: 'link', name: entryName(tag.name), inode: tag.inode, fileType });
  }

  /** The inode's bytes with a logged INODE tag's `raw` bytes laid over them. */
  private merged(current: Uint8Array, raw: Uint8Array, number: number): Uint8Array {
    const { inodeSize } = this.volume;
    let length = GOOD_OLD_INODE_SIZE;
    if (inodeSize > GOOD_OLD_INODE_SIZE) {
      const extra = raw.length >= I_EXTRA_ISIZE_OFFSET + 2 ? raw[I_EXTRA_ISIZE_OFFSET]! | (raw[I_EXTRA_ISIZE_OFFSET + 1]! << 8) : 0;
      if (extra < MIN_EXTRA_ISIZE || extra > inodeSize - GOOD_OLD_INODE_SIZE) {
        throw new GrtError('BAD_RECORD', `fast commit logs inode ${number} with i_extra_isize ${extra}`, { structure: STRUCTURE });
      }
      length += extra;
    }
    if (raw.length < length || raw.length > inodeSize) throw new GrtError('BAD_RECORD', `fast commit logs ${raw.length} bytes of inode ${number}`, { structure: STRUCTURE });
    const bytes = current.slice(0, inodeSize);
    bytes.set(raw.subarray(0, I_BLOCK_OFFSET), 0);
    bytes.set(raw.subarray(I_GENERATION_OFFSET, length), I_GENERATION_OFFSET);
    const flags = parseInode(bytes, number, 0).flags;
    const blockField = bytes.subarray(I_BLOCK_OFFSET, I_BLOCK_OFFSET + I_BLOCK_BYTES);
    if (flags & INODE_FLAGS.extents) {
      if (!hasExtentHeader(blockField)) blockField.set(EMPTY_EXTENT_ROOT);
    } else if (flags & INODE_FLAGS.inlineData) {
      blockField.set(raw.subarray(I_BLOCK_OFFSET, I_BLOCK_OFFSET + I_BLOCK_BYTES));
    }
    return bytes;
  }

  /** The inode's extent list, read from its extent tree the first time a range changes it. */
  private async extentList(number: number): Promise<Extent[]> {
    const known = this.extents.get(number);
    if (known) return known;
    const inode = parseInode(await this.current(number), number, 0);
    const structure = `ext inode ${number}`;
    let list: Extent[];
    if (inode.flags & INODE_FLAGS.extents && hasExtentHeader(inode.blockField)) list = this.lists.fromTree(await readExtents(this.volume.reader, inode.blockField, structure));
    else if (inode.blockField.every((byte) => byte === 0)) list = [];
    else throw new GrtError('UNSUPPORTED', `fast commit maps blocks of inode ${number}, which has no extent tree`, { structure: STRUCTURE });
    this.extents.set(number, list);
    return list;
  }
}

/** A logged name as a directory entry's; a name the kernel never writes ("/", NUL, "." or "..") is damage. */
function entryName(bytes: Uint8Array): string {
  if (bytes.includes(0x2f) || bytes.includes(0) || (bytes.length <= 2 && bytes.every((byte) => byte === 0x2e))) {
    throw new GrtError('BAD_RECORD', `fast commit names an entry ${JSON.stringify(decodeName(bytes))}`, { structure: STRUCTURE });
  }
  return decodeName(bytes);
}
