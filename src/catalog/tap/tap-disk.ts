/**
 * The virtual disk as the tap knows it: the bytes it kept, and a rule for the rest. While the
 * stream runs, the rule notes bytes still to come as wanted (they read as zeros for now) or gives
 * up on bytes that went by unkept (PassedBytes); at the end it reads them back from the caller, or
 * notes them as missing.
 */
import { checkRange, type ByteSource } from '../../io/byte-source.js';
import type { DiskInfo, DiskRange, VirtualDisk } from '../../vmdk/disk.js';
import type { KeptBytes } from './kept-bytes.js';
import type { ByteRange } from './ranges.js';

/** Thrown when a look-ahead read meets bytes that passed unkept: only the end can get them (read back). */
export class PassedBytes extends Error {
  constructor(readonly range: ByteRange) {
    super(`bytes ${range.start}..${range.end} passed before the tap knew it wanted them`);
  }
}

/** What to do about a range not kept: nothing (it reads as zeros), or throw, or fetch it into the kept bytes. */
export type GapRule = (gap: ByteRange) => void | Promise<void>;

export class TapDisk implements VirtualDisk {
  readonly parent = undefined;

  constructor(
    private readonly kept: KeptBytes,
    readonly info: DiskInfo,
    private readonly gapRule: GapRule,
  ) {}

  get size(): number {
    return this.info.capacity;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    await this.readInto(offset, out);
    return out;
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, 'tapped disk');
    const end = offset + target.length;
    for (const gap of this.kept.held.gaps(offset, end)) await this.gapRule(gap);
    this.kept.copyInto(offset, target);
  }

  async map(offset: number, length: number): Promise<DiskRange[]> {
    checkRange(this, offset, length, 'tapped disk');
    return [{ offset, length, state: 'data' }];
  }

  inputFiles(): [] {
    return [];
  }

  async close(): Promise<void> {}
}

/** A ByteSource check for callers that hold a TapDisk as a plain source. */
export type TapSource = ByteSource & { readonly info: DiskInfo };
