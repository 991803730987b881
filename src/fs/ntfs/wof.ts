/**
 * Windows Overlay Filter (WOF) "file provider" files: Compact OS and `compact /exe:*`.
 *
 * Sources: [MS-FSCC] 2.1.2.1 (IO_REPARSE_TAG_WOF), the Windows SDK's wofapi.h (WOF_EXTERNAL_INFO,
 * FILE_PROVIDER_EXTERNAL_INFO_V1 and the FILE_PROVIDER_COMPRESSION_* numbers), and the layout
 * ntfs-3g-system-compression and wimlib document for the compressed stream.
 *
 * Reparse data (after the 8-byte REPARSE_DATA_BUFFER header):
 *   0 WOF version (u32, 1)   4 provider (u32: 1 WIM, 2 file)
 *   file provider: 8 provider version (u32, 1)   12 algorithm (u32: 0 XPRESS4K, 1 LZX, 2 XPRESS8K, 3 XPRESS16K)
 * The unnamed $DATA is sparse and as long as the plaintext. The named stream "WofCompressedData"
 * holds (chunks − 1) little-endian chunk end offsets — u32, or u64 when the plaintext is 4 GiB or
 * more — counted from the end of that table, then the chunks, each compressed on its own (the
 * first starts right after the table; the last ends at the end of the stream). A chunk whose
 * stored size equals its plaintext size did not shrink and is stored as it is.
 */
import { GrtError } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { checkRange } from '../../io/byte-source.js';
import type { GrainInflation, InflateJob } from '../../vmdk/inflation.js';
import type { StreamLayout } from '../file-system.js';
import { LzxDecompressor } from '../../codecs/lzx.js';
import { XpressHuffmanDecompressor } from '../../codecs/xpress-huffman.js';

export const WOF_STREAM_NAME = 'WofCompressedData';
const WOF_VERSION = 1;
const PROVIDER_WIM = 1;
const PROVIDER_FILE = 2;
const FILE_PROVIDER_VERSION = 1;
/** Reparse header (8) + WOF_EXTERNAL_INFO (8) + FILE_PROVIDER_EXTERNAL_INFO_V1 (8). */
const FILE_PROVIDER_REPARSE_BYTES = 24;

export type WofAlgorithm = 'XPRESS4K' | 'LZX' | 'XPRESS8K' | 'XPRESS16K';
const ALGORITHMS: readonly WofAlgorithm[] = ['XPRESS4K', 'LZX', 'XPRESS8K', 'XPRESS16K'];
const CHUNK_SIZES: Record<WofAlgorithm, number> = { XPRESS4K: 4096, LZX: 32768, XPRESS8K: 8192, XPRESS16K: 16384 };

/** Plaintexts of this size and more use 8-byte chunk table entries. */
const LARGE_FILE_BYTES = 2 ** 32;
/** Chunk table bytes read at a time: one read serves 1024–8192 chunks of a sequential read. */
const TABLE_PAGE_BYTES = 32 * 1024;
/** Decoded chunks kept per open stream: sequential reads smaller than a chunk decode it once. */
const CHUNKS_KEPT = 4;
/**
 * Reads whose whole chunks hold at least this much plaintext decode them in batches through the
 * stream's GrainInflation (a restore's: on the inflate workers, vmdk/inflate-pool.ts), straight
 * into the reader's buffer. Smaller reads (browsing, a small file) decode here chunk by chunk:
 * a worker's round trip (~0.1 ms) costs about what 16 KiB of XPRESS takes to decode.
 */
const BATCH_MIN_BYTES = 128 * 1024;
/**
 * Plaintext per batch: a restore's 1 MiB read is one batch, and the reads it has in flight go to
 * several workers. Bounds a batch's compressed input to as much (a chunk is never larger stored).
 */
const BATCH_BYTES = 1024 * 1024;

/** What a WOF reparse point says. */
export type WofReparse = { provider: 'file'; algorithm: WofAlgorithm } | { provider: 'wim' } | { provider: 'unknown'; reason: string };

/** Read WOF reparse data (the whole $REPARSE_POINT value, header included). */
export function parseWofReparse(value: Uint8Array): WofReparse {
  if (value.length < 16) return { provider: 'unknown', reason: 'WOF reparse data too short' };
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const version = view.getUint32(8, true);
  const provider = view.getUint32(12, true);
  if (version !== WOF_VERSION) return { provider: 'unknown', reason: `WOF version ${version}` };
  if (provider === PROVIDER_WIM) return { provider: 'wim' };
  if (provider !== PROVIDER_FILE) return { provider: 'unknown', reason: `WOF provider ${provider}` };
  if (value.length < FILE_PROVIDER_REPARSE_BYTES) return { provider: 'unknown', reason: 'WOF file provider data too short' };
  const providerVersion = view.getUint32(16, true);
  const algorithm = ALGORITHMS[view.getUint32(20, true)];
  if (providerVersion !== FILE_PROVIDER_VERSION) return { provider: 'unknown', reason: `WOF file provider version ${providerVersion}` };
  if (!algorithm) return { provider: 'unknown', reason: `WOF compression format ${view.getUint32(20, true)}` };
  return { provider: 'file', algorithm };
}

/**
 * The layout of a WOF file's plaintext: the layout of its WofCompressedData stream (`compressed`)
 * relabelled, so a catalog keeps where the chunks are and a restore from it decodes them. An
 * LZNT1-compressed WofCompressedData (Windows never writes one) is refused.
 */
export function wofLayout(compressed: StreamLayout, size: number, algorithm: WofAlgorithm, structure: string): StreamLayout {
  if (compressed.encoding !== 'raw' && compressed.encoding !== 'resident') {
    throw new GrtError('UNSUPPORTED', `${WOF_STREAM_NAME} stream stored ${compressed.encoding}`, { structure });
  }
  const layout: StreamLayout = { name: '', size, initializedSize: size, encoding: 'wof', wof: { algorithm, size: compressed.size, initializedSize: compressed.initializedSize }, runs: compressed.runs };
  if (compressed.resident) layout.resident = compressed.resident;
  return layout;
}

/**
 * The plaintext stream of a 'wof' layout (from the volume or a catalog): the compressed stream
 * read through `openLayout` (fs/layout-stream.ts, which checks its runs), decoded by chunk.
 */
export function openWofLayout(source: ByteSource, layout: StreamLayout, openLayout: (source: ByteSource, layout: StreamLayout) => ByteSource, inflation?: GrainInflation): ByteSource {
  const structure = `stream layout ${JSON.stringify(layout.name)}`;
  const wof = layout.wof;
  if (!wof || !(wof.algorithm in CHUNK_SIZES)) throw new GrtError('BAD_RUNLIST', 'WOF layout without its format', { structure });
  const compressed: StreamLayout = { name: layout.name, size: wof.size, initializedSize: wof.initializedSize, encoding: layout.resident ? 'resident' : 'raw', runs: layout.runs };
  if (layout.resident) compressed.resident = layout.resident;
  return openWofStream(openLayout(source, compressed), layout.size, wof.algorithm, structure, inflation);
}

/**
 * The plaintext of a WOF file as a ByteSource: `compressed` is its WofCompressedData stream,
 * `size` its unnamed $DATA size. Chunks are read and decoded as reads reach them (a read in the
 * middle of a large file decodes only its chunks); the chunk table is read by pages.
 * A damaged table or chunk fails the read that needs it (BAD_TABLE / BAD_COMPRESSED_DATA).
 * With `inflation`, large reads decode their whole chunks in batches through it (BATCH_MIN_BYTES).
 */
export function openWofStream(compressed: ByteSource, size: number, algorithm: WofAlgorithm, name: string, inflation?: GrainInflation): ByteSource {
  const chunkSize = CHUNK_SIZES[algorithm];
  const structure = `${name} ${WOF_STREAM_NAME} (${algorithm})`;
  const chunkCount = Math.ceil(size / chunkSize);
  const entryBytes = size >= LARGE_FILE_BYTES ? 8 : 4;
  const tableBytes = Math.max(0, chunkCount - 1) * entryBytes;
  if (!Number.isSafeInteger(size) || size < 0) throw new GrtError('BAD_ATTRIBUTE', 'WOF file size out of range', { structure, actual: size });
  if (tableBytes > compressed.size) {
    // The table opens the compressed stream (ntfs-3g plugins/system-compression.c): byte 0 is where it fails.
    throw new GrtError('BAD_TABLE', 'chunk table longer than the compressed stream', { structure, offset: 0, space: 'stream', expected: compressed.size, actual: tableBytes });
  }
  return new WofStream(compressed, size, algorithm, structure, { chunkSize, chunkCount, entryBytes, tableBytes }, inflation);
}

interface ChunkGeometry {
  chunkSize: number;
  chunkCount: number;
  entryBytes: number;
  tableBytes: number;
}

/** openWofStream's reader; its arguments checked there. */
class WofStream implements ByteSource {
  private readonly chunkSize: number;
  private readonly chunkCount: number;
  private readonly entryBytes: number;
  private readonly tableBytes: number;
  /** Compressed bytes after the table. */
  private readonly dataBytes: number;
  private readonly decompressor: LzxDecompressor | XpressHuffmanDecompressor;
  private readonly codec: 'lzx' | 'xpress';
  /** Decoded chunks kept (CHUNKS_KEPT), by index. */
  private readonly chunks = new Map<number, Promise<Uint8Array>>();
  private readonly tableEntry: (index: number) => Promise<number>;

  constructor(
    private readonly compressed: ByteSource,
    readonly size: number,
    algorithm: WofAlgorithm,
    private readonly structure: string,
    geometry: ChunkGeometry,
    private readonly inflation: GrainInflation | undefined,
  ) {
    ({ chunkSize: this.chunkSize, chunkCount: this.chunkCount, entryBytes: this.entryBytes, tableBytes: this.tableBytes } = geometry);
    this.dataBytes = compressed.size - this.tableBytes;
    this.decompressor = algorithm === 'LZX' ? new LzxDecompressor() : new XpressHuffmanDecompressor();
    this.codec = algorithm === 'LZX' ? 'lzx' : 'xpress';
    this.tableEntry = chunkTable(compressed, this.tableBytes, this.entryBytes);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ size: this.size }, offset, length, this.structure);
    const out = new Uint8Array(length);
    await this.fill(offset, out);
    return out;
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange({ size: this.size }, offset, target.length, this.structure);
    await this.fill(offset, target);
  }

  /** Where chunk `index` starts in the data after the table: the previous chunk's end. */
  private chunkStart(index: number): Promise<number> {
    return index === 0 ? Promise.resolve(0) : this.tableEntry(index - 1);
  }

  /** Where chunk `index`, starting at `start`, ends; checked against the stream and its plaintext size. */
  private async chunkEnd(index: number, start: number): Promise<number> {
    const plainBytes = Math.min(this.chunkSize, this.size - index * this.chunkSize);
    const last = index === this.chunkCount - 1;
    const end = last ? this.dataBytes : await this.tableEntry(index);
    if (start > end || end > this.dataBytes || end - start > plainBytes) {
      // Entry N holds chunk N's end; the last chunk ends with the stream, so its start (entry N − 1) is at fault.
      const entry = last ? index - 1 : index;
      throw new GrtError('BAD_TABLE', `chunk ${index} out of order or out of the stream`, { structure: this.structure, offset: entry * this.entryBytes, space: 'stream', expected: `${start}..${this.dataBytes}, at most ${plainBytes} bytes`, actual: end });
    }
    return end;
  }

  private async decodeChunk(index: number): Promise<Uint8Array> {
    const plainBytes = Math.min(this.chunkSize, this.size - index * this.chunkSize);
    const start = await this.chunkStart(index);
    const end = await this.chunkEnd(index, start);
    const packed = await this.compressed.read(this.tableBytes + start, end - start);
    if (end - start === plainBytes) return packed; // stored: it did not shrink
    const plain = new Uint8Array(plainBytes);
    try {
      this.decompressor.decompress(packed, plain);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      throw new GrtError(error.code, `chunk ${index}: ${error.message}`, { structure: this.structure, offset: this.tableBytes + start, cause: error });
    }
    return plain;
  }

  private chunk(index: number): Promise<Uint8Array> {
    const chunks = this.chunks;
    let decoded = chunks.get(index);
    if (!decoded) {
      decoded = this.decodeChunk(index);
      chunks.set(index, decoded);
      // A failed chunk is not kept: the error is the caller's, a later read tries again.
      decoded.catch(() => chunks.get(index) === decoded && chunks.delete(index));
      if (chunks.size > CHUNKS_KEPT) chunks.delete(chunks.keys().next().value!);
    }
    return decoded;
  }

  /**
   * Chunks [first, last) decoded into `out` (their plaintext, whole) as one batch: their bytes
   * read at once, stored chunks copied, the others decoded by `inflation`.
   */
  private async decodeBatch(inflation: GrainInflation, first: number, last: number, out: Uint8Array): Promise<void> {
    const ends: number[] = [];
    const batchStart = await this.chunkStart(first);
    for (let index = first, start = batchStart; index < last; index++) ends.push((start = await this.chunkEnd(index, start)));
    const packed = await this.compressed.read(this.tableBytes + batchStart, ends[ends.length - 1]! - batchStart);
    const startOf = (index: number): number => (index === first ? batchStart : ends[index - first - 1]!);
    const jobs: InflateJob[] = [];
    const indexes: number[] = [];
    for (let index = first; index < last; index++) {
      const input = packed.subarray(startOf(index) - batchStart, ends[index - first]! - batchStart);
      const plain = out.subarray((index - first) * this.chunkSize, Math.min((index - first + 1) * this.chunkSize, out.length));
      if (input.length === plain.length) plain.set(input); // stored: it did not shrink
      else {
        jobs.push({ input, out: plain, codec: this.codec });
        indexes.push(index);
      }
    }
    if (jobs.length === 0) return;
    const { produced, errors } = await inflation.batch(jobs);
    jobs.forEach((job, i) => {
      if (produced[i] === job.out.length) return;
      const index = indexes[i]!;
      throw new GrtError('BAD_COMPRESSED_DATA', `chunk ${index}: ${errors[i] || 'decoded to the wrong size'}`, { structure: this.structure, offset: this.tableBytes + startOf(index) });
    });
  }

  private async fill(offset: number, target: Uint8Array): Promise<void> {
    const { chunkSize, chunkCount, size, inflation } = this;
    const end = offset + target.length;
    // Whole chunks in the middle of a large read: in batches (BATCH_MIN_BYTES); the ends by chunk.
    const first = Math.ceil(offset / chunkSize);
    const last = end === size ? chunkCount : Math.floor(end / chunkSize);
    if (!inflation || last <= first || Math.min(size, last * chunkSize) - first * chunkSize < BATCH_MIN_BYTES) return this.fillByChunk(offset, target);
    const parts = [this.fillByChunk(offset, target.subarray(0, first * chunkSize - offset))];
    if (last < chunkCount) parts.push(this.fillByChunk(last * chunkSize, target.subarray(last * chunkSize - offset)));
    const perBatch = BATCH_BYTES / chunkSize;
    for (let from = first; from < last; from += perBatch) {
      const to = Math.min(last, from + perBatch);
      parts.push(this.decodeBatch(inflation, from, to, target.subarray(from * chunkSize - offset, Math.min(size, to * chunkSize) - offset)));
    }
    await Promise.all(parts);
  }

  /** `target` filled from the plaintext at `offset`, chunk by chunk through the kept chunks. */
  private async fillByChunk(offset: number, target: Uint8Array): Promise<void> {
    const chunkSize = this.chunkSize;
    const end = offset + target.length;
    const parts: Promise<void>[] = [];
    for (let index = Math.floor(offset / chunkSize); index * chunkSize < end; index++) {
      const chunkStart = index * chunkSize;
      const from = Math.max(offset, chunkStart);
      const to = Math.min(end, chunkStart + chunkSize);
      parts.push(this.chunk(index).then((plain) => target.set(plain.subarray(from - chunkStart, to - chunkStart), from - offset)));
      // Beyond a few chunks in flight the cache would drop chunks before their copy: wait.
      if (parts.length >= CHUNKS_KEPT) await Promise.all(parts.splice(0));
    }
    await Promise.all(parts);
  }
}

/**
 * Entry `index` of a chunk table of `tableBytes` at the start of `compressed` (the end of chunk
 * `index`, counted from the end of the table), read by pages.
 */
function chunkTable(compressed: ByteSource, tableBytes: number, entryBytes: number): (index: number) => Promise<number> {
  const pages = new Map<number, Promise<Uint8Array>>();
  return async (index) => {
    const byteOffset = index * entryBytes;
    const pageNumber = Math.floor(byteOffset / TABLE_PAGE_BYTES);
    let page = pages.get(pageNumber);
    if (!page) {
      const start = pageNumber * TABLE_PAGE_BYTES;
      page = compressed.read(start, Math.min(TABLE_PAGE_BYTES, tableBytes - start));
      pages.clear(); // one page kept: entries of a chunk and its neighbour share it nearly always
      pages.set(pageNumber, page);
    }
    const bytes = await page;
    const at = byteOffset - pageNumber * TABLE_PAGE_BYTES;
    const low = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
    if (entryBytes === 4) return low;
    const high = (bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24)) >>> 0;
    // Past 2^53 − 1 the offset is not a safe number; it is past any stream anyway.
    return high >= 2 ** 21 ? Number.MAX_SAFE_INTEGER : high * 2 ** 32 + low;
  };
}
