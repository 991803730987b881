/**
 * The disk bytes the tap keeps: the metadata ranges it wanted, copied out of the stream as they
 * passed. Stored in fixed pages allocated on the first non-zero byte (an MFT's never-used records
 * are zeros and cost nothing), with the set of ranges held.
 */
import { GrtError } from '../../errors.js';
import { RangeSet } from './ranges.js';

/** Bytes per page: large enough that the map stays small, small enough that a 512-byte boot sector does not pin much. */
const PAGE_BYTES = 64 * 1024;

export class KeptBytes {
  private readonly pages = new Map<number, Uint8Array>();
  /** Ranges held (their bytes are in `pages`, or zeros where no page was allocated). */
  readonly held = new RangeSet('kept');
  private pageCount = 0;

  /** `limitBytes`: the most page memory to allocate; past it the stream is refused (a volume claiming a huge MFT). */
  constructor(private readonly limitBytes: number) {}

  /** Bytes of page memory allocated. */
  get bytes(): number {
    return this.pageCount * PAGE_BYTES;
  }

  /** Keep `bytes`, the disk's bytes at `diskOffset`. */
  store(diskOffset: number, bytes: Uint8Array): void {
    for (const { pageIndex, inPage, at, length } of pieces(diskOffset, bytes.length)) {
      const piece = bytes.subarray(at, at + length);
      const page = this.pages.get(pageIndex) ?? (isZero(piece) ? undefined : this.newPage(pageIndex));
      page?.set(piece, inPage);
    }
    this.held.add(diskOffset, diskOffset + bytes.length);
  }

  private newPage(pageIndex: number): Uint8Array {
    if ((this.pageCount + 1) * PAGE_BYTES > this.limitBytes) {
      throw new GrtError('LIMIT_EXCEEDED', 'the metadata to keep from the stream is larger than the tap allows', { structure: 'catalog tap', expected: this.limitBytes });
    }
    const page = new Uint8Array(PAGE_BYTES);
    this.pages.set(pageIndex, page);
    this.pageCount++;
    return page;
  }

  /** Copy held bytes of [diskOffset, diskOffset + target.length) into `target` (callers check `held` first). */
  copyInto(diskOffset: number, target: Uint8Array): void {
    for (const { pageIndex, inPage, at, length } of pieces(diskOffset, target.length)) {
      const page = this.pages.get(pageIndex);
      if (page) target.set(page.subarray(inPage, inPage + length), at);
      else target.fill(0, at, at + length);
    }
  }
}

/** [diskOffset, diskOffset + length) cut at page boundaries: each piece's page, offset in it, offset in the range and length. */
function* pieces(diskOffset: number, length: number): Generator<{ pageIndex: number; inPage: number; at: number; length: number }> {
  for (let at = 0; at < length; ) {
    const offset = diskOffset + at;
    const pageIndex = Math.floor(offset / PAGE_BYTES);
    const inPage = offset - pageIndex * PAGE_BYTES;
    const n = Math.min(PAGE_BYTES - inPage, length - at);
    yield { pageIndex, inPage, at, length: n };
    at += n;
  }
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
