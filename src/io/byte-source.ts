import { GrtError } from '../errors.js';

/**
 * The one interface every layer hands the next: a virtual disk is a ByteSource, a partition is a
 * bounds-checked slice of one, a file's data stream is one.
 */
export interface ByteSource {
  /** Size in bytes; always a safe integer. */
  readonly size: number;
  /**
   * Exactly `length` bytes from `offset`, or a GrtError. The returned array may be a view into a
   * cache block: callers must not modify it.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: fill all of `target` with the bytes from `offset`, straight into the caller's memory
   * (bulk copies use it to skip an allocation and a copy per layer). Same range rules as `read`.
   */
  readInto?(offset: number, target: Uint8Array): Promise<void>;
  /**
   * Optional: when the bytes from `offset` on are stored as they are in a local file, hand the
   * longest run of them (at most `length` bytes) that lies contiguous in one file to `copy`, with
   * that file open, and resolve with what `copy` returned; resolve 0 when the byte at `offset` is
   * not stored so (a hole, a zeroed or compressed grain, a parent's byte, a remote file): the
   * caller reads those bytes instead, and meets any damage there as a GrtError. Same range rules
   * as `read`; nothing outside [offset, offset + length) is ever handed over.
   */
  copyOut?(offset: number, length: number, copy: HostCopy): Promise<number>;
  /** Release file handles. Idempotent. */
  close?(): Promise<void>;
}

/**
 * Where ByteSource.copyOut hands a run: copy `length` bytes from `fileOffset` of the open local
 * file `fd` (restore/kernel-copy.ts, by copy_file_range or sendfile), returning the bytes copied;
 * fewer (0 too) when it stopped early or declined.
 */
export type HostCopy = (fd: number, fileOffset: number, length: number) => number;

/** `source.copyOut` when it has one; otherwise 0: nothing handed over, the caller reads. */
export async function copyOut(source: ByteSource, offset: number, length: number, copy: HostCopy): Promise<number> {
  return source.copyOut ? source.copyOut(offset, length, copy) : 0;
}

/**
 * A buffer of `length` bytes that is not zeroed first, for a read that overwrites every byte of it
 * before it is handed out (or throws, and nobody sees it): zeroing a 1 MiB read's buffer is a
 * memset the read then repeats. Its own memory, never a slice of a shared pool, so `.buffer` is
 * the read's alone. A reader that leaves some bytes unwritten (holes, unallocated grains) must
 * zero them itself.
 */
export function unzeroedBytes(length: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
}

/** A ByteSource reads past whose ends are refused the same way everywhere. */
export function checkRange(source: { size: number }, offset: number, length: number, name: string): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > source.size
  ) {
    throw new GrtError('OUT_OF_RANGE', `read of ${length} bytes at ${offset} is outside ${name} of ${source.size} bytes`, {
      structure: name,
      offset,
    });
  }
}

/** Fill `target` from `source` at `offset`: through `readInto` when the source has it, else one copy. */
export async function readInto(source: ByteSource, offset: number, target: Uint8Array): Promise<void> {
  if (source.readInto) return source.readInto(offset, target);
  target.set(await source.read(offset, target.length));
}
