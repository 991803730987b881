/**
 * An ext2/ext3/ext4 volume as a grt FileSystem: paths resolved through directories (names are
 * case-sensitive bytes), entries with Unix mode, owners, inode numbers and nanosecond times, file
 * data and layouts that read through the replayed journal.
 */
import { GrtError, isGrtError, warningFrom, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import type { FileEntry, FileSystem, FileSystemInfo, ListOptions, NameRule, OtherKind, StreamLayout } from '../file-system.js';
import { openLayoutStream } from '../layout-stream.js';
import { inNameOrder } from '../name-order.js';
import { ExtVolume, type ExtOpenOptions } from './ext-volume.js';
import { INODE_FLAGS, ROOT_INODE, type Inode, type InodeKind } from './inode.js';
import type { Xattr } from './xattr.js';
import { entryTimes } from '../../util/time.js';

/** Path components followed for one lookup: bounds a path of thousands of `a/a/a/...`. */
const MAX_PATH_COMPONENTS = 4096;
/** Data kept in memory for a layout whose blocks came from the journal escaped (rare). */
const MAX_RESIDENT_LAYOUT_BYTES = 16 * 1024 * 1024;
const NAME_RULE: NameRule = { kind: 'bytes' };

function entryType(kind: InodeKind): FileEntry['type'] {
  return kind === 'file' || kind === 'dir' || kind === 'symlink' ? kind : 'other';
}

function joinPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

export class ExtFileSystem implements FileSystem {
  readonly kind: FileSystem['kind'];
  readonly info: FileSystemInfo;

  constructor(readonly volume: ExtVolume) {
    const { sb } = volume;
    this.kind = sb.version;
    this.info = {
      label: sb.label || undefined,
      serial: sb.uuid,
      uuid: sb.uuid,
      clusterSize: sb.blockSize,
      version: sb.version,
      blockCount: sb.blockCount,
      inodeCount: sb.inodeCount,
      journalReplayed: volume.journalTransactions,
    };
  }

  get warnings(): readonly GrtWarning[] {
    return this.volume.warnings;
  }

  nameRule(): NameRule {
    return NAME_RULE;
  }

  openLayout(layout: StreamLayout): ByteSource {
    return openLayoutStream(this.volume.source, layout);
  }

  private async describe(inode: Inode, path: string, name: string, parent: number | undefined, warnings: GrtWarning[]): Promise<FileEntry> {
    const type = entryType(inode.kind);
    const entry: FileEntry = {
      path, name, type,
      size: type === 'dir' ? 0 : inode.size,
      times: entryTimes(inode.times.mtime, inode.times.atime, inode.times.ctime),
      mode: inode.mode & 0o7777, uid: inode.uid, gid: inode.gid,
      streams: [],
      links: inode.links,
      id: { record: inode.number, sequence: inode.generation },
      details: { flags: inode.flags, ...(inode.device ? { deviceMajor: inode.device.major, deviceMinor: inode.device.minor } : {}) },
      warnings,
    };
    if (inode.times.btime !== undefined) entry.times.btime = inode.times.btime;
    if (parent !== undefined) entry.parent = { record: parent, sequence: 0 };
    if (type === 'other' && inode.kind !== 'unknown') entry.kind = inode.kind as OtherKind;
    // fscrypt: names and data are ciphertext grt cannot decrypt; list the file, never show its bytes as data.
    if (inode.flags & INODE_FLAGS.encrypt) entry.undecodable = 'ext4-encrypted';
    if (inode.kind === 'unknown') warnings.push({ code: 'BAD_RECORD', message: `inode ${inode.number}: unknown file type in mode ${inode.mode.toString(8)}` });
    if (type === 'symlink') {
      try {
        entry.target = await this.volume.symlinkTarget(inode, warnings);
      } catch (error) {
        if (!isGrtError(error)) throw error;
        warnings.push(warningFrom(error));
      }
    }
    return entry;
  }

  /** The inode at `path` and its parent's inode number. */
  private async resolve(path: string): Promise<{ inode: Inode; parent: number | undefined; path: string; name: string }> {
    const parts = path.split('/').filter((part) => part !== '' && part !== '.');
    if (parts.length > MAX_PATH_COMPONENTS) throw new GrtError('LIMIT_EXCEEDED', `path of ${parts.length} components`, { path });
    let inode = await this.volume.readInode(ROOT_INODE);
    let parent: number | undefined;
    let current = '/';
    for (const part of parts) {
      if (inode.kind !== 'dir') throw new GrtError('NOT_A_DIRECTORY', `${current} is not a directory`, { path });
      const found = (await this.volume.readDirectory(inode)).find((entry) => entry.name === part);
      if (!found) throw new GrtError('NOT_FOUND', `no ${JSON.stringify(part)} in ${current}`, { path });
      parent = inode.number;
      inode = await this.volume.readInode(found.inode);
      current = joinPath(current, part);
    }
    return { inode, parent, path: current, name: parts[parts.length - 1] ?? '' };
  }

  async stat(path: string): Promise<FileEntry> {
    const { inode, parent, path: normal, name } = await this.resolve(path);
    return this.describe(inode, normal, name, parent, []);
  }

  async readDir(path: string, options: ListOptions = {}): Promise<FileEntry[]> {
    const { inode, path: normal } = await this.resolve(path);
    return this.children(inode, normal, options);
  }

  private async children(directory: Inode, path: string, options: ListOptions): Promise<FileEntry[]> {
    const out: FileEntry[] = [];
    const dirWarnings: GrtWarning[] = [];
    // Inodes in number order: neighbours share inode table blocks (htree lists names in hash order).
    const listed = (await this.volume.readDirectory(directory, dirWarnings, options.deleted === true)).sort((a, b) => a.inode - b.inode);
    for (const child of listed) {
      const warnings: GrtWarning[] = [];
      if (child.name.includes('/') || child.name.includes('\0')) {
        this.volume.warnings.push({ code: 'UNSAFE_PATH', message: `directory ${path}: entry name with '/' or NUL skipped` });
        continue;
      }
      try {
        const inode = await this.volume.readInode(child.inode, warnings);
        if (child.removed && !(await this.volume.isRecoverable(inode))) continue;
        const entry = await this.describe(inode, joinPath(path, child.name), child.name, directory.number, warnings);
        if (child.removed) entry.deleted = true;
        out.push(entry);
      } catch (error) {
        if (!isGrtError(error)) throw error;
        this.volume.warnings.push({ ...warningFrom(error), message: `${joinPath(path, child.name)}: ${error.message}` });
      }
    }
    if (dirWarnings.length > 0) this.volume.warnings.push(...dirWarnings);
    return inNameOrder(out, NAME_RULE);
  }

  async *walk(path: string, options: ListOptions = {}): AsyncIterable<FileEntry> {
    const start = await this.resolve(path);
    // A directory hard-linked into its own subtree would loop: each directory inode is listed once.
    const seen = new Set<number>([start.inode.number]);
    const stack: { inode: Inode; path: string }[] = [{ inode: start.inode, path: start.path }];
    while (stack.length > 0) {
      const { inode, path: dirPath } = stack.pop()!;
      if (inode.kind !== 'dir') continue;
      const entries = await this.children(inode, dirPath, options);
      const subdirs: { inode: Inode; path: string }[] = [];
      for (const entry of entries) {
        yield entry;
        if (entry.type === 'dir' && !entry.deleted && !seen.has(entry.id.record)) {
          seen.add(entry.id.record);
          subdirs.push({ inode: await this.volume.readInode(entry.id.record, []), path: entry.path });
        }
      }
      stack.push(...subdirs.reverse());
    }
  }

  private async inodeOf(target: string | FileEntry): Promise<Inode> {
    if (typeof target === 'string') return (await this.resolve(target)).inode;
    return this.volume.readInode(target.id.record, []);
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
    for (const run of await this.volume.dataRuns(inode, [])) {
      for (let i = 0; i < run.count; ) {
        // Blocks a replayed transaction rewrote are read from their journal copy, one block at a time.
        const replayed = run.physicalBlock === null ? undefined : overlay.get(run.physicalBlock + i);
        if (replayed?.escaped) return resident();
        let count = 1;
        if (!replayed) while (i + count < run.count && (run.physicalBlock === null || !overlay.has(run.physicalBlock + i + count))) count++;
        const streamOffset = (run.logicalBlock + i) * blockSize;
        const length = Math.min(count * blockSize, inode.size - streamOffset);
        const sourceOffset = run.physicalBlock === null ? null : (replayed ? replayed.journalBlockNumber : run.physicalBlock + i) * blockSize;
        if (length > 0) layout.runs.push({ streamOffset, sourceOffset, length });
        i += count;
      }
    }
    return layout;
  }

  /** Every extended attribute of an entry (user.*, security.*, trusted.*, POSIX ACLs as stored). */
  async xattrs(target: string | FileEntry): Promise<Xattr[]> {
    const inode = await this.inodeOf(target);
    return (await this.volume.xattrs(inode, [])).filter((x) => x.name !== 'system.data');
  }
}

export async function openExt(source: ByteSource, options: ExtOpenOptions = {}): Promise<ExtFileSystem> {
  const volume = await ExtVolume.open(source, options);
  // A volume whose root is not a directory has no tree to list (a superblock left over after
  // another file system was made over it reads other bytes as inodes): refuse it at mount.
  const root = await volume.readInode(ROOT_INODE, []);
  if (root.kind !== 'dir') {
    throw new GrtError('BAD_RECORD', 'the root is not a directory; not a usable ext volume', { structure: `inode ${ROOT_INODE}` });
  }
  return new ExtFileSystem(volume);
}
