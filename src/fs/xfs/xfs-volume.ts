/**
 * The pieces of an XFS volume the FileSystem needs: the superblock, inodes by number, fork
 * extents, directory names, file layouts and symlink targets. Metadata blocks and inodes go
 * through a byte cache (LRU) so a walk does not reread an inode cluster per child.
 */
import { LRUCache } from 'lru-cache';
import { GrtError, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import type { StreamLayout } from '../file-system.js';
import { openLayoutStream, sourceOffsetAt } from '../layout-stream.js';
import { decodeName } from '../utf8-name.js';
import { readXattrs } from './attr-fork.js';
import { crcChecker, xfsCrcMatches, type CrcCheck } from './crc32c.js';
import { forkExtents, type Extent } from './bmap.js';
import { DIR_LEAF_OFFSET, parseDataBlock, parseShortForm, type DirEntry } from './directory.js';
import { parseInode, type Inode } from './inode.js';
import { OverlaySource } from './log/overlay.js';
import { replayLog } from './log/replay.js';
import type { Xattr } from './xattr.js';
import { fsBlockToByte, inodeToByte, parseSuperblock, SUPERBLOCK_SIZE, type Superblock } from './superblock.js';

/** Metadata blocks kept (16 MiB): inode clusters and directory blocks of a large walk. */
const CACHED_BYTES = 16 * 1024 * 1024;
/** Directories kept parsed: the ancestors of the paths being looked up. */
const CACHED_DIRECTORIES = 64;
/** Bytes of one directory read: 64 Mi covers millions of names and bounds a hostile size. */
export const MAX_DIR_BYTES = 64 * 1024 * 1024;
/** A symlink target is at most MAXPATHLEN (1024) bytes (XFS_SYMLINK_MAXLEN). */
const MAX_SYMLINK_LENGTH = 1024;
/** Remote symlink blocks on v5 volumes start with an xfs_dsymlink_hdr ('XSLM'). */
const SYMLINK_HEADER_V5 = 56;
const SYMLINK_MAGIC = 0x58534c4d;
const SYMLINK_CRC_OFFSET = 12;
/** di_flags: the data fork maps realtime-device blocks (XFS_DIFLAG_REALTIME). */
const DIFLAG_REALTIME = 0x1;
/** Inodes are allocated in chunks of 64 (XFS_INODES_PER_CHUNK): the unit of an inode read. */
const INODES_PER_CHUNK = 64;
/** AG headers checked at open: bounds the reads for a volume claiming millions of AGs. */
const MAX_AG_HEADERS_CHECKED = 4096;
/** The AGF and AGI, in the second and third sectors of each AG, with their CRC offsets (xfs_format.h). */
const AG_HEADERS = [{ name: 'AGF', magic: 0x58414746, sector: 1, crcOffset: 216 }, { name: 'AGI', magic: 0x58414749, sector: 2, crcOffset: 312 }] as const;
/** sb_crc's offset in the v5 superblock. */
const SUPERBLOCK_CRC_OFFSET = 224;
/** sb_dblocks: the volume's size in blocks. */
const SB_DBLOCKS_OFFSET = 8;

export class XfsVolume {
  readonly warnings: GrtWarning[] = [];
  private readonly cache: LRUCache<number, Uint8Array>;
  /** Parsed directories: path lookups reread the same large directories (node/B+tree ones). */
  private readonly directories = new LRUCache<number, DirEntry[]>({ max: CACHED_DIRECTORIES });
  /** v5 metadata CRCs: each mismatching block is reported once. */
  readonly checkCrc: CrcCheck;

  /** Whether the log was cleanly unmounted (undefined: never written, external or unreadable). */
  logClean: boolean | undefined;
  /** Committed log transactions replayed into memory at open. */
  logTransactions = 0;

  private constructor(readonly source: ByteSource, readonly sb: Superblock) {
    this.cache = new LRUCache({ max: Math.max(16, CACHED_BYTES / sb.blockSize) });
    this.checkCrc = crcChecker(sb.hasCrc);
  }

  static async open(source: ByteSource): Promise<XfsVolume> {
    const sb = parseSuperblock(await source.read(0, SUPERBLOCK_SIZE), source.size);
    if (sb.blockCount * sb.blockSize > source.size) {
      throw new GrtError('TRUNCATED', `XFS volume of ${sb.blockCount * sb.blockSize} bytes in a ${source.size}-byte source`, { structure: 'xfs superblock', offset: SB_DBLOCKS_OFFSET, space: 'volume' });
    }
    const warnings: GrtWarning[] = [];
    const { replayed, clean, transactions } = await XfsVolume.replay(source, sb, warnings);
    const volume = new XfsVolume(replayed, sb);
    volume.logClean = clean;
    volume.logTransactions = transactions;
    // sb_crc covers the superblock's whole sector (xfs_sb_verify: XFS_SB_CRC_OFF = 224).
    if (sb.hasCrc && !xfsCrcMatches(await replayed.read(0, Math.max(SUPERBLOCK_SIZE, Math.min(sb.sectorSize, sb.blockSize))), SUPERBLOCK_CRC_OFFSET)) {
      volume.warnings.push({ code: 'BAD_CHECKSUM', message: 'XFS superblock CRC mismatch' });
    }
    volume.warnings.push(...warnings);
    await volume.checkAgHeaders();
    return volume;
  }

  /** Each AG's AGF and AGI: grt reads neither, but damage there is worth a warning. */
  private async checkAgHeaders(): Promise<void> {
    const { agCount, agBlocks, blockSize, sectorSize, hasCrc } = this.sb;
    if (sectorSize < 512 || sectorSize > blockSize || (sectorSize & (sectorSize - 1)) !== 0) return;
    for (let ag = 0; ag < Math.min(agCount, MAX_AG_HEADERS_CHECKED); ag++) {
      for (const header of AG_HEADERS) {
        const byteOffset = ag * agBlocks * blockSize + header.sector * sectorSize;
        if (byteOffset + sectorSize > this.source.size) return;
        const bytes = await this.source.read(byteOffset, sectorSize);
        if (new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0) !== header.magic) {
          this.warnings.push({ code: 'BAD_MAGIC', message: `XFS AG ${ag}: no ${header.name} magic` });
        } else if (hasCrc && !xfsCrcMatches(bytes, header.crcOffset)) {
          this.warnings.push({ code: 'BAD_CHECKSUM', message: `XFS AG ${ag}: ${header.name} CRC mismatch` });
        }
      }
    }
  }

  /** The volume as the log leaves it: replayed in memory when it was not cleanly unmounted. */
  private static async replay(source: ByteSource, sb: Superblock, warnings: GrtWarning[]): Promise<{ replayed: ByteSource; clean: boolean | undefined; transactions: number }> {
    try {
      const replay = await replayLog(source, sb, warnings);
      if (replay.clean === undefined) warnings.push({ code: 'DIRTY_LOG', message: `XFS log not checked (${replay.reason}): changes made shortly before the backup may be missing` });
      if (replay.clean === false) {
        const skipped = [...replay.skipped].map(([name, count]) => `${count} × ${name}`).join(', ');
        warnings.push({ code: 'LOG_REPLAYED', message: `XFS log replayed: ${replay.transactions} transactions (in memory; the image is unchanged)` });
        if (skipped) warnings.push({ code: 'LOG_INCOMPLETE', message: `XFS log items not replayed (${skipped}): the files they change may lack their newest state` });
      }
      return { replayed: replay.overlay.sectorCount > 0 ? new OverlaySource(replay.overlay) : source, clean: replay.clean, transactions: replay.transactions };
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      const message = `XFS log not replayed (${error.message}): changes made shortly before the backup may be missing`;
      warnings.push(error.offset === undefined ? { code: 'DIRTY_LOG', message } : { code: 'DIRTY_LOG', message, offset: error.offset });
      return { replayed: source, clean: false, transactions: 0 };
    }
  }

  /** One file-system block (cached; callers must not modify it). */
  async block(fsBlock: number): Promise<Uint8Array> {
    const hit = this.cache.get(fsBlock);
    if (hit) return hit;
    const bytes = await this.source.read(fsBlockToByte(this.sb, fsBlock), this.sb.blockSize);
    this.cache.set(fsBlock, bytes);
    return bytes;
  }

  async readInode(number: number, warnings: GrtWarning[] = []): Promise<Inode> {
    const offset = inodeToByte(this.sb, number);
    const blockStart = offset - (offset % this.sb.blockSize);
    const block = this.cache.get(-1 - blockStart / this.sb.blockSize) ?? (await this.readInodeChunk(number, blockStart));
    const at = offset - blockStart;
    return parseInode(this.sb, number, block.subarray(at, at + this.sb.inodeSize), warnings, offset);
  }

  /**
   * The block holding an inode, read with the rest of its 64-inode chunk (XFS_INODES_PER_CHUNK,
   * contiguous and chunk-aligned inside its AG): a directory's children mostly share a few chunks,
   * so a walk makes one read per chunk instead of one per block. Blocks are cached under negative
   * keys (by disk position).
   */
  private async readInodeChunk(number: number, blockStart: number): Promise<Uint8Array> {
    const { blockSize, inodeSize, agBlocks, agBlockLog, inodesPerBlockLog } = this.sb;
    const chunkBlocks = Math.max(1, (INODES_PER_CHUNK * inodeSize) / blockSize);
    const first = number - (number % INODES_PER_CHUNK);
    let start = blockStart;
    let blocks = 1;
    // The chunk's first inode must be in the same AG block range (AG bits lie above bit 6).
    if (chunkBlocks > 1 && agBlockLog + inodesPerBlockLog >= 6 && first > 0) {
      const chunkStart = inodeToByte(this.sb, first);
      const agRelative = Math.floor(chunkStart / blockSize) % agBlocks;
      if (agRelative + chunkBlocks <= agBlocks && chunkStart + chunkBlocks * blockSize <= this.source.size) {
        start = chunkStart;
        blocks = chunkBlocks;
      }
    }
    const bytes = await this.source.read(start, blocks * blockSize);
    for (let i = 0; i < blocks; i++) this.cache.set(-1 - start / blockSize - i, bytes.subarray(i * blockSize, (i + 1) * blockSize));
    return this.cache.get(-1 - blockStart / blockSize) ?? bytes.subarray(blockStart - start, blockStart - start + blockSize);
  }

  async extents(inode: Inode, warnings: GrtWarning[]): Promise<Extent[]> {
    return forkExtents(this.sb, inode.dataFork, (fsBlock) => this.block(fsBlock), warnings, this.checkCrc);
  }

  /** Where the data fork's bytes live, up to the file size; unwritten extents and holes are null. */
  async layout(inode: Inode, size: number, warnings: GrtWarning[]): Promise<StreamLayout> {
    const layout: StreamLayout = { name: '', size, initializedSize: size, encoding: 'raw', runs: [] };
    const fork = inode.dataFork;
    if (fork.format === 'local') {
      if (size > fork.bytes.length) throw this.inodeDamage(inode, `inline data of ${size} bytes in a ${fork.bytes.length}-byte fork`);
      return { ...layout, encoding: 'resident', resident: fork.bytes.slice(0, size), runs: [] };
    }
    if (fork.format === 'dev') return layout;
    // A realtime file's extents address the realtime device, which grt does not have: reading
    // them from the data device would give another file's bytes.
    if (inode.flags & DIFLAG_REALTIME) throw new GrtError('UNSUPPORTED', `XFS inode ${inode.number}: realtime file (data on the realtime device)`);
    const { blockSize, agBlocks, agBlockLog } = this.sb;
    let mapped = 0;
    for (const extent of await this.extents(inode, warnings)) {
      const streamOffset = extent.fileBlock * blockSize;
      if (streamOffset >= size) break;
      // A gap between extents is a hole (sparse file): runs must be contiguous, so say it.
      if (streamOffset > mapped) layout.runs.push({ streamOffset: mapped, sourceOffset: null, length: streamOffset - mapped });
      // An extent never crosses its AG: a count past the AG's end is damage.
      if ((extent.fsBlock % 2 ** agBlockLog) + extent.blockCount > agBlocks) {
        throw this.inodeDamage(inode, `extent at block ${extent.fsBlock} runs past its AG`, 'xfs extents');
      }
      const length = Math.min(extent.blockCount * blockSize, size - streamOffset);
      const sourceOffset = extent.unwritten ? null : fsBlockToByte(this.sb, extent.fsBlock);
      layout.runs.push({ streamOffset, sourceOffset, length });
      mapped = streamOffset + length;
    }
    if (mapped < size) layout.runs.push({ streamOffset: mapped, sourceOffset: null, length: size - mapped });
    return layout;
  }

  openData(layout: StreamLayout): ByteSource {
    return openLayoutStream(this.source, layout);
  }

  /**
   * The names of a directory (without '.' and '..'); damage is reported on the first read only.
   * `keep` false: read for a listing, which reads each directory once; keeping every directory a
   * walk lists would hold tens of thousands of names that the garbage collector copies over and
   * over, so only path lookups fill the cache.
   */
  async readDirectory(inode: Inode, warnings: GrtWarning[] = [], keep = true): Promise<DirEntry[]> {
    if (inode.kind !== 'dir') throw new GrtError('NOT_A_DIRECTORY', `XFS inode ${inode.number} is not a directory`);
    const hit = this.directories.get(inode.number);
    if (hit) return hit;
    const entries = await this.parseDirectory(inode, warnings);
    if (keep) this.directories.set(inode.number, entries);
    return entries;
  }

  private async parseDirectory(inode: Inode, warnings: GrtWarning[]): Promise<DirEntry[]> {
    const fork = inode.dataFork;
    if (fork.format === 'local') return parseShortForm(this.sb, inode.number, fork.bytes, inode.size, inodeToByte(this.sb, inode.number));
    const { dirBlockSize } = this.sb;
    const dataBytes = Math.min(inode.size, DIR_LEAF_OFFSET);
    if (dataBytes > MAX_DIR_BYTES) throw this.inodeDamage(inode, `directory of ${inode.size} bytes`, 'xfs directory', 'LIMIT_EXCEEDED');
    // Leaf/node/btree directories are larger than their data blocks: map up to the leaf offset.
    const layout = await this.layout(inode, DIR_LEAF_OFFSET, warnings);
    const data = this.openData(layout);
    const blockStarts = new Set<number>();
    for (const run of layout.runs) {
      if (run.sourceOffset === null) continue;
      for (let at = run.streamOffset - (run.streamOffset % dirBlockSize); at < run.streamOffset + run.length; at += dirBlockSize) {
        blockStarts.add(at);
        if (blockStarts.size * dirBlockSize > MAX_DIR_BYTES) throw this.inodeDamage(inode, `directory of more than ${MAX_DIR_BYTES} bytes of names`, 'xfs directory', 'LIMIT_EXCEEDED');
      }
    }
    const out: DirEntry[] = [];
    for (const start of [...blockStarts].sort((a, b) => a - b)) {
      try {
        parseDataBlock(this.sb, inode.number, await data.read(start, dirBlockSize), out, warnings, sourceOffsetAt(layout.runs, start));
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
        warnings.push({ code: error.code, message: `${error.message} (directory block at ${start})`, ...(error.offset === undefined ? {} : { offset: error.offset }) });
      }
    }
    return out;
  }

  async symlinkTarget(inode: Inode, warnings: GrtWarning[]): Promise<string> {
    if (inode.size > MAX_SYMLINK_LENGTH) throw this.inodeDamage(inode, `symlink of ${inode.size} bytes`);
    const fork = inode.dataFork;
    if (fork.format === 'local') {
      if (inode.size > fork.bytes.length) throw this.inodeDamage(inode, `symlink of ${inode.size} bytes in a ${fork.bytes.length}-byte fork`);
      return decodeName(fork.bytes, 0, inode.size);
    }
    // A v5 remote symlink has one XSLM header per extent, its CRC over the whole extent
    // (xfs_symlink_remote.c): the target plus headers fits in a few blocks.
    const header = this.sb.hasCrc ? SYMLINK_HEADER_V5 : 0;
    const maxBlocks = Math.ceil((MAX_SYMLINK_LENGTH + header) / this.sb.blockSize);
    const parts: Uint8Array[] = [];
    let remaining = inode.size;
    for (const extent of await this.extents(inode, warnings)) {
      if (remaining <= 0) break;
      if (extent.blockCount > maxBlocks) throw this.inodeDamage(inode, `symlink extent of ${extent.blockCount} blocks`);
      const blocks: Uint8Array[] = [];
      for (let i = 0; i < extent.blockCount; i++) blocks.push(await this.block(extent.fsBlock + i));
      const buffer = Buffer.concat(blocks);
      if (this.sb.hasCrc) {
        if (buffer.readUInt32BE(0) !== SYMLINK_MAGIC) {
          throw new GrtError('BAD_MAGIC', `XFS symlink inode ${inode.number}: no XSLM header`, { structure: 'xfs symlink block', offset: fsBlockToByte(this.sb, extent.fsBlock), space: 'volume' });
        }
        this.checkCrc(extent.fsBlock, buffer, SYMLINK_CRC_OFFSET, 'remote symlink', warnings);
      }
      const take = Math.min(remaining, buffer.length - header);
      parts.push(buffer.subarray(header, header + take));
      remaining -= take;
    }
    if (remaining > 0) throw this.inodeDamage(inode, `symlink with ${remaining} bytes unmapped`, 'xfs inode', 'MISSING_DATA');
    return decodeName(Buffer.concat(parts));
  }

  /** Damage an inode's fields show: the error names the inode's byte in the volume. */
  private inodeDamage(inode: Inode, detail: string, structure = 'xfs inode', code: 'BAD_RECORD' | 'LIMIT_EXCEEDED' | 'MISSING_DATA' = 'BAD_RECORD'): GrtError {
    return new GrtError(code, `XFS inode ${inode.number}: ${detail}`, { structure, offset: inodeToByte(this.sb, inode.number), space: 'volume' });
  }

  /** Every extended attribute (user.*, trusted.*, security.*) of an inode. */
  async xattrs(inode: Inode, warnings: GrtWarning[]): Promise<Xattr[]> {
    return readXattrs(this.sb, inode, (fsBlock) => this.block(fsBlock), warnings, this.checkCrc);
  }
}
