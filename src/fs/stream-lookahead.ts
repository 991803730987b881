/**
 * A file system's part in cataloging a backup stream as it passes (catalog/tap): which bytes its
 * catalog will read, found by running pieces of its own reader against the bytes kept so far.
 * A reader offers one through `FileSystemReader.lookahead` (fs/registry.ts); volumes of a kind
 * without one are cataloged by a read after the stream (a post-pass).
 */
import type { ByteSource } from '../io/byte-source.js';

/** What a look-ahead asks of the tap. */
export interface TapHooks {
  /** Keep [start, end) of the disk when it passes. */
  want(start: number, end: number): void;
  /** Whether [start, end) of the disk is kept. */
  held(start: number, end: number): boolean;
  /** Copy kept disk bytes. */
  copy(diskOffset: number, target: Uint8Array): void;
  /** Run a read-ahead: what it reads that is still to come becomes wanted. */
  explore(run: () => Promise<void>): Promise<unknown>;
}

/** The volume a look-ahead works on: its bytes (reads of bytes still to come read as zeros) and where it lies on the disk. */
export interface LookaheadVolume {
  source: ByteSource;
  start: number;
  size: number;
}

export interface StreamLookahead {
  /** Steps the tap runs, again whenever bytes a step waited for arrive. */
  readonly steps: readonly (() => Promise<void>)[];
  /** Disk bytes [start, end) were kept: look at what they complete. */
  kept(start: number, end: number): Promise<void>;
}
