/**
 * An XFS volume (v4 or v5) as a grt FileSystem: paths resolved through directories (names are
 * case-sensitive bytes), entries with Unix mode, owners, inode numbers and nanosecond times, file
 * data and layouts from the data fork's extents (unwritten extents and holes read as zeros).
 */
import { GrtError, isGrtError, warningFrom, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import type { FileEntry, FileSystem, FileSystemInfo, ListOptions, NameRule, OtherKind, StreamLayout } from '../file-system.js';
import { inNameOrder } from '../name-order.js';
import type { Inode, InodeKind } from './inode.js';
import type { Xattr } from './xattr.js';
import { XfsVolume } from './xfs-volume.js';
import { entryTimesOf } from '../../util/time.js';

/** Path components followed for one lookup: bounds a path of thousands of `a/a/a/...`. */
const MAX_PATH_COMPONENTS = 4096;
const NAME_RULE: NameRule = { kind: 'bytes' };

function entryType(kind: InodeKind): FileEntry['type'] {
  return kind === 'file' || kind === 'dir' || kind === 'symlink' ? kind : 'other';
}

function joinPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

export class XfsFileSystem implements FileSystem {
  readonly kind = 'xfs' as const;
  readonly info: FileSystemInfo;

  constructor(readonly volume: XfsVolume) {
    const { sb } = volume;
    this.info = {
      label: sb.label || undefined,
      serial: sb.uuid,
      uuid: sb.uuid,
      clusterSize: sb.blockSize,
      version: sb.version,
      blockCount: sb.blockCount,
      agCount: sb.agCount,
      inodeSize: sb.inodeSize,
      logClean: volume.logClean,
      logReplayed: volume.logTransactions,
    };
  }

  get warnings(): readonly GrtWarning[] {
    return this.volume.warnings;
  }

  nameRule(): NameRule {
    return NAME_RULE;
  }

  openLayout(layout: StreamLayout): ByteSource {
    return this.volume.openData(layout);
  }

  private async describe(inode: Inode, path: string, name: string, parent: number | undefined, warnings: GrtWarning[]): Promise<FileEntry> {
    const type = entryType(inode.kind);
    const entry: FileEntry = {
      path, name, type,
      size: type === 'file' || type === 'symlink' ? inode.size : 0,
      times: entryTimesOf(inode.times),
      mode: inode.mode & 0o7777, uid: inode.uid, gid: inode.gid,
      streams: [],
      links: inode.links,
      id: { record: inode.number, sequence: inode.generation },
      details: { flags: inode.flags, projectId: inode.projectId },
      warnings,
    };
    if (parent !== undefined) entry.parent = { record: parent, sequence: 0 };
    if (type === 'other' && inode.kind !== 'unknown') entry.kind = inode.kind as OtherKind;
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
  private async resolve(path: string): Promise<{ inode: Inode; parent: number | undefined; path: string; name: string; warnings: GrtWarning[] }> {
    const parts = path.split('/').filter((part) => part !== '' && part !== '.');
    if (parts.length > MAX_PATH_COMPONENTS) throw new GrtError('LIMIT_EXCEEDED', `path of ${parts.length} components`, { path });
    // The warnings of the last inode read: the entry's own (CRC mismatches and the like).
    let warnings: GrtWarning[] = [];
    let inode = await this.volume.readInode(this.volume.sb.rootInode, warnings);
    let parent: number | undefined;
    let current = '/';
    for (const part of parts) {
      if (inode.kind !== 'dir') throw new GrtError('NOT_A_DIRECTORY', `${current} is not a directory`, { path });
      const found = (await this.volume.readDirectory(inode)).find((entry) => entry.name === part);
      if (!found) throw new GrtError('NOT_FOUND', `no ${JSON.stringify(part)} in ${current}`, { path });
      parent = inode.number;
      warnings = [];
      inode = await this.volume.readInode(found.inode, warnings);
      current = joinPath(current, part);
    }
    return { inode, parent, path: current, name: parts[parts.length - 1] ?? '', warnings };
  }

  async stat(path: string): Promise<FileEntry> {
    const { inode, parent, path: normal, name, warnings } = await this.resolve(path);
    return this.describe(inode, normal, name, parent, warnings);
  }

  async readDir(path: string, options: ListOptions = {}): Promise<FileEntry[]> {
    const { inode, path: normal } = await this.resolve(path);
    return this.children(inode, normal, options);
  }

  private async children(directory: Inode, path: string, _options: ListOptions): Promise<FileEntry[]> {
    const out: FileEntry[] = [];
    const dirWarnings: GrtWarning[] = [];
    // Inodes in number order: neighbours share inode clusters.
    const listed = [...(await this.volume.readDirectory(directory, dirWarnings))].sort((a, b) => a.inode - b.inode);
    for (const child of listed) {
      const warnings: GrtWarning[] = [];
      if (child.name.includes('/') || child.name.includes('\0')) {
        this.volume.warnings.push({ code: 'UNSAFE_PATH', message: `directory ${path}: entry name with '/' or NUL skipped` });
        continue;
      }
      try {
        const inode = await this.volume.readInode(child.inode, warnings);
        out.push(await this.describe(inode, joinPath(path, child.name), child.name, directory.number, warnings));
      } catch (error) {
        if (!isGrtError(error)) throw error;
        this.volume.warnings.push({ ...warningFrom(error), message: `${joinPath(path, child.name)}: ${error.message}` });
      }
    }
    if (dirWarnings.length > 0) this.volume.warnings.push(...dirWarnings.map((w) => ({ ...w, message: `${path}: ${w.message}` })));
    return inNameOrder(out, NAME_RULE);
  }

  async *walk(path: string, options: ListOptions = {}): AsyncIterable<FileEntry> {
    const start = await this.resolve(path);
    // A directory linked into its own subtree would loop: each directory inode is listed once.
    const seen = new Set<number>([start.inode.number]);
    const stack: { inode: Inode; path: string }[] = [{ inode: start.inode, path: start.path }];
    while (stack.length > 0) {
      const { inode, path: dirPath } = stack.pop()!;
      if (inode.kind !== 'dir') continue;
      const entries = await this.children(inode, dirPath, options);
      const subdirs: { inode: Inode; path: string }[] = [];
      for (const entry of entries) {
        yield entry;
        if (entry.type === 'dir' && !seen.has(entry.id.record)) {
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

export async function openXfs(source: ByteSource): Promise<XfsFileSystem> {
  return new XfsFileSystem(await XfsVolume.open(source));
}
