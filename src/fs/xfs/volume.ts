/**
 * An XFS volume (v4 or v5) as a grt FileSystem: paths resolved through directories (names are
 * case-sensitive bytes), entries with Unix mode, owners, inode numbers and nanosecond times, file
 * data and layouts from the data fork's extents (unwritten extents and holes read as zeros).
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import type { EntryDetails, FileEntry, FileSystem, FileSystemInfo, StreamLayout } from '../file-system.js';
import { direntEntryType, PosixFileSystem, posixEntry, superblockInfo, withSymlinkTarget, type EntryPlace } from '../posix-tree.js';
import type { Inode } from './inode.js';
import type { Xattr } from './xattr.js';
import { inodeByteOffset } from './superblock.js';
import { XfsVolume } from './xfs-volume.js';
import { entryTimesOf } from '../../util/time.js';

export class XfsFileSystem extends PosixFileSystem<Inode> implements FileSystem {
  readonly kind = 'xfs' as const;
  readonly info: FileSystemInfo;

  constructor(readonly volume: XfsVolume) {
    super({
      rootInode: volume.sb.rootInode,
      warnings: volume.warnings,
      readInode: (number, warnings) => volume.readInode(number, warnings),
      // XFS keeps no removed names grt can find: `deleted` lists nothing more.
      readDirectory: (inode, warnings, _deleted, listing) => volume.readDirectory(inode, warnings, listing !== true),
      // ftype (v5, or the v4 features2 bit) stores each name's type; an inode number outside the volume is left to readInode's error.
      direntType: (entry) => (volume.sb.hasFtype && holdsInode(volume, entry.inode) ? direntEntryType(entry.fileType) : undefined),
    });
    const { sb } = volume;
    this.info = {
      ...superblockInfo(sb),
      agCount: sb.agCount,
      inodeSize: sb.inodeSize,
      logClean: volume.logClean,
      logReplayed: volume.logTransactions,
    };
  }

  openLayout(layout: StreamLayout): ByteSource {
    return this.volume.openData(layout);
  }

  protected async describe(inode: Inode, place: EntryPlace, warnings: GrtWarning[]): Promise<FileEntry> {
    // Fields set one by one, not spread in: a listing builds one of these per file.
    const details: EntryDetails = { flags: inode.flags, projectId: inode.projectId };
    if (inode.device) {
      details.deviceMajor = inode.device.major;
      details.deviceMinor = inode.device.minor;
    }
    const entry = posixEntry(inode, place, entryTimesOf(inode.times), details, warnings);
    return withSymlinkTarget(entry, () => this.volume.symlinkTarget(inode, warnings));
  }

  async streamLayout(target: string | FileEntry, streamName = ''): Promise<StreamLayout> {
    if (streamName !== '') throw new GrtError('NOT_FOUND', `XFS files have no stream ${JSON.stringify(streamName)}`);
    const inode = await this.inodeOf(target);
    if (inode.kind === 'dir') throw new GrtError('IS_A_DIRECTORY', `inode ${inode.number} is a directory`);
    if (inode.kind !== 'file') throw new GrtError('UNSUPPORTED', `inode ${inode.number} (${inode.kind}) has no data stream`);
    return this.volume.layout(inode, inode.size, typeof target === 'string' ? [] : target.warnings);
  }

  /** Every extended attribute of an entry (user.*, trusted.*, security.*; POSIX ACLs as stored). */
  async xattrs(target: string | FileEntry): Promise<Xattr[]> {
    return this.volume.xattrs(await this.inodeOf(target), typeof target === 'string' ? this.volume.warnings : target.warnings);
  }

  async openStream(target: string | FileEntry, streamName = ''): Promise<ByteSource> {
    return this.volume.openData(await this.streamLayout(target, streamName));
  }
}

/** Whether an inode number addresses an inode slot of the volume (one readInode would read). */
function holdsInode(volume: XfsVolume, number: number): boolean {
  const byteOffset = inodeByteOffset(volume.sb, number);
  return byteOffset !== undefined && byteOffset + volume.sb.inodeSize <= volume.source.size;
}

export async function openXfs(source: ByteSource): Promise<XfsFileSystem> {
  return new XfsFileSystem(await XfsVolume.open(source));
}
