/**
 * streamOptimized specifics: markers, the footer, compressed grain records, and recovery of the
 * grain map by walking the markers when the footer or grain directory is lost (a cut-off export).
 *
 * Sources: VMware "Virtual Disk Format 5.0" technote, "Stream-Optimized Compressed Sparse
 * Extents" (grain marker, metadata markers, footer, end-of-stream marker); libyal/libvmdk,
 * "Compressed grain"; qemu block/vmdk.c for the footer checks and grains longer than a grain.
 */
import { LRUCache } from 'lru-cache';
import { GrtError, type GrtWarning } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { readU64 } from '../util/safe-number.js';
import { GRAIN_MISSING, GRAIN_PARENT, type CompressedGrainRequest, type GrainTableView } from './grain-table.js';
import { inflateError } from './inflate.js';
import type { GrainInflation } from './inflation.js';
import { parseKdmvHeader, SECTOR_BYTES, type KdmvHeader } from './sparse-header.js';

/** Metadata marker types (the u32 after a zero size). */
export const MARKER_EOS = 0;
export const MARKER_GT = 1;
export const MARKER_GD = 2;
export const MARKER_FOOTER = 3;
/** A grain record starts with lba (u64) and size (u32); the compressed bytes follow. */
export const GRAIN_RECORD_HEADER_BYTES = 12;
/** footer marker + footer header + end-of-stream marker, each one sector, end the stream. */
export const FOOTER_TAIL_BYTES = 3 * SECTOR_BYTES;
/**
 * Deflate never expands by more than a few bytes per 16 KiB block, but qemu and some VMware
 * builds store records longer than the grain; twice the grain plus a sector is generous for both
 * and still bounds what one record can make us read.
 */
export function maxCompressedBytes(grainBytes: number): number {
  return 2 * grainBytes + SECTOR_BYTES;
}
/** Inflated grains kept, so small reads within one grain inflate it once. */
export const INFLATED_GRAIN_CACHE = 8;

/** A record's GrtError, kept as its result; anything else is a bug and goes on up. */
function asRecordError(error: unknown): GrtError {
  if (error instanceof GrtError) return error;
  throw error;
}

/**
 * The footer copy of the header, trusted only when the footer marker (size 0, type 3) and the
 * end-of-stream marker (all zero) around it are intact. Returns null (and a warning) otherwise.
 */
export async function readFooter(file: ByteSource, path: string, warnings: GrtWarning[]): Promise<KdmvHeader | null> {
  if (file.size < SECTOR_BYTES + FOOTER_TAIL_BYTES) {
    warnings.push({ code: 'TRUNCATED', message: 'streamOptimized file too short to hold a footer' });
    return null;
  }
  const start = file.size - FOOTER_TAIL_BYTES;
  const tail = await file.read(start, FOOTER_TAIL_BYTES);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const footerMarkerOk = view.getUint32(8, true) === 0 && view.getUint32(12, true) === MARKER_FOOTER;
  const eos = 2 * SECTOR_BYTES;
  const eosOk =
    view.getUint32(eos, true) === 0 &&
    view.getUint32(eos + 4, true) === 0 &&
    view.getUint32(eos + 8, true) === 0 &&
    view.getUint32(eos + 12, true) === MARKER_EOS;
  if (!footerMarkerOk || !eosOk) {
    warnings.push({ code: 'BAD_MARKER', message: 'footer or end-of-stream marker missing at the end of the file', offset: start });
    return null;
  }
  try {
    const footer = parseKdmvHeader(tail.subarray(SECTOR_BYTES, 2 * SECTOR_BYTES), start + SECTOR_BYTES, path, warnings);
    if (footer.gdSector !== null) return footer;
    warnings.push({ code: 'BAD_HEADER', message: 'footer does not give a grain directory offset', offset: start + SECTOR_BYTES });
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    warnings.push({ code: error.code, message: error.message, offset: start + SECTOR_BYTES });
  }
  return null;
}

/**
 * Records read in one request at most: a batch of grains whose records lie together is one read
 * (a 1 MiB read of 64 KiB grains is 16 records), bounded so a batch never holds much more than
 * its grains' worth of compressed bytes.
 */
const MAX_RECORD_SPAN_BYTES = 4 * 1024 * 1024;

/**
 * Reads batches of compressed grains: the records of a batch in as few file reads as their
 * placement allows, each record's LBA and size checked, then every grain inflated straight into
 * its target by `inflation` (inflate-pool.ts: on worker threads for large batches, once enabled). Requests for part of a grain
 * (small reads) go through a few cached whole grains, so reading a grain piece by piece inflates it
 * once. Throws the error of the first failing grain in the batch's order.
 */
export function compressedGrainReader(
  file: ByteSource,
  path: string,
  grainSectors: number,
  capacitySectors: number,
  inflation: GrainInflation,
): (requests: readonly CompressedGrainRequest[]) => Promise<void> {
  const reader = new CompressedGrainReader(file, path, grainSectors, capacitySectors, inflation);
  return (requests) => reader.readBatch(requests);
}

/** compressedGrainReader's state: the file, the grain geometry and the cache of partly read grains. */
class CompressedGrainReader {
  private readonly grainBytes: number;
  private readonly maxRecordBytes: number;
  private readonly partialGrains = new LRUCache<number, Promise<Uint8Array>>({ max: INFLATED_GRAIN_CACHE });

  constructor(
    private readonly file: ByteSource,
    private readonly path: string,
    private readonly grainSectors: number,
    private readonly capacitySectors: number,
    private readonly inflation: GrainInflation,
  ) {
    this.grainBytes = grainSectors * SECTOR_BYTES;
    this.maxRecordBytes = GRAIN_RECORD_HEADER_BYTES + maxCompressedBytes(this.grainBytes);
  }

  /** The compressed bytes of grain `grainIndex`, whose record is at `recordOffset`, from `span` (read at `spanOffset`) if it holds them. */
  private async recordBytes(grainIndex: number, recordOffset: number, span: Uint8Array, spanOffset: number): Promise<Uint8Array> {
    const { file, path, grainSectors, grainBytes } = this;
    const structure = 'grain marker';
    const inSpan = recordOffset - spanOffset;
    const head =
      inSpan + GRAIN_RECORD_HEADER_BYTES <= span.length
        ? span.subarray(inSpan, inSpan + GRAIN_RECORD_HEADER_BYTES)
        : await file.read(recordOffset, Math.min(GRAIN_RECORD_HEADER_BYTES, file.size - recordOffset));
    if (head.length < GRAIN_RECORD_HEADER_BYTES) {
      throw new GrtError('MISSING_DATA', `grain ${grainIndex} record is cut off by the end of the file`, { structure, offset: recordOffset, space: 'file', path });
    }
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const lba = readU64(view, 0, 'grain marker lba', { structure, offset: recordOffset, space: 'file', path });
    const compressedBytes = view.getUint32(8, true);
    if (lba !== grainIndex * grainSectors) {
      throw new GrtError('BAD_MARKER', `grain ${grainIndex} record holds another sector`, {
        structure,
        offset: recordOffset,
        space: 'file',
        expected: grainIndex * grainSectors,
        actual: lba,
        path,
      });
    }
    if (compressedBytes === 0 || compressedBytes > maxCompressedBytes(grainBytes)) {
      throw new GrtError('BAD_MARKER', `grain ${grainIndex} record has an implausible size`, {
        structure,
        offset: recordOffset + 8,
        space: 'file',
        expected: `1..${maxCompressedBytes(grainBytes)}`,
        actual: compressedBytes,
        path,
      });
    }
    const dataOffset = recordOffset + GRAIN_RECORD_HEADER_BYTES;
    if (dataOffset + compressedBytes > file.size) {
      throw new GrtError('MISSING_DATA', `grain ${grainIndex} data is cut off by the end of the file`, {
        structure: 'compressed grain',
        offset: dataOffset,
        space: 'file',
        expected: dataOffset + compressedBytes,
        actual: file.size,
        path,
      });
    }
    const start = dataOffset - spanOffset;
    return start >= 0 && start + compressedBytes <= span.length ? span.subarray(start, start + compressedBytes) : file.read(dataOffset, compressedBytes);
  }

  /**
   * The compressed bytes of every request's record, in order. Records that follow each other
   * (writers store grains in LBA order) are read as one span; its end is a guess from their spacing,
   * and a record that runs past it is read on its own.
   */
  private async readRecords(requests: readonly CompressedGrainRequest[]): Promise<(Uint8Array | GrtError)[]> {
    const { file, maxRecordBytes } = this;
    const records: (Uint8Array | GrtError)[] = [];
    for (let first = 0; first < requests.length; ) {
      const spanOffset = requests[first]!.recordOffset;
      let last = first;
      while (last + 1 < requests.length) {
        const next = requests[last + 1]!.recordOffset;
        if (next <= requests[last]!.recordOffset || next - requests[last]!.recordOffset > maxRecordBytes || next + maxRecordBytes - spanOffset > MAX_RECORD_SPAN_BYTES) break;
        last++;
      }
      const spacing = last > first ? (requests[last]!.recordOffset - spanOffset) / (last - first) : SECTOR_BYTES;
      const spanEnd = Math.min(file.size, requests[last]!.recordOffset + Math.ceil(Math.max(spacing, SECTOR_BYTES) / SECTOR_BYTES) * SECTOR_BYTES);
      const span = spanEnd > spanOffset ? await file.read(spanOffset, spanEnd - spanOffset) : new Uint8Array(0);
      for (let i = first; i <= last; i++) {
        // A bad record fails its grain only, so the batch can report its first failure in order.
        records.push(await this.recordBytes(requests[i]!.grainIndex, requests[i]!.recordOffset, span, spanOffset).catch(asRecordError));
      }
      first = last + 1;
    }
    return records;
  }

  /** Inflate the records into their targets (whole grains) or fresh grain buffers (partial ones). */
  private async inflateAll(requests: readonly CompressedGrainRequest[], records: readonly (Uint8Array | GrtError)[], targets: readonly Uint8Array[]): Promise<void> {
    const { path, grainSectors, grainBytes, capacitySectors } = this;
    const readable = records.flatMap((input, i) => (input instanceof GrtError ? [] : [i]));
    const { produced, errors } = await this.inflation.batch(readable.map((i) => ({ input: records[i] as Uint8Array, out: targets[i]! })));
    let job = 0;
    requests.forEach(({ grainIndex, recordOffset }, i) => {
      const record = records[i]!;
      if (record instanceof GrtError) throw record;
      const details = { structure: `compressed grain ${grainIndex}`, offset: recordOffset + GRAIN_RECORD_HEADER_BYTES, space: 'file', path } as const;
      const bytes = produced[job]!;
      const message = errors[job++]!;
      if (bytes < 0) throw inflateError(bytes, message, grainBytes, details);
      // NOTE: qemu compresses only the bytes inside the capacity for the last, partial grain.
      const needed = Math.min(grainBytes, (capacitySectors - grainIndex * grainSectors) * SECTOR_BYTES);
      if (bytes < needed) {
        throw new GrtError('BAD_COMPRESSED_DATA', `grain ${grainIndex} inflates to less than a grain`, { ...details, expected: needed, actual: bytes });
      }
      targets[i]!.fill(0, bytes);
    });
  }

  /** Read and inflate one batch of grain requests (see compressedGrainReader). */
  async readBatch(requests: readonly CompressedGrainRequest[]): Promise<void> {
    const { grainBytes, partialGrains } = this;
    // What to inflate, in the requests' order (so the error thrown is the first grain's): whole
    // grains straight into their targets; a grain wanted only in part into a fresh grain buffer,
    // once, kept for the pieces of it other reads ask for.
    const load: CompressedGrainRequest[] = [];
    const targets: Uint8Array[] = [];
    const grainOf = new Map<number, Promise<Uint8Array>>();
    const fresh: { grainIndex: number; bytes: Uint8Array }[] = [];
    for (const request of requests) {
      if (request.inGrain === 0 && request.target.length === grainBytes) {
        load.push(request);
        targets.push(request.target);
      } else if (!grainOf.has(request.grainIndex)) {
        const cached = partialGrains.get(request.grainIndex);
        if (cached) grainOf.set(request.grainIndex, cached);
        else {
          const bytes = new Uint8Array(grainBytes);
          load.push(request);
          targets.push(bytes);
          fresh.push({ grainIndex: request.grainIndex, bytes });
        }
      }
    }
    const loading = load.length === 0 ? Promise.resolve() : this.readRecords(load).then((records) => this.inflateAll(load, records, targets));
    for (const { grainIndex, bytes } of fresh) {
      const pending = loading.then(() => bytes);
      pending.catch(() => partialGrains.delete(grainIndex));
      partialGrains.set(grainIndex, pending);
      grainOf.set(grainIndex, pending);
    }
    const copies = requests
      .filter((r) => r.inGrain !== 0 || r.target.length !== grainBytes)
      .map(async (r) => r.target.set((await grainOf.get(r.grainIndex)!).subarray(r.inGrain, r.inGrain + r.target.length)));
    const failed = (await Promise.allSettled([loading, ...copies])).find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

export interface RecoveredGrainMap {
  /** Grain table views over the recovered map, for GrainedExtent.loadTable. */
  loadTable(tableIndex: number): Promise<GrainTableView>;
  markers: number;
  warnings: GrtWarning[];
}

/**
 * Rebuild the grain map from the markers, starting at the first grain (overHead) and going as far
 * as the data goes. Every step advances by at least one sector, so the walk ends by the file size.
 *
 * NOTE: writers emit grains in increasing LBA order, so when the LBAs seen increase throughout, a
 * grain below the last one seen that has no record was never written (a hole: 'parent'); only
 * grains after the cut are MISSING_DATA. If the walk reached the end-of-stream marker, nothing is
 * missing. Out-of-order records make every unseen grain MISSING_DATA.
 */
export async function recoverGrainMap(file: ByteSource, header: KdmvHeader, gtesPerTable: number): Promise<RecoveredGrainMap> {
  const grainSectors = header.grainSectors;
  const grainBytes = grainSectors * SECTOR_BYTES;
  const totalGrains = Math.ceil(header.capacitySectors / grainSectors);
  const recordOffsets = new Map<number, number>();
  const warnings: GrtWarning[] = [];
  let pos = Math.max(1, header.overheadSectors) * SECTOR_BYTES;
  let markers = 0;
  let inOrder = true;
  let lastGrain = -1;
  let reachedEnd = false;
  let stopReason = 'the file ends';
  while (pos + GRAIN_RECORD_HEADER_BYTES <= file.size) {
    const head = await file.read(pos, GRAIN_RECORD_HEADER_BYTES + 4 <= file.size - pos ? 16 : GRAIN_RECORD_HEADER_BYTES);
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const value = view.getUint32(0, true) + view.getUint32(4, true) * 0x1_0000_0000;
    const size = view.getUint32(8, true);
    if (size > 0) {
      const grainIndex = value / grainSectors;
      if (!Number.isInteger(grainIndex) || grainIndex >= totalGrains || size > maxCompressedBytes(grainBytes)) {
        stopReason = `an implausible grain marker at byte ${pos}`;
        break;
      }
      if (pos + GRAIN_RECORD_HEADER_BYTES + size > file.size) {
        stopReason = `grain ${grainIndex} is cut off`;
        break;
      }
      if (grainIndex <= lastGrain) inOrder = false;
      lastGrain = Math.max(lastGrain, grainIndex);
      recordOffsets.set(grainIndex, pos);
      markers++;
      pos += Math.ceil((GRAIN_RECORD_HEADER_BYTES + size) / SECTOR_BYTES) * SECTOR_BYTES;
      continue;
    }
    const type = head.length >= 16 ? view.getUint32(12, true) : -1;
    if (type === MARKER_EOS) {
      reachedEnd = true;
      markers++;
      break;
    }
    if ((type !== MARKER_GT && type !== MARKER_GD && type !== MARKER_FOOTER) || value > (file.size - pos) / SECTOR_BYTES) {
      stopReason = `an unknown marker at byte ${pos}`;
      break;
    }
    markers++;
    pos += SECTOR_BYTES + value * SECTOR_BYTES;
  }
  warnings.push({
    code: 'MISSING_DATA',
    message: `footer missing; grain map recovered from ${markers} markers (${recordOffsets.size} grains${reachedEnd ? '' : `, stopped where ${stopReason}`})`,
  });
  if (!inOrder) warnings.push({ code: 'BAD_MARKER', message: 'grain records are out of order; every grain not found is treated as missing' });
  const holesBelow = reachedEnd ? Infinity : inOrder ? lastGrain : -1;
  return {
    markers,
    warnings,
    loadTable: async (tableIndex) => {
      const first = tableIndex * gtesPerTable;
      return (indexInTable) => recordOffsets.get(first + indexInTable) ?? (first + indexInTable < holesBelow ? GRAIN_PARENT : GRAIN_MISSING);
    },
  };
}
