/**
 * The directory tree of a POSIX file system (ext2/3/4, XFS) as FileSystem entries: paths looked
 * up name by name from the root inode, directories listed with their children's inodes, and a
 * depth-first walk. The on-disk reading stays in each volume (`PosixTreeVolume`); this module is
 * what they share: limits, path joining, name checks, warnings, loop protection and entry shape.
 */
import { GrtError, isGrtError, warningFrom, type GrtWarning } from '../errors.js';
import type { EntryDetails, EntryTimes, EntryType, FileEntry, FileSystemInfo, ListOptions, NameEntry, NameRule, OtherKind } from './file-system.js';
import { inNameOrder } from './name-order.js';

/** Path components followed for one lookup: bounds a path of thousands of `a/a/a/...`. */
const MAX_PATH_COMPONENTS = 4096;
/** POSIX names compare as bytes: case-sensitive, no normalisation. */
export const POSIX_NAME_RULE: NameRule = { kind: 'bytes' };

export type PosixInodeKind = 'file' | 'dir' | 'symlink' | OtherKind | 'unknown';

/** The inode fields every POSIX entry shows. */
export interface PosixInode {
  number: number;
  mode: number;
  kind: PosixInodeKind;
  uid: number;
  gid: number;
  size: number;
  links: number;
  generation: number;
  flags: number;
}

/**
 * One name of a directory: its inode number; `removed` for a deleted name found in slack;
 * `fileType` the type code the entry itself stores (DIRENT_TYPES), where the volume keeps one.
 */
export interface PosixDirEntry {
  name: string;
  inode: number;
  removed?: boolean;
  fileType?: number;
}

/**
 * The type codes ext4_dir_entry_2.file_type and XFS's ftype share (EXT4_FT_*, XFS_DIR3_FT_*):
 * 0 unknown, 1 regular, 2 directory, 3 chardev, 4 blockdev, 5 FIFO, 6 socket, 7 symlink.
 */
const DIRENT_TYPES: readonly (EntryType | undefined)[] = [undefined, 'file', 'dir', 'other', 'other', 'other', 'other', 'symlink'];

/** The entry type a directory entry's type code says; undefined for 0 (unknown) and codes past 7. */
export function direntEntryType(fileType: number | undefined): EntryType | undefined {
  return fileType === undefined ? undefined : DIRENT_TYPES[fileType];
}

/** What a volume gives the tree: its inodes and directories. */
export interface PosixInodeSource<I extends PosixInode> {
  readonly rootInode: number;
  /** Volume-wide warnings (damage found while listing a directory lands here). */
  readonly warnings: GrtWarning[];
  /**
   * `alone`: the inodes after it are not wanted next (a names listing reads only directories'),
   * so a volume that reads ahead in its inode table need not.
   */
  readInode(number: number, warnings: GrtWarning[], alone?: boolean): Promise<I>;
  /**
   * `listing`: read to list its children (a walk lists each directory once), not for a path
   * lookup; a volume that keeps parsed directories for lookups need not keep this one.
   */
  readDirectory(inode: I, warnings: GrtWarning[], deleted: boolean, listing?: boolean): Promise<readonly PosixDirEntry[]>;
  /**
   * The type of a live name from its directory entry alone, when the volume trusts it for a
   * plain listing (the feature that stores types is on, the code is known, the inode number is
   * one the volume has, nothing else a listing shows needs the inode); undefined: read the inode.
   */
  direntType?(entry: PosixDirEntry): EntryType | undefined;
}

/** The volume and what only it knows of an entry. */
export interface PosixTreeVolume<I extends PosixInode> extends PosixInodeSource<I> {
  /** The entry of `inode` (see `posixEntry`); undefined leaves a removed name out of the listing. */
  describe(inode: I, place: EntryPlace, warnings: GrtWarning[]): Promise<FileEntry | undefined>;
}

/** Where an entry stands: its path, name, parent directory inode, and whether the name was removed. */
export interface EntryPlace {
  path: string;
  name: string;
  parent: number | undefined;
  removed: boolean;
}

interface Resolved<I> {
  inode: I;
  place: EntryPlace;
  warnings: GrtWarning[];
}

/** The `info` fields ext and XFS volumes share: label, UUID (also the catalog's serial), block size and count, version. */
export function superblockInfo(sb: { label: string; uuid: string; blockSize: number; version: string | number; blockCount: number }): FileSystemInfo {
  return { label: sb.label || undefined, serial: sb.uuid, uuid: sb.uuid, clusterSize: sb.blockSize, version: sb.version, blockCount: sb.blockCount };
}

export function joinPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The entry fields of a POSIX inode; the volume adds its own `times`, `details` and `target`. */
export function posixEntry(inode: PosixInode, place: EntryPlace, times: EntryTimes, details: EntryDetails, warnings: GrtWarning[]): FileEntry {
  const kind = inode.kind;
  const type: FileEntry['type'] = kind === 'file' || kind === 'dir' || kind === 'symlink' ? kind : 'other';
  const entry: FileEntry = {
    path: place.path, name: place.name, type,
    size: type === 'file' || type === 'symlink' ? inode.size : 0,
    times,
    mode: inode.mode & 0o7777, uid: inode.uid, gid: inode.gid,
    streams: [],
    links: inode.links,
    id: { record: inode.number, sequence: inode.generation },
    details,
    warnings,
  };
  if (place.parent !== undefined) entry.parent = { record: place.parent, sequence: 0 };
  if (kind !== 'file' && kind !== 'dir' && kind !== 'symlink' && kind !== 'unknown') entry.kind = kind;
  if (kind === 'unknown') warnings.push({ code: 'BAD_RECORD', message: `inode ${inode.number}: unknown file type in mode ${inode.mode.toString(8)}` });
  if (place.removed) entry.deleted = true;
  return entry;
}

/** Sets a symlink entry's `target`; a target that cannot be read is a warning on the entry. */
export async function withSymlinkTarget(entry: FileEntry, read: () => Promise<string>): Promise<FileEntry> {
  if (entry.type !== 'symlink') return entry;
  try {
    entry.target = await read();
  } catch (error) {
    if (!isGrtError(error)) throw error;
    entry.warnings.push(warningFrom(error));
  }
  return entry;
}

export class PosixTree<I extends PosixInode> {
  constructor(private readonly volume: PosixTreeVolume<I>) {}

  /** The inode at `path`, where it stands, and the warnings of reading it (its own, e.g. a checksum). */
  async resolve(path: string): Promise<Resolved<I>> {
    const parts = path.split('/').filter((part) => part !== '' && part !== '.');
    if (parts.length > MAX_PATH_COMPONENTS) throw new GrtError('LIMIT_EXCEEDED', `path of ${parts.length} components`, { path });
    let warnings: GrtWarning[] = [];
    let inode = await this.volume.readInode(this.volume.rootInode, warnings);
    let parent: number | undefined;
    let current = '/';
    for (const part of parts) {
      if (inode.kind !== 'dir') throw new GrtError('NOT_A_DIRECTORY', `${current} is not a directory`, { path });
      const found = (await this.volume.readDirectory(inode, [], false)).find((entry) => entry.name === part);
      if (!found) throw new GrtError('NOT_FOUND', `no ${JSON.stringify(part)} in ${current}`, { path });
      parent = inode.number;
      warnings = [];
      inode = await this.volume.readInode(found.inode, warnings);
      current = joinPath(current, part);
    }
    return { inode, place: { path: current, name: parts[parts.length - 1] ?? '', parent, removed: false }, warnings };
  }

  async stat(path: string): Promise<FileEntry> {
    const { inode, place, warnings } = await this.resolve(path);
    const entry = await this.volume.describe(inode, place, warnings);
    if (!entry) throw new GrtError('NOT_FOUND', `no entry at ${place.path}`, { path });
    return entry;
  }

  async readDir(path: string, options: ListOptions = {}): Promise<FileEntry[]> {
    const { inode, place } = await this.resolve(path);
    return (await this.children<FileEntry>(inode, place.path, options, false)).entries;
  }

  /**
   * The children of a directory in name order, and the inodes of its subdirectories (a walk
   * descends into them; other inodes are dropped at once, so a large directory's do not pile up).
   * With `namesOnly`, a child whose directory entry gives its type (`direntType`) and that is no
   * directory is listed from that entry, without reading its inode.
   */
  private async children<E extends NameEntry>(directory: I, path: string, options: ListOptions, namesOnly: boolean): Promise<{ entries: E[]; subdirectories: Map<E, I> }> {
    const entries: NameEntry[] = [];
    const subdirectories = new Map<NameEntry, I>();
    const dirWarnings: GrtWarning[] = [];
    // Inodes in number order: neighbours share inode table blocks (htree and B+tree directories list
    // names in hash order). A names listing reads few inodes but sorts by number all the same: the
    // name sort below then meets creation order, often close to name order, and costs less.
    const listed = [...(await this.volume.readDirectory(directory, dirWarnings, options.deleted === true, true))].sort((a, b) => a.inode - b.inode);
    const direntType = namesOnly ? this.volume.direntType?.bind(this.volume) : undefined;
    for (const child of listed) {
      if (child.name.includes('/') || child.name.includes('\0')) {
        this.volume.warnings.push({ code: 'UNSAFE_PATH', message: `directory ${path}: entry name with '/' or NUL skipped` });
        continue;
      }
      const type = direntType && child.removed !== true ? direntType(child) : undefined;
      if (type !== undefined && type !== 'dir') {
        entries.push({ path: joinPath(path, child.name), name: child.name, type });
        continue;
      }
      const place: EntryPlace = { path: joinPath(path, child.name), name: child.name, parent: directory.number, removed: child.removed === true };
      const warnings: GrtWarning[] = [];
      try {
        const inode = await this.volume.readInode(child.inode, warnings, namesOnly);
        const entry = await this.volume.describe(inode, place, warnings);
        if (!entry) continue;
        entries.push(entry);
        if (entry.type === 'dir' && !entry.deleted) subdirectories.set(entry, inode);
      } catch (error) {
        if (!isGrtError(error)) throw error;
        this.volume.warnings.push({ ...warningFrom(error), message: `${place.path}: ${error.message}` });
      }
    }
    if (dirWarnings.length > 0) this.volume.warnings.push(...dirWarnings.map((w) => ({ ...w, message: `${path}: ${w.message}` })));
    // Names mode holds only NameEntry rows and full mode only FileEntry ones: E is what the caller asked for.
    return { entries: inNameOrder(entries, POSIX_NAME_RULE) as E[], subdirectories: subdirectories as Map<E, I> };
  }

  async *walk(path: string, options: ListOptions = {}): AsyncIterable<FileEntry> {
    for await (const entries of this.descend<FileEntry>(path, options, false)) yield* entries;
  }

  /** FileSystem.listNames: `readDir` or `walk` with only what a plain listing prints, from directory entries where they say it. */
  async *listNames(path: string, options: ListOptions & { recursive?: boolean } = {}): AsyncIterable<readonly NameEntry[]> {
    if (options.recursive) {
      yield* this.descend<NameEntry>(path, options, true);
      return;
    }
    const { inode, place } = await this.resolve(path);
    yield (await this.children<NameEntry>(inode, place.path, options, true)).entries;
  }

  /**
   * Every entry below `path`, a directory's children (in name order) at a time, each batch
   * followed by its subdirectories' (depth first; see `children`).
   */
  private async *descend<E extends NameEntry>(path: string, options: ListOptions, namesOnly: boolean): AsyncIterable<E[]> {
    const start = await this.resolve(path);
    // A directory linked into its own subtree would loop: each directory inode is listed once.
    const seen = new Set<number>([start.inode.number]);
    const stack: { inode: I; path: string }[] = [{ inode: start.inode, path: start.place.path }];
    while (stack.length > 0) {
      const { inode, path: dirPath } = stack.pop()!;
      if (inode.kind !== 'dir') continue;
      const { entries, subdirectories } = await this.children<E>(inode, dirPath, options, namesOnly);
      yield entries;
      const next: { inode: I; path: string }[] = [];
      // In name order (the map's is inode order): the first name of a directory linked twice is the one descended.
      for (const entry of entries) {
        const subdirectory = subdirectories.get(entry);
        if (subdirectory && !seen.has(subdirectory.number)) {
          seen.add(subdirectory.number);
          next.push({ inode: subdirectory, path: entry.path });
        }
      }
      stack.push(...next.reverse());
    }
  }
}

export abstract class PosixFileSystem<I extends PosixInode> {
  protected readonly tree: PosixTree<I>;

  constructor(private readonly inodes: PosixInodeSource<I>) {
    const { rootInode, warnings } = inodes;
    this.tree = new PosixTree({
      rootInode, warnings,
      readInode: (number, into, alone) => inodes.readInode(number, into, alone),
      readDirectory: (inode, into, deleted, listing) => inodes.readDirectory(inode, into, deleted, listing),
      ...(inodes.direntType ? { direntType: inodes.direntType.bind(inodes) } : {}),
      describe: (inode, place, into) => this.describe(inode, place, into),
    });
  }

  protected abstract describe(inode: I, place: EntryPlace, warnings: GrtWarning[]): Promise<FileEntry | undefined>;

  get warnings(): readonly GrtWarning[] {
    return this.inodes.warnings;
  }

  nameRule(): NameRule {
    return POSIX_NAME_RULE;
  }

  async stat(path: string): Promise<FileEntry> {
    return this.tree.stat(path);
  }

  async readDir(path: string, options: ListOptions = {}): Promise<FileEntry[]> {
    return this.tree.readDir(path, options);
  }

  walk(path: string, options: ListOptions = {}): AsyncIterable<FileEntry> {
    return this.tree.walk(path, options);
  }

  listNames(path: string, options: ListOptions & { recursive?: boolean } = {}): AsyncIterable<readonly NameEntry[]> {
    return this.tree.listNames(path, options);
  }

  /** The inode of a path, or of an entry this volume listed. */
  protected async inodeOf(target: string | FileEntry): Promise<I> {
    if (typeof target === 'string') return (await this.tree.resolve(target)).inode;
    return this.inodes.readInode(target.id.record, []);
  }
}
