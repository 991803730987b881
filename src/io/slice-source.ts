import { GrtError } from '../errors.js';
import type { ByteSource } from './byte-source.js';
import { checkRange, copyOut, readInto, type HostCopy } from './byte-source.js';

/** A bounds-checked window of another source: a partition of a disk, a region of a file. */
export class SliceSource implements ByteSource {
  constructor(
    readonly parent: ByteSource,
    /** Byte offset of the window in the parent. */
    readonly start: number,
    readonly size: number,
    private readonly name = 'slice',
  ) {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(size) || start < 0 || size < 0 || start + size > parent.size) {
      throw new GrtError('OUT_OF_RANGE', `${name} of ${size} bytes at ${start} does not fit in its source of ${parent.size} bytes`, {
        structure: name,
        offset: start,
      });
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length, this.name);
    return this.parent.read(this.start + offset, length);
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, this.name);
    await readInto(this.parent, this.start + offset, target);
  }

  async copyOut(offset: number, length: number, copy: HostCopy): Promise<number> {
    checkRange(this, offset, length, this.name);
    return copyOut(this.parent, this.start + offset, length, copy);
  }
}
