/**
 * The extents that need no grain tables: FLAT and VMFS (the bytes sit in a plain file from a
 * sector offset on), ZERO (nothing stored, reads as zeros) and NOACCESS (present in the layout but
 * not readable).
 *
 * Sources: VMware "Virtual Disk Format 5.0" technote, "Extent Descriptions" (FLAT/VMFS offset is
 * in sectors; ZERO has no file; NOACCESS access mode); libyal libvmdk, "Extent descriptor".
 */
import { GrtError, type GrtWarning } from '../errors.js';
import { copyOut, readInto, type ByteSource, type HostCopy } from '../io/byte-source.js';
import type { Extent, ExtentRange, ParentRead } from './extent.js';
import { SECTOR_BYTES } from './sparse-header.js';

/** FLAT/VMFS: extent byte `offset` is file byte `fileByteOffset + offset`. The disk owns (and closes) the file. */
export class FlatExtent implements Extent {
  /** Bytes of the extent the file actually holds (a truncated copy holds fewer). */
  readonly heldBytes: number;
  readonly warnings: GrtWarning[] = [];

  constructor(
    private readonly file: ByteSource,
    private readonly fileByteOffset: number,
    readonly size: number,
    private readonly path: string,
  ) {
    this.heldBytes = Math.max(0, Math.min(size, file.size - fileByteOffset));
    if (this.heldBytes < size) {
      this.warnings.push({
        code: 'MISSING_DATA',
        message: `flat extent ${path} holds ${this.heldBytes} of its ${size} bytes; reads from sector ${Math.floor(this.heldBytes / SECTOR_BYTES)} on will fail`,
      });
    }
  }

  async read(offset: number, out: Uint8Array, _fromParent: ParentRead): Promise<void> {
    if (offset + out.length > this.heldBytes) {
      const sector = Math.floor(Math.max(offset, this.heldBytes) / SECTOR_BYTES);
      throw new GrtError('MISSING_DATA', `extent sector ${sector} is past the end of the flat file`, {
        structure: 'flat extent',
        offset: this.fileByteOffset + Math.max(offset, this.heldBytes),
        space: 'file',
        expected: this.fileByteOffset + this.size,
        actual: this.file.size,
        path: this.path,
      });
    }
    if (out.length === 0) return;
    await readInto(this.file, this.fileByteOffset + offset, out);
  }

  async map(offset: number, length: number): Promise<ExtentRange[]> {
    return length === 0 ? [] : [{ offset, length, state: 'data' }];
  }

  /** The bytes the file holds; from past its end on, none (a read then gives the MISSING_DATA error). */
  async copyOut(offset: number, length: number, copy: HostCopy): Promise<number> {
    const held = Math.min(length, this.heldBytes - offset);
    return held > 0 ? copyOut(this.file, this.fileByteOffset + offset, held, copy) : 0;
  }
}

/** ZERO: a range of the disk that stores nothing and reads as zeros. */
export class ZeroExtent implements Extent {
  constructor(readonly size: number) {}

  async read(_offset: number, out: Uint8Array, _fromParent: ParentRead): Promise<void> {
    out.fill(0);
  }

  async map(offset: number, length: number): Promise<ExtentRange[]> {
    return length === 0 ? [] : [{ offset, length, state: 'zero' }];
  }
}

/** NOACCESS: the descriptor keeps the range but forbids reading it; its file is never opened. */
export class NoAccessExtent implements Extent {
  constructor(
    readonly size: number,
    private readonly name: string,
    /** Where the extent starts on the virtual disk: the error names the disk byte asked for. */
    private readonly diskOffset: number,
  ) {}

  async read(offset: number, _out: Uint8Array, _fromParent: ParentRead): Promise<void> {
    throw new GrtError('MISSING_DATA', `extent ${this.name} is NOACCESS and cannot be read (extent sector ${Math.floor(offset / SECTOR_BYTES)})`, {
      structure: 'NOACCESS extent',
      offset: this.diskOffset + offset,
      space: 'disk',
    });
  }

  async map(offset: number, length: number): Promise<ExtentRange[]> {
    // Unknown contents: report as data so a copy tries (and fails loudly) rather than skips.
    return length === 0 ? [] : [{ offset, length, state: 'data' }];
  }
}
