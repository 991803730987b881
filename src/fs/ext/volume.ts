/**
 * An ext2/ext3/ext4 volume as a grt FileSystem: paths resolved through directories (names are
 * case-sensitive bytes), entries with Unix mode, owners, inode numbers and nanosecond times, file
 * data and layouts that read through the replayed journal.
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import type { FileEntry, FileSystem, FileSystemInfo, StreamLayout } from '../file-system.js';
import { openLayoutStream } from '../layout-stream.js';
import { direntEntryType, PosixFileSystem, posixEntry, superblockInfo, withSymlinkTarget, type EntryPlace, type PosixDirEntry } from '../posix-tree.js';
import { firstAtOrAfter } from '../../util/sorted.js';
import { ExtVolume, type ExtOpenOptions } from './ext-volume.js';
import { INODE_FLAGS, ROOT_INODE, type Inode } from './inode.js';
import { INCOMPAT } from './superblock.js';
import type { Xattr } from './xattr.js';
import { entryTimes } from '../../util/time.js';

/** Data kept in memory for a layout whose blocks came from the journal escaped (rare). */
const MAX_RESIDENT_LAYOUT_BYTES = 16 * 1024 * 1024;

export class ExtFileSystem extends PosixFileSystem<Inode> implements FileSystem {
  readonly kind: FileSystem['kind'];
  readonly info: FileSystemInfo;

  constructor(readonly volume: ExtVolume) {
    super({
      rootInode: ROOT_INODE,
      warnings: volume.warnings,
      readInode: (number, warnings, alone) => volume.readInode(number, warnings, alone),
      readDirectory: (inode, warnings, deleted) => volume.readDirectory(inode, warnings, deleted),
      direntType: (entry) => direntType(volume, entry),
    });
    const { sb } = volume;
    this.kind = sb.version;
    this.info = {
      ...superblockInfo(sb),
      inodeCount: sb.inodeCount,
      journalReplayed: volume.journalTransactions,
    };
  }

  openLayout(layout: StreamLayout): ByteSource {
    return openLayoutStream(this.volume.source, layout);
  }

  /** A removed name is listed only while its inode still describes that file (`isRecoverable`). */
  protected async describe(inode: Inode, place: EntryPlace, warnings: GrtWarning[]): Promise<FileEntry | undefined> {
    if (place.removed && !(await this.volume.isRecoverable(inode))) return undefined;
    const { mtime, atime, ctime, btime } = inode.times;
    const details = { flags: inode.flags, ...(inode.device ? { deviceMajor: inode.device.major, deviceMinor: inode.device.minor } : {}) };
    const entry = posixEntry(inode, place, entryTimes(mtime, atime, ctime, btime), details, warnings);
    // Devices, FIFOs and sockets keep i_size as stored (0 unless damaged).
    if (entry.type === 'other') entry.size = inode.size;
    // fscrypt: names and data are ciphertext grt cannot decrypt; list the file, never show its bytes as data.
    if (inode.flags & INODE_FLAGS.encrypt) entry.undecodable = 'ext4-encrypted';
    return withSymlinkTarget(entry, () => this.volume.symlinkTarget(inode, warnings));
  }

  async openStream(target: string | FileEntry, streamName = ''): Promise<ByteSource> {
    if (streamName !== '') throw new GrtError('NOT_FOUND', `ext files have no stream ${JSON.stringify(streamName)}`);
    const inode = await this.inodeOf(target);
    if (inode.kind === 'dir') throw new GrtError('IS_A_DIRECTORY', `inode ${inode.number} is a directory`);
    if (inode.kind !== 'file' && inode.kind !== 'symlink') throw new GrtError('UNSUPPORTED', `inode ${inode.number} (${inode.kind}) has no data`);
    if (inode.flags & INODE_FLAGS.encrypt) throw new GrtError('ENCRYPTED', `inode ${inode.number} is encrypted (fscrypt); grt cannot decrypt it`);
    return this.volume.openData(inode, []);
  }

  async streamLayout(target: string | FileEntry, streamName = ''): Promise<StreamLayout> {
    const data = await this.openStream(target, streamName);
    const inode = await this.inodeOf(target);
    const layout: StreamLayout = { name: '', size: inode.size, initializedSize: inode.size, encoding: 'raw', runs: [] };
    const resident = async (): Promise<StreamLayout> => {
      if (inode.size > MAX_RESIDENT_LAYOUT_BYTES) throw new GrtError('UNSUPPORTED', `inode ${inode.number}: journal-escaped blocks in a file past ${MAX_RESIDENT_LAYOUT_BYTES} bytes`);
      return { ...layout, encoding: 'resident', resident: await data.read(0, inode.size) };
    };
    if (inode.flags & INODE_FLAGS.inlineData) return resident();
    const { blockSize } = this.volume.sb;
    const overlay = this.volume.reader.overlay;
    // Blocks a replayed transaction rewrote are read from their journal copy, one block each. A
    // run is split only where such a block falls in it: the work is per run and per replayed
    // block, never per block (a damaged i_size makes a hole of billions of blocks).
    const replayedBlocks = this.volume.reader.replayedBlocks();
    const push = (logicalBlock: number, sourceBlock: number | null, count: number): void => {
      const streamOffset = logicalBlock * blockSize;
      const length = Math.min(count * blockSize, inode.size - streamOffset);
      if (length > 0) layout.runs.push({ streamOffset, sourceOffset: sourceBlock === null ? null : sourceBlock * blockSize, length });
    };
    for (const run of await this.volume.dataRuns(inode, [])) {
      if (run.physicalBlock === null) {
        push(run.logicalBlock, null, run.count);
        continue;
      }
      let done = 0;
      for (let k = firstAtOrAfter(replayedBlocks, run.physicalBlock); k < replayedBlocks.length && replayedBlocks[k]! < run.physicalBlock + run.count; k++) {
        const replayed = overlay.get(replayedBlocks[k]!)!;
        if (replayed.escaped) return resident();
        const at = replayedBlocks[k]! - run.physicalBlock;
        push(run.logicalBlock + done, run.physicalBlock + done, at - done);
        push(run.logicalBlock + at, replayed.journalBlockNumber, 1);
        done = at + 1;
      }
      push(run.logicalBlock + done, run.physicalBlock + done, run.count - done);
    }
    return layout;
  }

  /** Every extended attribute of an entry (user.*, security.*, trusted.*, POSIX ACLs as stored). */
  async xattrs(target: string | FileEntry): Promise<Xattr[]> {
    const inode = await this.inodeOf(target);
    return (await this.volume.xattrs(inode, [])).filter((x) => x.name !== 'system.data');
  }
}

/**
 * A name's type from its directory entry (ext4_dir_entry_2.file_type, kept with the `filetype`
 * feature), for plain listings. Not with `encrypt`: an fscrypt file is listed as undecodable,
 * which only its inode's flags say.
 */
function direntType(volume: ExtVolume, entry: PosixDirEntry): FileEntry['type'] | undefined {
  const { featureIncompat, inodeCount } = volume.sb;
  if (!(featureIncompat & INCOMPAT.filetype) || featureIncompat & INCOMPAT.encrypt || entry.inode > inodeCount) return undefined;
  return direntEntryType(entry.fileType);
}

export async function openExt(source: ByteSource, options: ExtOpenOptions = {}): Promise<ExtFileSystem> {
  const volume = await ExtVolume.open(source, options);
  // A volume whose root is not a directory has no tree to list (a superblock left over after
  // another file system was made over it reads other bytes as inodes): refuse it at mount.
  const root = await volume.readInode(ROOT_INODE, []);
  if (root.kind !== 'dir') {
    throw new GrtError('BAD_RECORD', 'the root is not a directory; not a usable ext volume', { structure: `inode ${ROOT_INODE}`, offset: root.byteOffset, space: 'volume' });
  }
  return new ExtFileSystem(volume);
}
