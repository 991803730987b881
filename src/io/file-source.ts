import { open, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { GrtError } from '../errors.js';
import type { ByteSource } from './byte-source.js';
import { checkRange } from './byte-source.js';

/**
 * A file opened read-only: source images are evidence and backups, and grt never writes to them.
 * NOTE: O_RDONLY is explicit so no future flag change can make this handle writable.
 */
export class FileSource implements ByteSource {
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDONLY);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw new GrtError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `cannot open ${path} (${code ?? 'error'})`, { path, cause });
    }
    try {
      const stat = await handle.stat();
      if (stat.isDirectory()) throw new GrtError('IO_ERROR', `${path} is a directory`, { path });
      if (!Number.isSafeInteger(stat.size)) throw new GrtError('OUT_OF_RANGE', `${path} is too large`, { path });
      return new FileSource(handle, path, stat.size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length, this.path);
    // Every byte is overwritten below (or the read throws), so the buffer need not be zeroed first.
    const out = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
    await this.fill(offset, out);
    return out;
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, this.path);
    await this.fill(offset, target);
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
