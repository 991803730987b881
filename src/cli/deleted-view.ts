/**
 * `grt-extract --deleted`: a file system in which paths also name deleted entries, at the paths
 * `grt-ls --deleted` (and `-R --deleted`) lists them, and walks include deleted entries. A path
 * the volume resolves live is used as it is; otherwise it is looked up in the full listing with
 * deleted entries (one walk from the root: deleted directories have no live index to follow).
 */
import { GrtError } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import type { FileEntry, FileSystem, ListOptions, NameRule, StreamLayout } from '../fs/file-system.js';
import { nameKeyOf } from '../fs/name-order.js';

const normalize = (path: string): string => `/${path.split('/').filter((p) => p !== '').join('/')}`;

export class DeletedView implements FileSystem {
  readonly kind: FileSystem['kind'];
  readonly info: FileSystem['info'];

  openLayout?: (layout: StreamLayout) => ByteSource;

  /** `pinned`: an entry found another way (by record number) that its path names, whatever the listing says. */
  constructor(private readonly fs: FileSystem, private readonly pinned?: FileEntry) {
    this.kind = fs.kind;
    this.info = fs.info;
    // Optional in FileSystem: offered only when the volume offers them.
    if (fs.openLayout) this.openLayout = (layout) => fs.openLayout!(layout);
  }

  nameRule(): NameRule {
    return this.fs.nameRule();
  }

  async stat(path: string): Promise<FileEntry> {
    if (this.pinned && normalize(path) === this.pinned.path) return this.pinned;
    try {
      return await this.fs.stat(path);
    } catch (error) {
      if (!(error instanceof GrtError) || error.code !== 'NOT_FOUND') throw error;
      const wanted = normalize(path);
      let folded: FileEntry | undefined;
      // Paths compare as a live lookup does (the volume's name rule); the exact spelling wins.
      const key = nameKeyOf(this.fs.nameRule());
      const wantedKey = key(wanted);
      for await (const entry of this.fs.walk('/', { deleted: true })) {
        if (entry.path === wanted) return entry;
        if (!folded && key(entry.path) === wantedKey) folded = entry;
      }
      if (folded) return folded;
      throw error;
    }
  }

  async readDir(path: string, options: ListOptions = {}): Promise<FileEntry[]> {
    const dir = await this.stat(path);
    if (!dir.deleted) return this.fs.readDir(dir.path, { ...options, deleted: true });
    const out: FileEntry[] = [];
    for await (const entry of this.below(dir, options)) if (entry.parent?.record === dir.id.record) out.push(entry);
    return out;
  }

  async *walk(path: string, options: ListOptions = {}): AsyncIterable<FileEntry> {
    const dir = await this.stat(path);
    if (!dir.deleted) yield* this.fs.walk(dir.path, { ...options, deleted: true });
    else yield* this.below(dir, options);
  }

  streamLayout(target: string | FileEntry, streamName?: string): Promise<StreamLayout> {
    return this.entry(target).then((entry) => this.fs.streamLayout(entry, streamName));
  }

  openStream(target: string | FileEntry, streamName?: string): Promise<ByteSource> {
    return this.entry(target).then((entry) => this.fs.openStream(entry, streamName));
  }

  async close(): Promise<void> {
    await this.fs.close?.();
  }

  private async entry(target: string | FileEntry): Promise<FileEntry> {
    return typeof target === 'string' ? this.stat(target) : target;
  }

  /** Entries below a deleted directory: the root's walk with deleted entries, by path prefix. */
  private async *below(dir: FileEntry, options: ListOptions): AsyncIterable<FileEntry> {
    if (dir.type !== 'dir') throw new GrtError('NOT_A_DIRECTORY', 'not a directory', { path: dir.path });
    const prefix = `${dir.path}/`;
    for await (const entry of this.fs.walk('/', { ...options, deleted: true })) if (entry.path.startsWith(prefix)) yield entry;
  }
}
