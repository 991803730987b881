/**
 * An ext2/ext3/ext4 volume opened read-only over a ByteSource: superblock (a backup one when the
 * primary is damaged), group descriptors, the jbd2 journal replayed in memory when the volume
 * needs recovery, and inodes with their data, directories, xattrs and symlink targets.
 *
 * Source: "ext4 Data Structures and Algorithms" (kernel documentation), sections cited in each file.
 */
import { GrtError, isGrtError, warningFrom, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { MemorySource } from '../../io/memory-source.js';
import { decodeName } from '../utf8-name.js';
import { BlockReader } from './block-reader.js';
import type { BlockRun } from './block-runs.js';
import { indirectRuns } from './block-map.js';
import { type DirEntry, parseDirBlock } from './directory.js';
import { extentRuns, hasExtentHeader, runsOfExtents } from './extent-tree.js';
import { BlockFileSource } from './file-data.js';
import { GroupDescriptors } from './group-descriptors.js';
import { inlineDirEntries, inlineFileBytes } from './inline-data.js';
import { INODE_FLAGS, type Inode, I_BLOCK_BYTES, I_BLOCK_OFFSET, I_SIZE_OFFSET, parseInode } from './inode.js';
import { FastCommitOverlay } from './jbd2/fast-commit-overlay.js';
import type { FastCommitScan } from './jbd2/fast-commit.js';
import { replayJournal } from './jbd2/replay.js';
import {
  INCOMPAT, RO_COMPAT, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, backupSuperblockCandidates, parseSuperblock, type Superblock,
} from './superblock.js';
import { blockXattrs, inodeXattrs, type Xattr } from './xattr.js';

/** Directory bytes grt reads for one directory: 256 MiB is ~4 million entries (largedir's order). */
export const MAX_DIRECTORY_BYTES = 256 * 1024 * 1024;
/** Symlink targets: PATH_MAX (4096) is the kernel's limit; a longer "target" is damage. */
export const MAX_SYMLINK_BYTES = 4096;
/** Inode table bytes read at once on a cache miss (256 KiB: 1,024 inodes of 256 bytes; a walk reads them all). */
const INODE_TABLE_READ_AHEAD_BYTES = 256 * 1024;

export interface ExtOpenOptions {
  /** Replay the journal when the volume needs recovery (default true). */
  replayJournal?: boolean;
}

export class ExtVolume {
  readonly warnings: GrtWarning[] = [];
  /** Committed jbd2 transactions replayed into the overlay at open. */
  journalTransactions = 0;
  /** Fast commits replayed at open (inodes, extents and names they changed), if any. */
  fastCommits?: FastCommitOverlay;
  private constructor(
    readonly source: ByteSource,
    public sb: Superblock,
    readonly reader: BlockReader,
    public groups: GroupDescriptors,
  ) {}

  static async open(source: ByteSource, options: ExtOpenOptions = {}): Promise<ExtVolume> {
    const warnings: GrtWarning[] = [];
    const { sb, offset } = await readSuperblock(source, warnings);
    const reader = new BlockReader(source, sb.blockSize, Math.min(sb.blockCount, Math.floor(source.size / sb.blockSize)));
    const groups = await GroupDescriptors.read(reader, sb, warnings, Math.floor(offset / sb.blockSize) + 1);
    const volume = new ExtVolume(source, sb, reader, groups);
    volume.warnings.push(...warnings);
    if (sb.featureIncompat & INCOMPAT.recover && options.replayJournal !== false) await volume.replay();
    return volume;
  }

  get hasFileType(): boolean {
    return (this.sb.featureIncompat & INCOMPAT.filetype) !== 0;
  }

  /** Replay the journal into the block overlay, then re-read superblock and descriptors through it. */
  private async replay(): Promise<void> {
    let fastCommits: FastCommitScan | undefined;
    try {
      const journal = await this.readInode(this.sb.journalInode);
      const journalBlocks = Math.floor(journal.size / this.sb.blockSize);
      const runs = await this.dataRuns(journal, []);
      const volumeBlock = (journalBlock: number): number => {
        const run = runs.find((r) => journalBlock >= r.logicalBlock && journalBlock < r.logicalBlock + r.count);
        if (!run || run.physicalBlock === null) {
          throw new GrtError('BAD_TABLE', `journal block ${journalBlock} is not mapped`, { structure: 'jbd2 journal inode', offset: journal.byteOffset + I_BLOCK_OFFSET, space: 'volume' });
        }
        return run.physicalBlock + journalBlock - run.logicalBlock;
      };
      const result = await replayJournal(this.reader, volumeBlock, journalBlocks, this.warnings);
      this.reader.overlay = result.overlay;
      this.reader.clear();
      this.journalTransactions = result.transactions;
      fastCommits = result.fastCommits;
      this.warnings.push({ code: 'JOURNAL_REPLAYED', message: `journal replayed: ${result.transactions} transactions (in memory; the image is unchanged)` });
    } catch (error) {
      if (!isGrtError(error)) throw error;
      this.reader.overlay = new Map();
      this.reader.clear();
      this.warnings.push({ ...warningFrom(error), message: `journal not replayed: ${error.message}` });
      return;
    }
    // A transaction may rewrite the superblock and descriptors: read them as replayed, keep the old ones if those are damaged.
    try {
      const bytes = await this.reader.bytes(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE);
      const sb = parseSuperblock(bytes, this.source.size, SUPERBLOCK_OFFSET, this.warnings);
      if (sb.blockSize === this.sb.blockSize && sb.blockCount === this.sb.blockCount) {
        this.groups = await GroupDescriptors.read(this.reader, sb, this.warnings);
        this.sb = sb;
      }
    } catch (error) {
      if (!isGrtError(error)) throw error;
      this.warnings.push({ ...warningFrom(error), message: `replayed superblock unusable, kept the one on disk: ${error.message}` });
    }
    if (fastCommits) await this.replayFastCommits(fastCommits);
  }

  /** Lay the fast commits over the replayed volume; one that cannot be applied costs them all (a warning), never wrong bytes. */
  private async replayFastCommits(scan: FastCommitScan): Promise<void> {
    const volume = { reader: this.reader, inodeSize: this.sb.inodeSize, inodeCount: this.sb.inodeCount, inodeBytes: async (number: number) => (await this.inodeBytes(number, true)).bytes };
    try {
      this.fastCommits = await FastCommitOverlay.replay(volume, scan);
      this.warnings.push({ code: 'FAST_COMMITS_REPLAYED', message: `fast commits replayed: ${scan.commits} (in memory; the image is unchanged)` });
    } catch (error) {
      if (!isGrtError(error)) throw error;
      this.warnings.push({ ...warningFrom(error), code: 'FAST_COMMIT_NOT_REPLAYED', message: `fast commits not replayed (${error.message}), so the newest changes (made just before the backup) may be missing` });
    }
  }

  /**
   * Inode `number` (1-based), with its metadata_csum checked (warnings go to `warnings`). The
   * inode table is read ahead unless `alone` (the next inodes are not wanted: a names listing).
   */
  async readInode(number: number, warnings: GrtWarning[] = this.warnings, alone = false): Promise<Inode> {
    const replayed = this.fastCommits?.inodes.get(number);
    const { bytes, byteOffset } = await this.inodeBytes(number, alone);
    // NOTE: recovery recomputes a fast-committed inode's checksum, so the logged one is not checked.
    if (replayed) return parseInode(replayed, number, byteOffset, undefined, warnings);
    const seed = this.sb.featureRoCompat & RO_COMPAT.metadataCsum ? this.sb.checksumSeed : undefined;
    return parseInode(bytes, number, byteOffset, seed, warnings);
  }

  /** Inode `number`'s bytes in its inode table (through the jbd2 overlay) and where they lie. */
  private async inodeBytes(number: number, alone: boolean): Promise<{ bytes: Uint8Array; byteOffset: number }> {
    const { sb } = this;
    if (!Number.isSafeInteger(number) || number < 1 || number > sb.inodeCount) {
      throw new GrtError('NOT_FOUND', `inode ${number} is outside 1..${sb.inodeCount}`, { structure: 'ext inode' });
    }
    const group = Math.floor((number - 1) / sb.inodesPerGroup);
    const index = (number - 1) % sb.inodesPerGroup;
    const descriptor = this.groups.get(group);
    const byteOffset = descriptor.inodeTableBlock * sb.blockSize + index * sb.inodeSize;
    const blockNumber = Math.floor(byteOffset / sb.blockSize);
    // Read ahead within this group's inode table: the next inodes are usually asked for next.
    const tableEnd = descriptor.inodeTableBlock + Math.ceil((sb.inodesPerGroup * sb.inodeSize) / sb.blockSize);
    const readAhead = alone ? 1 : Math.min(INODE_TABLE_READ_AHEAD_BYTES / sb.blockSize, tableEnd - blockNumber);
    const block = await this.reader.block(blockNumber, `ext inode ${number}`, readAhead);
    const within = byteOffset - blockNumber * sb.blockSize;
    return { bytes: block.subarray(within, within + sb.inodeSize), byteOffset };
  }

  /** Block runs of a file stored in blocks (not inline), covering its size. */
  async dataRuns(inode: Inode, warnings: GrtWarning[]): Promise<BlockRun[]> {
    const fileBlocks = Math.ceil(inode.size / this.sb.blockSize);
    const structure = `ext inode ${inode.number}`;
    if (fileBlocks === 0) return [];
    const replayed = this.fastCommits?.extents.get(inode.number);
    if (replayed) return runsOfExtents(replayed, fileBlocks, this.reader.blockCount, structure, warnings);
    if (inode.flags & INODE_FLAGS.extents) {
      if (!hasExtentHeader(inode.blockField)) {
        throw new GrtError('BAD_TABLE', 'extent flag set but no extent header', { structure, offset: inode.byteOffset + I_BLOCK_OFFSET, space: 'volume' });
      }
      return extentRuns(this.reader, inode.blockField, fileBlocks, structure, warnings);
    }
    return indirectRuns(this.reader, inode.blockField, fileBlocks, structure, warnings, inode.byteOffset + I_SIZE_OFFSET);
  }

  /** Every xattr of an inode: in-inode ones, then those of its xattr block. */
  async xattrs(inode: Inode, warnings: GrtWarning[]): Promise<Xattr[]> {
    const structure = `ext inode ${inode.number} xattrs`;
    const found = inodeXattrs(inode.extra, inode.extraIsize, structure, warnings);
    if (inode.fileAclBlock !== 0) {
      if (inode.fileAclBlock >= this.reader.blockCount) {
        warnings.push({ code: 'BAD_ATTRIBUTE', message: `${structure}: xattr block ${inode.fileAclBlock} is outside the volume` });
      } else {
        found.push(...blockXattrs(await this.reader.block(inode.fileAclBlock, structure), structure, warnings));
      }
    }
    return found;
  }

  /** The file's bytes (regular files, slow symlinks, directories). */
  async openData(inode: Inode, warnings: GrtWarning[] = []): Promise<ByteSource> {
    const name = `ext inode ${inode.number}`;
    if (inode.flags & INODE_FLAGS.inlineData) {
      return new MemorySource(inlineFileBytes(inode, await this.xattrs(inode, warnings), warnings), name);
    }
    return new BlockFileSource(this.reader, await this.dataRuns(inode, warnings), inode.size, name);
  }

  /** The entries of a directory (`.` and `..` left out); with `removed`, names left in slack too. */
  async readDirectory(inode: Inode, warnings: GrtWarning[] = [], removed = false): Promise<DirEntry[]> {
    if (inode.kind !== 'dir') throw new GrtError('NOT_A_DIRECTORY', `inode ${inode.number} is not a directory`);
    const read = (): Promise<DirEntry[]> => this.directoryBlocksEntries(inode, warnings, removed);
    return this.fastCommits ? this.fastCommits.directoryEntries(inode.number, read, removed) : read();
  }

  private async directoryBlocksEntries(inode: Inode, warnings: GrtWarning[], removed: boolean): Promise<DirEntry[]> {
    if (inode.flags & INODE_FLAGS.inlineData) return inlineDirEntries(inode, await this.xattrs(inode, warnings), this.hasFileType, warnings);
    if (inode.size > MAX_DIRECTORY_BYTES) {
      throw new GrtError('LIMIT_EXCEEDED', `directory of ${inode.size} bytes is past the limit of ${MAX_DIRECTORY_BYTES}`, { structure: `ext inode ${inode.number}` });
    }
    const data = await this.openData(inode, warnings);
    const entries: DirEntry[] = [];
    const blockSize = this.sb.blockSize;
    const chunk = blockSize * 64;
    for (let at = 0; at < data.size; at += chunk) {
      const bytes = await data.read(at, Math.min(chunk, data.size - at));
      for (let block = 0; block < bytes.length; block += blockSize) {
        const structure = `ext directory inode ${inode.number} block ${(at + block) / blockSize}`;
        entries.push(...parseDirBlock(bytes.subarray(block, block + blockSize), this.hasFileType, structure, warnings, blockSize, removed));
      }
    }
    return entries;
  }

  /**
   * True when a removed directory entry's inode still describes that file: not in use (no links,
   * a deletion time) and its data still mapped (the kernel zeroes ext4 extents on delete, debugfs
   * and ext2 leave them), so its bytes can be read.
   */
  async isRecoverable(inode: Inode): Promise<boolean> {
    if (inode.links !== 0 || inode.times.dtime === 0 || inode.mode === 0) return false;
    if (inode.kind !== 'file' && inode.kind !== 'symlink') return inode.kind !== 'unknown';
    if (inode.size === 0 || inode.flags & INODE_FLAGS.inlineData) return true;
    try {
      return (await this.dataRuns(inode, [])).some((run) => run.physicalBlock !== null);
    } catch (error) {
      if (!isGrtError(error)) throw error;
      return false;
    }
  }

  /** A symlink's target bytes: in i_block (fast), inline, or in its data block (slow). */
  async symlinkTarget(inode: Inode, warnings: GrtWarning[] = []): Promise<string> {
    if (inode.size > MAX_SYMLINK_BYTES) {
      throw new GrtError('LIMIT_EXCEEDED', `symlink target of ${inode.size} bytes`, { structure: `ext inode ${inode.number}` });
    }
    const eaBlocks = inode.fileAclBlock !== 0 ? this.sb.blockSize / 512 : 0;
    const fast = !(inode.flags & (INODE_FLAGS.inlineData | INODE_FLAGS.extents)) && inode.blockUnits - eaBlocks === 0;
    const bytes = fast ? inode.blockField.subarray(0, Math.min(inode.size, I_BLOCK_BYTES)) : await (await this.openData(inode, warnings)).read(0, inode.size);
    return decodeName(bytes);
  }
}

/** The primary superblock, or the first backup that parses when the primary is damaged (a warning says so). */
async function readSuperblock(source: ByteSource, warnings: GrtWarning[]): Promise<{ sb: Superblock; offset: number }> {
  if (source.size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) {
    throw new GrtError('TRUNCATED', 'volume too small for an ext superblock', { structure: 'ext superblock', offset: SUPERBLOCK_OFFSET, space: 'volume', expected: SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE, actual: source.size });
  }
  try {
    return { sb: parseSuperblock(await source.read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE), source.size, SUPERBLOCK_OFFSET, warnings), offset: SUPERBLOCK_OFFSET };
  } catch (primaryError) {
    if (!isGrtError(primaryError) || primaryError.code === 'UNSUPPORTED') throw primaryError;
    for (const { blockSize, offset } of backupSuperblockCandidates(source.size)) {
      try {
        const sb = parseSuperblock(await source.read(offset, SUPERBLOCK_SIZE), source.size, offset, warnings);
        if (sb.blockSize !== blockSize) continue;
        warnings.push({ code: primaryError.code, message: `primary superblock unusable (${primaryError.message}); using the backup at byte ${offset}`, offset });
        return { sb, offset };
      } catch (error) {
        if (!isGrtError(error)) throw error;
      }
    }
    throw primaryError;
  }
}
