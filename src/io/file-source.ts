import { open, stat, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { GrtError } from '../errors.js';
import type { OpenedSource } from './source-opener.js';
import { checkRange, unzeroedBytes, type HostCopy } from './byte-source.js';

/** Where a file came from, as "no output replaces an input" compares them: device and inode. */
export interface InputFile {
  path: string;
  dev: bigint;
  ino: bigint;
}

/** What a stat says a file is, for messages: "a FIFO", "a directory". */
function describeType(stat: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSymbolicLink(): boolean }): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  // NOTE: a block device's stat size is 0 and Node has no BLKGETSIZE64: grt reads image files only.
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function notRegular(path: string, stat: Parameters<typeof describeType>[0]): GrtError {
  return new GrtError('UNSUPPORTED', `${path} is not a regular file (${describeType(stat)}); grt reads image files only`, { path });
}

/**
 * A file opened read-only: source images are evidence and backups, and grt never writes to them.
 * NOTE: O_RDONLY is explicit so no future flag change can make this handle writable.
 *
 * Only regular files are opened: open() of a FIFO blocks until a writer comes (forever, for a FIFO a
 * hostile image names), and a device has no size. The type is checked before the open, the open is
 * O_NONBLOCK (a FIFO swapped in after the check opens at once instead of hanging; O_NONBLOCK does
 * nothing to a regular file's reads, see open(2)), and the opened handle's type is checked again.
 */
export class FileSource implements OpenedSource {
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly size: number,
    /** The device and inode of the file read, from the open handle. */
    readonly identity: InputFile,
  ) {}

  /** The path it was opened at (OpenedSource). */
  get location(): string {
    return this.path;
  }

  static async open(path: string): Promise<FileSource> {
    const before = await stat(path).catch((cause: unknown) => {
      throw openError(path, cause);
    });
    if (!before.isFile()) throw notRegular(path, before);
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (cause) {
      throw openError(path, cause);
    }
    try {
      const opened = await handle.stat({ bigint: true });
      if (!opened.isFile()) throw notRegular(path, opened);
      if (opened.size > BigInt(Number.MAX_SAFE_INTEGER)) throw new GrtError('OUT_OF_RANGE', `${path} is too large`, { path });
      return new FileSource(handle, path, Number(opened.size), { path, dev: opened.dev, ino: opened.ino });
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length, this.path);
    // Every byte is overwritten below (or the read throws).
    const out = unzeroedBytes(length);
    await this.fill(offset, out);
    return out;
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, this.path);
    await this.fill(offset, target);
  }

  /** The run is this file's own bytes: `copy` gets the open descriptor (ByteSource.copyOut). */
  async copyOut(offset: number, length: number, copy: HostCopy): Promise<number> {
    checkRange(this, offset, length, this.path);
    if (this.closed) throw new GrtError('IO_ERROR', `read after close`, { path: this.path });
    return length === 0 ? 0 : copy(this.handle.fd, offset, length);
  }

  private async fill(offset: number, out: Uint8Array): Promise<void> {
    if (this.closed) throw new GrtError('IO_ERROR', `read after close`, { path: this.path });
    const length = out.length;
    let done = 0;
    // A read may return fewer bytes than asked (signals, network file systems): loop until full.
    while (done < length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(out, done, length - done, offset + done));
      } catch (cause) {
        throw new GrtError('IO_ERROR', `read failed (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, {
          offset: offset + done,
          path: this.path,
          cause,
        });
      }
      if (bytesRead === 0) {
        throw new GrtError('TRUNCATED', `file ended early`, { offset: offset + done, path: this.path });
      }
      done += bytesRead;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/**
 * The whole of the regular file at `path` (a catalog), opened as every source is: a FIFO or device
 * in its place is refused instead of hanging the read.
 */
export async function readRegularFile(path: string): Promise<Uint8Array> {
  const source = await FileSource.open(path);
  try {
    return await source.read(0, source.size);
  } finally {
    await source.close();
  }
}

function openError(path: string, cause: unknown): GrtError {
  const code = (cause as NodeJS.ErrnoException).code;
  return new GrtError(code === 'ENOENT' || code === 'ENOTDIR' ? 'NOT_FOUND' : 'IO_ERROR', `cannot open ${path} (${code ?? 'error'})`, { path, cause });
}
