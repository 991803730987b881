/**
 * The contract between a VMDK extent reader and the disk that strings extents together.
 *
 * A disk (descriptor + extents, or one monolithic file) is a sequence of extents laid end to end
 * in the virtual disk's sector space. Each extent reader answers for its own byte range. A sparse or
 * delta extent may not hold every grain: those bytes come from the parent disk in a snapshot chain,
 * or read as zeros when there is no parent.
 */

import type { HostCopy } from '../io/byte-source.js';

/** What a byte range of an extent (or a disk) holds, for sparse-aware copies and the catalog. */
export type RangeState =
  | 'data' // bytes stored in this extent
  | 'zero' // known zeros: ZERO extent, zeroed grain (GTE 1), seSparse zero entry
  | 'parent'; // not held here: read from the parent disk (zeros when there is none)

export interface ExtentRange {
  /** Byte offset within the extent. */
  offset: number;
  length: number;
  state: RangeState;
}

/**
 * Called by an extent for bytes it does not hold. `out` is the part of the caller's buffer to
 * fill, `offset` the byte offset within the extent where it starts.
 */
export type ParentRead = (out: Uint8Array, offset: number) => Promise<void>;

export interface Extent {
  /** Size in bytes (the descriptor's sector count × 512). */
  readonly size: number;
  /**
   * Fill `out` with the extent's bytes starting at `offset`; bytes not held go to `fromParent`.
   * Every byte of `out` is written (zeros too): it is a reused or unzeroed buffer.
   */
  read(offset: number, out: Uint8Array, fromParent: ParentRead): Promise<void>;
  /** What each part of [offset, offset + length) holds, in order, adjacent ranges of one state merged. */
  map(offset: number, length: number): Promise<ExtentRange[]>;
  /** ByteSource.copyOut over the extent's bytes: only bytes this extent stores as they are (not a parent's). */
  copyOut?(offset: number, length: number, copy: HostCopy): Promise<number>;
  close?(): Promise<void>;
}
