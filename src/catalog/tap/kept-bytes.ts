/**
 * The disk bytes the tap keeps: the metadata ranges it wanted, copied out of the stream as they
 * passed. Stored in fixed pages allocated on the first non-zero byte (an MFT's never-used records
 * are zeros and cost nothing), with the set of ranges held. A page once wholly held never changes
 * again (only gaps are stored), so it is packed with deflate: MFT records are mostly zeros and
 * repeated headers (measured: the 99 MiB MFT of an NTFS volume with 100,000 small files packs to
 * 3.3 MiB at level 1, in about 0.2 s of CPU, and unpacks in 0.1 s).
 */
import zlib from 'node:zlib';
import { GrtError } from '../../errors.js';
import { createInflater } from '../../vmdk/inflate.js';
import { PagePacker } from './page-packer.js';
import { RangeSet, type ByteRange } from './ranges.js';

/** Bytes per page: large enough that the map stays small, small enough that a 512-byte boot sector does not pin much. */
const PAGE_BYTES = 64 * 1024;
/** Deflate level of packed pages: the fastest; higher levels gained 6 % on an MFT at twice the time. */
const PACK_LEVEL = 1;
/** A page is kept packed only when that saves at least this share of it (incompressible data stays as it is). */
const PACK_MAX_SHARE = 0.75;
/**
 * Packed pages kept unpacked for reads: a catalog reads the MFT in order, a record or a cache
 * block at a time, so a few pages serve every read of one page in a row.
 */
const UNPACKED_PAGES = 8;

/** The pages of a KeptBytes handed to another thread (KeptBytes.handOff, KeptBytes.adopt). */
export interface KeptPages {
  held: ByteRange[];
  /** [page index, bytes]: pages as they are. */
  pages: [number, Uint8Array][];
  /** [page index, deflated bytes]: pages wholly held, packed. */
  packed: [number, Uint8Array][];
  /** Pages wholly held that did not pack. */
  unpackable: number[];
}

/** Where the bytes stored after a hand-off go (a message to the thread that holds the pages). */
export type ForwardStore = (diskOffset: number, bytes: Uint8Array) => void;

export class KeptBytes {
  private readonly pages = new Map<number, Uint8Array>();
  /** Pages wholly held, deflated. */
  private readonly packed = new Map<number, Uint8Array>();
  /** Pages wholly held that did not pack: never deflated again (a wholly held page no longer changes). */
  private readonly unpackable = new Set<number>();
  private readonly packer = new PagePacker(PACK_LEVEL, PAGE_BYTES * PACK_MAX_SHARE);
  /** After handOff: stored bytes go here, and this holds only the ranges. */
  private forward: ForwardStore | undefined;
  /** Packed pages recently read, unpacked (Map order: least recently used first). */
  private readonly unpacked = new Map<number, Uint8Array>();
  private readonly inflater = createInflater(zlib);
  /** Ranges held (their bytes are in `pages` or `packed`, or zeros where no page was allocated). */
  readonly held = new RangeSet('kept');
  private pageCount = 0;
  private packedBytes = 0;
  /** A page freed by packing, handed to the next new page (the MFT's pages come one after another: no allocation each). */
  private spare: Uint8Array | undefined;

  /** `limitBytes`: the most page memory (packed pages count their packed size) to allocate; past it the stream is refused (a volume claiming a huge MFT). */
  constructor(private readonly limitBytes: number) {}

  /** Bytes of page memory allocated. */
  get bytes(): number {
    return this.pageCount * PAGE_BYTES + this.packedBytes;
  }

  /** Keep `bytes`, the disk's bytes at `diskOffset`. */
  store(diskOffset: number, bytes: Uint8Array): void {
    if (this.forward) {
      this.held.add(diskOffset, diskOffset + bytes.length);
      this.forward(diskOffset, bytes);
      return;
    }
    // Page by page, each packed as soon as it is wholly held: its buffer is then the spare the next
    // page takes, so a run of pages (a MiB of MFT at a time) allocates none. Packing them only after
    // the whole run allocated a page each (92 MiB of garbage for a 99 MiB MFT, the calling thread's
    // memory peak until a collection).
    for (const { pageIndex, inPage, at, length } of pieces(diskOffset, bytes.length)) {
      const piece = bytes.subarray(at, at + length);
      const page = this.pages.get(pageIndex) ?? (isZero(piece) ? undefined : this.newPage(pageIndex, length === PAGE_BYTES));
      page?.set(piece, inPage);
      this.held.add(diskOffset + at, diskOffset + at + length);
      if (page && !this.unpackable.has(pageIndex) && this.held.covers(pageIndex * PAGE_BYTES, (pageIndex + 1) * PAGE_BYTES)) this.pack(pageIndex);
    }
  }

  private pack(pageIndex: number): void {
    const page = this.pages.get(pageIndex)!;
    const packed = this.packer.pack(page);
    if (!packed) {
      this.unpackable.add(pageIndex);
      return;
    }
    this.pages.delete(pageIndex);
    this.pageCount--;
    // The page as it is stays among the unpacked ones: the look-ahead reads the records it just completed.
    this.cacheUnpacked(pageIndex, page);
    this.packed.set(pageIndex, packed);
    this.packedBytes += packed.length;
  }

  /**
   * Give the pages away (to be adopted in another thread, their buffers transferred): from now on
   * this holds only the ranges, and what is stored goes to `forward`.
   */
  handOff(forward: ForwardStore): KeptPages {
    const pages: KeptPages = { held: this.held.all(), pages: [...this.pages], packed: [...this.packed], unpackable: [...this.unpackable] };
    this.pages.clear();
    this.packed.clear();
    this.unpacked.clear();
    this.spare = undefined;
    this.forward = forward;
    return pages;
  }

  /** A KeptBytes holding pages handed off by another (limit as there). */
  static adopt(handed: KeptPages, limitBytes: number): KeptBytes {
    const kept = new KeptBytes(limitBytes);
    for (const range of handed.held) kept.held.add(range.start, range.end);
    for (const [pageIndex, page] of handed.pages) kept.pages.set(pageIndex, page);
    for (const [pageIndex, packed] of handed.packed) {
      kept.packed.set(pageIndex, packed);
      kept.packedBytes += packed.length;
    }
    for (const pageIndex of handed.unpackable) kept.unpackable.add(pageIndex);
    kept.pageCount = handed.pages.length;
    return kept;
  }

  private unpack(pageIndex: number): Uint8Array | undefined {
    const hit = this.unpacked.get(pageIndex);
    if (hit) {
      this.unpacked.delete(pageIndex);
      this.unpacked.set(pageIndex, hit);
      return hit;
    }
    if (!this.packed.has(pageIndex)) return undefined;
    const page = this.spare ?? new Uint8Array(PAGE_BYTES);
    this.spare = undefined;
    this.unpackInto(pageIndex, page);
    this.cacheUnpacked(pageIndex, page);
    return page;
  }

  /** Unpack packed page `pageIndex` into `page` (PAGE_BYTES long); false when it is not packed. */
  private unpackInto(pageIndex: number, page: Uint8Array): boolean {
    const packed = this.packed.get(pageIndex);
    if (!packed) return false;
    // Our own deflate of a full page: anything else is a fault of this process, not of the input.
    if (this.inflater.inflate(packed, page) !== PAGE_BYTES) throw new Error(`kept page ${pageIndex} does not unpack: ${this.inflater.lastError}`);
    return true;
  }

  /** Note `page` as the unpacked copy of packed page `pageIndex`; the least recently used one beyond UNPACKED_PAGES becomes the spare. */
  private cacheUnpacked(pageIndex: number, page: Uint8Array): void {
    this.unpacked.set(pageIndex, page);
    if (this.unpacked.size <= UNPACKED_PAGES) return;
    const oldest = this.unpacked.keys().next().value!;
    this.spare = this.unpacked.get(oldest);
    this.unpacked.delete(oldest);
  }

  /** A page for `pageIndex`: zeros, or (`whole`: about to be overwritten whole) a spare one as it is. */
  private newPage(pageIndex: number, whole: boolean): Uint8Array {
    if ((this.pageCount + 1) * PAGE_BYTES + this.packedBytes > this.limitBytes) {
      throw new GrtError('LIMIT_EXCEEDED', 'the metadata to keep from the stream is larger than the tap allows', { structure: 'catalog tap', expected: this.limitBytes });
    }
    // Unwritten parts of a page read as zeros (a zero piece stored before the page existed).
    const page = (whole ? this.spare : this.spare?.fill(0)) ?? new Uint8Array(PAGE_BYTES);
    this.spare = undefined;
    this.pages.set(pageIndex, page);
    this.pageCount++;
    return page;
  }

  /** Copy held bytes of [diskOffset, diskOffset + target.length) into `target` (callers check `held` first). */
  copyInto(diskOffset: number, target: Uint8Array): void {
    // A fault of this process: after the hand-off nothing here reads the bytes.
    if (this.forward) throw new Error('kept bytes read after they were handed off');
    for (const { pageIndex, inPage, at, length } of pieces(diskOffset, target.length)) {
      // A whole packed page read (the catalog's scan reads the MFT in 4 MiB chunks) unpacks straight
      // into the target: it will not be read again soon, and caching it costs a copy and evicts the pages that will.
      if (length === PAGE_BYTES && !this.pages.has(pageIndex) && !this.unpacked.has(pageIndex) && this.unpackInto(pageIndex, target.subarray(at, at + length))) continue;
      const page = this.pages.get(pageIndex) ?? this.unpack(pageIndex);
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
