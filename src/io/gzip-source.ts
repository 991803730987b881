/**
 * Random access into one gzip member (RFC 1952) inside another source, without unpacking it:
 * how an OVA's `ovf:compression="gzip"` disk is read in place (DSP0243 §7.1).
 *
 * A read decodes forward from the nearest point at or before it that decoding can start from:
 * the member's start, a checkpoint (a DEFLATE block boundary with the 32 KiB window before it,
 * recorded every `checkpointSpacing` output bytes as passes go by, as zlib's examples/zran.c
 * does), or the live decoder the previous read left (sequential reads continue it). Pieces of
 * output that small reads asked for are kept in an LRU cache. The first read of a far byte costs
 * a pass over everything before it; later reads cost at most one checkpoint spacing.
 *
 * Size: ISIZE is the size mod 2^32. DEFLATE expands at most 1032-fold (a 258-byte match in two
 * bits), so a member whose DEFLATE data is under 2^32 / 1032 bytes has ISIZE as its size; a larger
 * one is decoded once at open to learn it (its checkpoints are recorded then, and a VMDK reader
 * reads the footer at the end first anyway). The OVF gives no help: `ovf:size` is the stored
 * (compressed) file's size, `ovf:populatedSize` an estimate of the bytes the guest uses.
 * Whenever a pass reaches the end, the length, ISIZE and CRC32 are checked.
 *
 * One member only: a second member after the first (RFC 1952 allows concatenation; gzip, pigz and
 * ovftool write one) is refused as UNSUPPORTED when a pass reaches it, since its size would be
 * unknown until the whole file was decoded.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { GrtError } from '../errors.js';
import { DEFLATE_WINDOW_BYTES, Inflater, InflateStatus, INPUT_MARGIN_BYTES, type InflateCheckpoint } from '../codecs/deflate.js';
import { crc32 as tableCrc32 } from '../util/crc32.js';
import type { ByteSource } from './byte-source.js';
import { checkRange } from './byte-source.js';
import { GZIP_TRAILER_BYTES, isGzipMagic, readGzipHeader, readGzipTrailer } from './gzip-header.js';

const MIB = 1024 * 1024;
/** Output bytes between checkpoints: a read decodes at most this much it does not want (~5 ms). */
export const CHECKPOINT_SPACING = 1 * MIB;
/**
 * Memory for checkpoint windows (32 KiB each): 1024 of them. Past that every other is dropped and
 * the spacing doubles, so memory stays flat however big the disk (a 100 GiB disk: 128 MiB spacing).
 */
export const MAX_CHECKPOINT_MIB = 32;
/** Decoded pieces kept for small reads (metadata read again and again). */
export const DECODED_CACHE_MIB = 16;
/** Unit of the decoded cache: one default VMDK grain. */
export const PIECE_BYTES = 64 * 1024;
/** Compressed bytes read per request from the member: few requests over HTTP, bounded memory. */
export const INPUT_SLAB_BYTES = 1 * MIB;
/** Output a decoder holds besides its 32 KiB window. */
export const OUTPUT_BUFFER_BYTES = 1 * MIB;
/** RFC 1951 §3.2.5: the longest match (258 bytes) costs at least 2 bits: at most 1032 bytes out per byte in. */
const MAX_DEFLATE_RATIO = 1032;
/** Reads of at least this many pieces bypass the cache (bulk data read once would evict metadata). */
const BYPASS_PIECES = 4;

const STRUCTURE = 'gzip member';
const crc32: (data: Uint8Array, previous: number) => number = typeof zlibCrc32 === 'function' ? (data, previous) => zlibCrc32(data, previous) : tableCrc32;

export interface GzipSourceOptions {
  checkpointSpacing?: number;
  /** Memory for checkpoint windows; default MAX_CHECKPOINT_MIB. */
  checkpointBytes?: number;
  /** Compressed bytes read at a time; default INPUT_SLAB_BYTES. */
  inputSlabBytes?: number;
  cacheBytes?: number;
  pieceBytes?: number;
  /** Decode the member at open to learn its size even where ISIZE would do (tests). */
  sizeByPass?: boolean;
  /** For messages: the member's location. */
  path?: string;
}

interface Checkpoint extends InflateCheckpoint {
  /** CRC32 of the output before it. */
  crc: number;
}

/** A decoder on its way forward, with the CRC of everything it has produced. */
interface Pass {
  inflater: Inflater;
  crc: number;
  /** Output offset up to which `crc` is computed. */
  crcUpTo: number;
}

/** Where decoded bytes go: `bytes` are the output from offset `at`. */
type Sink = (at: number, bytes: Uint8Array) => void;

export class GzipSource implements ByteSource {
  size = 0;
  private readonly name: string;
  private readonly checkpoints: Checkpoint[] = [];
  private spacing: number;
  private readonly maxCheckpoints: number;
  private readonly pieceBytes: number;
  private readonly inputSlabBytes: number;
  private readonly pieces: LRUCache<number, Uint8Array>;
  private cursor: Pass | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** False while the size is an upper bound, until the pass at open reaches the end (see above). */
  private sizeLearned = true;

  private constructor(readonly inner: ByteSource, deflateStart: number, options: GzipSourceOptions) {
    this.name = options.path ?? STRUCTURE;
    this.spacing = options.checkpointSpacing ?? CHECKPOINT_SPACING;
    this.maxCheckpoints = Math.max(2, Math.floor((options.checkpointBytes ?? MAX_CHECKPOINT_MIB * MIB) / DEFLATE_WINDOW_BYTES));
    this.pieceBytes = options.pieceBytes ?? PIECE_BYTES;
    this.inputSlabBytes = Math.max(2 * INPUT_MARGIN_BYTES, options.inputSlabBytes ?? INPUT_SLAB_BYTES);
    this.pieces = new LRUCache({ max: Math.max(1, Math.floor((options.cacheBytes ?? DECODED_CACHE_MIB * MIB) / this.pieceBytes)) });
    this.checkpoints.push({ bitOffset: deflateStart * 8, outputOffset: 0, window: new Uint8Array(0), crc: 0 });
  }

  /** The gzip member that is all of `inner`: its header read, its size learned (see above). */
  static async open(inner: ByteSource, options: GzipSourceOptions = {}): Promise<GzipSource> {
    const header = await readGzipHeader(inner, options.path);
    const source = new GzipSource(inner, header.length, options);
    const deflateBytes = inner.size - header.length - GZIP_TRAILER_BYTES;
    if (deflateBytes * MAX_DEFLATE_RATIO < 2 ** 32 && options.sizeByPass !== true) {
      const { isize } = await readGzipTrailer(inner, inner.size - GZIP_TRAILER_BYTES);
      if (isize > deflateBytes * MAX_DEFLATE_RATIO) throw source.bad(`ISIZE ${isize} is more than ${deflateBytes} bytes of DEFLATE data can hold`, inner.size - 4);
      source.size = isize;
    } else {
      source.size = Math.min(Number.MAX_SAFE_INTEGER, deflateBytes * MAX_DEFLATE_RATIO);
      source.sizeLearned = false;
      await source.decode(0, source.size, () => undefined);
    }
    return source;
  }

  /** How many checkpoints are kept and how far apart (in output bytes) new ones are made. */
  get checkpointStats(): { count: number; spacing: number } {
    return { count: this.checkpoints.length, spacing: this.spacing };
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    await this.readInto(offset, out);
    return out;
  }

  readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, this.name);
    // One decoder at a time: reads share the cursor and the checkpoints.
    const done = this.queue.then(() => this.fill(offset, target));
    this.queue = done.catch(() => undefined);
    return done;
  }

  async close(): Promise<void> {
    this.pieces.clear();
    this.cursor = undefined;
    await this.inner.close?.();
  }

  private async fill(offset: number, target: Uint8Array): Promise<void> {
    const end = offset + target.length;
    if (target.length >= BYPASS_PIECES * this.pieceBytes) {
      await this.decode(offset, end, (at, bytes) => target.set(bytes, at - offset));
      return;
    }
    const piece = this.pieceBytes;
    for (let at = offset; at < end; ) {
      const index = Math.floor(at / piece);
      const cached = this.pieces.get(index);
      if (cached) {
        const from = at - index * piece;
        const take = Math.min(end - at, cached.length - from);
        target.set(cached.subarray(from, from + take), at - offset);
        at += take;
        continue;
      }
      // Decode this piece and the missing ones after it that the read needs, in one pass.
      let last = index;
      while ((last + 1) * piece < end && !this.pieces.has(last + 1)) last++;
      const runStart = index * piece;
      const runEnd = Math.min(this.size, (last + 1) * piece);
      const run = new Uint8Array(runEnd - runStart);
      await this.decode(runStart, runEnd, (from, bytes) => run.set(bytes, from - runStart));
      // Copies, not views: a view would keep the whole run alive and the cache's bound would not hold.
      for (let i = index; i <= last; i++) this.pieces.set(i, run.slice((i - index) * piece, Math.min(run.length, (i - index + 1) * piece)));
      const take = Math.min(end, runEnd) - at;
      target.set(run.subarray(at - runStart, at - runStart + take), at - offset);
      at += take;
    }
  }

  /** The pass to decode `start` from: the cursor when it is at or before `start` and not behind the best checkpoint. */
  private passFor(start: number): Pass {
    let low = 0;
    for (let high = this.checkpoints.length - 1; low < high; ) {
      const mid = (low + high + 1) >>> 1;
      if (this.checkpoints[mid]!.outputOffset <= start) low = mid;
      else high = mid - 1;
    }
    const checkpoint = this.checkpoints[low]!;
    const cursor = this.cursor;
    if (cursor && cursor.inflater.outputBase <= start && (cursor.inflater.outputOffset >= checkpoint.outputOffset || start < cursor.inflater.outputOffset)) return cursor;
    return { inflater: new Inflater(OUTPUT_BUFFER_BYTES, checkpoint), crc: checkpoint.crc, crcUpTo: checkpoint.outputOffset };
  }

  /**
   * Decode output [start, end) into `sink`, recording checkpoints. A pass that reaches the last
   * byte goes on to the final block's end, so that the trailer is checked.
   */
  private async decode(start: number, end: number, sink: Sink): Promise<void> {
    const pass = this.passFor(start);
    this.cursor = undefined;
    const inflater = pass.inflater;
    let delivered = start;
    for (;;) {
      const produced = inflater.outputOffset;
      if (produced > delivered) {
        const to = Math.min(end, produced);
        sink(delivered, inflater.output.subarray(delivered - inflater.outputBase, to - inflater.outputBase));
        delivered = to;
      }
      if (produced > pass.crcUpTo) {
        pass.crc = crc32(inflater.output.subarray(pass.crcUpTo - inflater.outputBase, produced - inflater.outputBase), pass.crc);
        pass.crcUpTo = produced;
      }
      if (produced > this.size) throw this.bad(`the member decodes to more than its ${this.size} bytes`, inflater.consumedOffset);
      if (inflater.finished) {
        // The trailer's checks refuse an end before the size; at open, the size is learned here.
        await this.finish(pass);
        break;
      }
      const atEnd = produced === this.size;
      if (delivered >= end && !atEnd) break;
      if (inflater.full) inflater.slide();
      // At the last byte, one more run reaches the final block's end (or finds more bytes: damage).
      const status = inflater.run(atEnd ? this.size + 1 : end);
      if (status === InflateStatus.Input) await this.feed(inflater);
      else if (status === InflateStatus.BlockEnd) this.noteBlockEnd(pass);
    }
    this.cursor = pass;
  }

  private async feed(inflater: Inflater): Promise<void> {
    const at = inflater.nextInputOffset;
    const length = Math.min(this.inputSlabBytes, this.inner.size - at);
    const bytes = length > 0 ? await this.inner.read(at, length) : new Uint8Array(0);
    inflater.feed(bytes, at + length >= this.inner.size);
  }

  /** A block boundary: a checkpoint when the last is a spacing behind (the CRC is current: decode updated it). */
  private noteBlockEnd(pass: Pass): void {
    const inflater = pass.inflater;
    const produced = inflater.outputOffset;
    const last = this.checkpoints[this.checkpoints.length - 1]!;
    if (produced < last.outputOffset + this.spacing) return;
    const crc = produced > pass.crcUpTo ? crc32(inflater.output.subarray(pass.crcUpTo - inflater.outputBase, produced - inflater.outputBase), pass.crc) : pass.crc;
    pass.crc = crc;
    pass.crcUpTo = produced;
    this.checkpoints.push({ ...inflater.checkpoint(), crc });
    if (this.checkpoints.length > this.maxCheckpoints) {
      // Thin to every other checkpoint (the member's start stays): memory flat, spacing doubled.
      const kept = this.checkpoints.filter((_, i) => i % 2 === 0);
      this.checkpoints.splice(0, this.checkpoints.length, ...kept);
      this.spacing *= 2;
    }
  }

  /** The final block ended: the trailer checked against what was decoded; the size learned or confirmed. */
  private async finish(pass: Pass): Promise<void> {
    const trailerAt = pass.inflater.consumedOffset;
    const produced = pass.inflater.outputOffset;
    if (trailerAt + GZIP_TRAILER_BYTES > this.inner.size) {
      throw new GrtError('TRUNCATED', 'the gzip member ends before its CRC32 and ISIZE', { structure: STRUCTURE, offset: trailerAt, space: 'compressed', path: this.name, expected: trailerAt + GZIP_TRAILER_BYTES, actual: this.inner.size });
    }
    const trailer = await readGzipTrailer(this.inner, trailerAt);
    const after = trailerAt + GZIP_TRAILER_BYTES;
    if (after < this.inner.size) {
      const next = await this.inner.read(after, Math.min(3, this.inner.size - after));
      if (isGzipMagic(next)) throw new GrtError('UNSUPPORTED', 'a second gzip member follows the first: grt reads a file gzip wrote as one member', { structure: STRUCTURE, offset: after, space: 'compressed', path: this.name });
      throw this.bad(`${this.inner.size - after} bytes follow the gzip trailer`, after);
    }
    if (produced % 2 ** 32 !== trailer.isize) throw this.bad(`the member decodes to ${produced} bytes; ISIZE says ${trailer.isize} (mod 2^32)`, trailerAt + 4);
    if (pass.crc !== trailer.crc32) throw new GrtError('BAD_CHECKSUM', 'the CRC32 of the decoded bytes is not the trailer\'s', { structure: STRUCTURE, offset: trailerAt, space: 'compressed', path: this.name, expected: trailer.crc32, actual: pass.crc });
    if (this.sizeLearned && produced !== this.size) throw this.bad(`the member decodes to ${produced} bytes, not the ${this.size} ISIZE gives`, trailerAt);
    this.size = produced;
    this.sizeLearned = true;
  }

  private bad(detail: string, offset: number): GrtError {
    return new GrtError('BAD_COMPRESSED_DATA', detail, { structure: STRUCTURE, offset, space: 'compressed', path: this.name });
  }
}
