/**
 * Extent files opened on demand, with a bound on how many are open at once.
 *
 * NOTE: a 2 TB disk split in 2 GB extents (twoGbMaxExtentFlat/Sparse) has ~1000 files, and a
 * snapshot chain multiplies that; the usual per-process limit is 1024 descriptors. Each file is
 * opened once to learn its size, then closed and reopened when read, keeping the most recently used
 * ones open. Every handle comes from the disk's SourceOpener (read-only, regular files only); a
 * reopened handle must be the same file (device and inode) of the same size.
 */
import { GrtError } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { checkRange, copyOut, readInto, type HostCopy } from '../io/byte-source.js';
import type { InputFile } from '../io/file-source.js';
import type { OpenedSource, SourceOpener } from '../io/source-opener.js';

/** Open handles kept per disk chain: enough for any read to touch its extents without churn. */
export const MAX_OPEN_EXTENT_FILES = 64;

interface Handle {
  source: Promise<OpenedSource>;
  /** Reads in flight: a busy handle is never closed under them. */
  users: number;
}

export class ExtentFilePool {
  /** Open handles, least recently used first (a Map keeps insertion order). */
  private readonly handles = new Map<PooledFile, Handle>();

  /** Every file opened through the pool, in order: what a disk read (VirtualDisk.inputFiles). */
  readonly inputs: InputFile[] = [];

  constructor(
    private readonly opener: SourceOpener,
    private readonly maxOpen = MAX_OPEN_EXTENT_FILES,
  ) {}

  /** Open `location` (read-only) to check it and learn its size; its handle stays in the pool. */
  async open(location: string): Promise<PooledFile> {
    const source = await this.opener.open(location);
    const file = new PooledFile(this, location, source.size, source.identity);
    if (source.identity) this.inputs.push(source.identity);
    this.handles.set(file, { source: Promise.resolve(source), users: 0 });
    await this.evict();
    return file;
  }

  /** @internal The open handle of `file`, opening it again if it was evicted. */
  async acquire(file: PooledFile): Promise<OpenedSource> {
    let handle = this.handles.get(file);
    if (handle) this.handles.delete(file);
    else handle = { source: this.opener.open(file.path), users: 0 };
    this.handles.set(file, handle);
    handle.users++;
    try {
      const source = await handle.source;
      if (source.size !== file.size) {
        throw new GrtError('IO_ERROR', `extent file changed size while open`, { expected: file.size, actual: source.size, path: file.path });
      }
      const was = file.identity;
      const now = source.identity;
      if (was && now && (was.dev !== now.dev || was.ino !== now.ino)) {
        throw new GrtError('IO_ERROR', `extent file was replaced by another file while open`, { path: file.path });
      }
      return source;
    } catch (error) {
      handle.users--;
      if (this.handles.get(file) === handle) this.handles.delete(file);
      throw error;
    } finally {
      await this.evict();
    }
  }

  /** @internal */
  release(file: PooledFile): void {
    const handle = this.handles.get(file);
    if (handle) handle.users--;
  }

  /** @internal Close `file`'s handle for good. */
  async forget(file: PooledFile): Promise<void> {
    const handle = this.handles.get(file);
    if (!handle) return;
    this.handles.delete(file);
    await (await handle.source.catch(() => undefined))?.close();
  }

  /** Close idle handles, least recently used first, until at most `maxOpen` remain. */
  private async evict(): Promise<void> {
    if (this.handles.size <= this.maxOpen) return;
    const closing: Promise<void>[] = [];
    let excess = this.handles.size - this.maxOpen;
    for (const [file, handle] of this.handles) {
      if (excess === 0) break;
      if (handle.users > 0) continue;
      this.handles.delete(file);
      excess--;
      closing.push(handle.source.then((s) => s.close(), () => undefined));
    }
    await Promise.all(closing);
  }
}

/** A read-only file whose handle the pool may close between reads. */
export class PooledFile implements ByteSource {
  private closed = false;

  constructor(
    private readonly pool: ExtentFilePool,
    readonly path: string,
    readonly size: number,
    /** Which file was opened first (undefined for sources without one). */
    readonly identity: InputFile | undefined,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length, this.path);
    return this.withHandle((source) => source.read(offset, length));
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, this.path);
    return this.withHandle((source) => readInto(source, offset, target));
  }

  async copyOut(offset: number, length: number, copy: HostCopy): Promise<number> {
    checkRange(this, offset, length, this.path);
    return this.withHandle((source) => copyOut(source, offset, length, copy));
  }

  /** Run `use` on the open handle, which the pool keeps open until it settles. */
  private async withHandle<T>(use: (source: OpenedSource) => Promise<T>): Promise<T> {
    if (this.closed) throw new GrtError('IO_ERROR', 'read after close', { path: this.path });
    const source = await this.pool.acquire(this);
    try {
      return await use(source);
    } finally {
      this.pool.release(this);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.forget(this);
  }
}
