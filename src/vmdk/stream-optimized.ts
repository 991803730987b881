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
import { GRAIN_MISSING, GRAIN_PARENT, type GrainTableView } from './grain-table.js';
import { inflateGrain } from './inflate.js';
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

/** Reads compressed grains by their record offset, checking the record's LBA and inflating once. */
export function compressedGrainReader(
  file: ByteSource,
  path: string,
  grainSectors: number,
  capacitySectors: number,
): (grainIndex: number, byteOffset: number) => Promise<Uint8Array> {
  const grainBytes = grainSectors * SECTOR_BYTES;
  const cache = new LRUCache<number, Promise<Uint8Array>>({ max: INFLATED_GRAIN_CACHE });
  const load = async (grainIndex: number, byteOffset: number): Promise<Uint8Array> => {
    const structure = 'grain marker';
    const head = await file.read(byteOffset, Math.min(SECTOR_BYTES, file.size - byteOffset));
    if (head.length < GRAIN_RECORD_HEADER_BYTES) {
      throw new GrtError('MISSING_DATA', `grain ${grainIndex} record is cut off by the end of the file`, { structure, offset: byteOffset, path });
    }
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const lba = readU64(view, 0, 'grain marker lba', { structure, offset: byteOffset, path });
    const compressedBytes = view.getUint32(8, true);
    if (lba !== grainIndex * grainSectors) {
      throw new GrtError('BAD_MARKER', `grain ${grainIndex} record holds another sector`, {
        structure,
        offset: byteOffset,
        expected: grainIndex * grainSectors,
        actual: lba,
        path,
      });
    }
    if (compressedBytes === 0 || compressedBytes > maxCompressedBytes(grainBytes)) {
      throw new GrtError('BAD_MARKER', `grain ${grainIndex} record has an implausible size`, {
        structure,
        offset: byteOffset + 8,
        expected: `1..${maxCompressedBytes(grainBytes)}`,
        actual: compressedBytes,
        path,
      });
    }
    const dataOffset = byteOffset + GRAIN_RECORD_HEADER_BYTES;
    if (dataOffset + compressedBytes > file.size) {
      throw new GrtError('MISSING_DATA', `grain ${grainIndex} data is cut off by the end of the file`, {
        structure: 'compressed grain',
        offset: dataOffset,
        expected: dataOffset + compressedBytes,
        actual: file.size,
        path,
      });
    }
    const compressed =
      GRAIN_RECORD_HEADER_BYTES + compressedBytes <= head.length
        ? head.subarray(GRAIN_RECORD_HEADER_BYTES, GRAIN_RECORD_HEADER_BYTES + compressedBytes)
        : await file.read(dataOffset, compressedBytes);
    const inflated = await inflateGrain(compressed, grainBytes, { structure: `compressed grain ${grainIndex}`, offset: dataOffset, path });
    // NOTE: qemu compresses only the bytes inside the capacity for the last, partial grain.
    const needed = Math.min(grainBytes, (capacitySectors - grainIndex * grainSectors) * SECTOR_BYTES);
    if (inflated.length < needed) {
      throw new GrtError('BAD_COMPRESSED_DATA', `grain ${grainIndex} inflates to less than a grain`, {
        structure: 'compressed grain',
        offset: dataOffset,
        expected: needed,
        actual: inflated.length,
        path,
      });
    }
    if (inflated.length === grainBytes) return inflated;
    const full = new Uint8Array(grainBytes);
    full.set(inflated);
    return full;
  };
  return (grainIndex, byteOffset) => {
    let pending = cache.get(grainIndex);
    if (!pending) {
      pending = load(grainIndex, byteOffset);
      cache.set(grainIndex, pending);
      pending.catch(() => cache.delete(grainIndex));
    }
    return pending;
  };
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
