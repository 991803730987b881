/**
 * Attribute encoders for the synthetic NTFS builder (layout per the libyal libfsntfs format
 * notes: resident/non-resident attribute headers, $STANDARD_INFORMATION, $FILE_NAME, mapping
 * pairs, $ATTRIBUTE_LIST entries).
 */

import { ByteWriter, align, concat, utf16le } from './bytes.js';

export const ATTR = {
  STANDARD_INFORMATION: 0x10,
  ATTRIBUTE_LIST: 0x20,
  FILE_NAME: 0x30,
  VOLUME_NAME: 0x60,
  VOLUME_INFORMATION: 0x70,
  DATA: 0x80,
  INDEX_ROOT: 0x90,
  INDEX_ALLOCATION: 0xa0,
  BITMAP: 0xb0,
} as const;

export const ATTR_FLAG_COMPRESSED = 0x0001;
export const ATTR_FLAG_SPARSE = 0x8000;

/** A run of clusters; `lcn` null is a hole (sparse run). */
export interface Run {
  length: number;
  lcn: number | null;
}

export interface NonResidentValue {
  runs: Run[];
  lowestVcn: number;
  highestVcn: number;
  allocatedSize: number;
  dataSize: number;
  initializedSize: number;
  /** Present (header 0x48) for compressed or sparse attributes: clusters really stored × size. */
  compressedSize?: number;
  /** log2 of clusters per compression unit: 4 for compressed data, else 0. */
  compressionUnit: number;
  flags: number;
}

/** One attribute before it gets its id in a record. */
export interface AttributeSpec {
  type: number;
  name: string;
  resident?: { value: Uint8Array; indexed?: boolean };
  nonResident?: NonResidentValue;
}

export function encodeAttribute(attr: AttributeSpec, id: number): Uint8Array {
  const name = utf16le(attr.name);
  if (attr.resident) {
    const nameOffset = 0x18;
    const valueOffset = align(nameOffset + name.length, 8);
    const length = align(valueOffset + attr.resident.value.length, 8);
    const w = new ByteWriter(length);
    header(w, attr.type, length, 0, attr.name.length, nameOffset, 0, id);
    w.u32(0x10, attr.resident.value.length);
    w.u16(0x14, valueOffset);
    w.u8(0x16, attr.resident.indexed ? 1 : 0);
    w.set(nameOffset, name);
    w.set(valueOffset, attr.resident.value);
    return w.bytes;
  }
  const nr = attr.nonResident!;
  const headerSize = nr.compressedSize === undefined ? 0x40 : 0x48;
  const pairs = encodeRuns(nr.runs);
  const pairsOffset = align(headerSize + name.length, 8);
  const length = align(pairsOffset + pairs.length, 8);
  const w = new ByteWriter(length);
  header(w, attr.type, length, 1, attr.name.length, headerSize, nr.flags, id);
  w.u64(0x10, nr.lowestVcn);
  w.u64(0x18, BigInt.asUintN(64, BigInt(nr.highestVcn)));
  w.u16(0x20, pairsOffset);
  w.u8(0x22, nr.compressionUnit);
  w.u64(0x28, nr.allocatedSize);
  w.u64(0x30, nr.dataSize);
  w.u64(0x38, nr.initializedSize);
  if (nr.compressedSize !== undefined) w.u64(0x40, nr.compressedSize);
  w.set(headerSize, name);
  w.set(pairsOffset, pairs);
  return w.bytes;
}

function header(w: ByteWriter, type: number, length: number, nonResident: number, nameLength: number, nameOffset: number, flags: number, id: number): void {
  w.u32(0, type);
  w.u32(4, length);
  w.u8(8, nonResident);
  w.u8(9, nameLength);
  w.u16(0x0a, nameLength ? nameOffset : 0);
  w.u16(0x0c, flags);
  w.u16(0x0e, id);
}

/** Minimal little-endian two's-complement byte count of a signed value. */
function signedByteCount(v: number): number {
  let n = 1;
  while (n < 8 && (v < -(2 ** (8 * n - 1)) || v >= 2 ** (8 * n - 1))) n++;
  return n;
}

function pushSigned(out: number[], v: number, bytes: number): void {
  let big = BigInt.asUintN(8 * bytes, BigInt(v));
  for (let i = 0; i < bytes; i++) {
    out.push(Number(big & 0xffn));
    big >>= 8n;
  }
}

/** Mapping pairs: per run a header byte (offset bytes << 4 | length bytes), length, LCN delta. */
export function encodeRuns(runs: Run[]): Uint8Array {
  const out: number[] = [];
  let previousLcn = 0;
  for (const run of runs) {
    const lengthBytes = signedByteCount(run.length);
    if (run.lcn === null) {
      out.push(lengthBytes);
      pushSigned(out, run.length, lengthBytes);
      continue;
    }
    const delta = run.lcn - previousLcn;
    const offsetBytes = signedByteCount(delta);
    out.push((offsetBytes << 4) | lengthBytes);
    pushSigned(out, run.length, lengthBytes);
    pushSigned(out, delta, offsetBytes);
    previousLcn = run.lcn;
  }
  out.push(0);
  return Uint8Array.from(out);
}

/** The four times of $STANDARD_INFORMATION and $FILE_NAME, as on disk: FILETIMEs (100 ns since 1601). */
export interface Filetimes {
  btime: bigint;
  mtime: bigint;
  ctime: bigint;
  atime: bigint;
}

export function fullTimes(times: Partial<Filetimes> | undefined, fallback: bigint): Filetimes {
  return {
    btime: times?.btime ?? fallback,
    mtime: times?.mtime ?? fallback,
    ctime: times?.ctime ?? fallback,
    atime: times?.atime ?? fallback,
  };
}

/** $STANDARD_INFORMATION, NTFS 3.x form (72 bytes). */
export function standardInformation(times: Filetimes, fileAttributes: number): Uint8Array {
  const w = new ByteWriter(72);
  w.u64(0x00, times.btime);
  w.u64(0x08, times.mtime);
  w.u64(0x10, times.ctime);
  w.u64(0x18, times.atime);
  w.u32(0x20, fileAttributes);
  return w.bytes;
}

export const NAMESPACE = { POSIX: 0, WIN32: 1, DOS: 2, WIN32_AND_DOS: 3 } as const;

export interface FileNameValue {
  parentReference: bigint;
  times: Filetimes;
  allocatedSize: number;
  dataSize: number;
  fileAttributes: number;
  name: string;
  namespace: number;
}

export function fileName(v: FileNameValue): Uint8Array {
  const w = new ByteWriter(0x42 + 2 * v.name.length);
  w.u64(0x00, v.parentReference);
  w.u64(0x08, v.times.btime);
  w.u64(0x10, v.times.mtime);
  w.u64(0x18, v.times.ctime);
  w.u64(0x20, v.times.atime);
  w.u64(0x28, v.allocatedSize);
  w.u64(0x30, v.dataSize);
  w.u32(0x38, v.fileAttributes);
  w.u8(0x40, v.name.length);
  w.u8(0x41, v.namespace);
  w.utf16(0x42, v.name);
  return w.bytes;
}

export interface AttributeListEntry {
  type: number;
  name: string;
  lowestVcn: number;
  reference: bigint;
  id: number;
}

export function attributeList(entries: AttributeListEntry[]): Uint8Array {
  const parts = entries.map((e) => {
    const length = align(0x1a + 2 * e.name.length, 8);
    const w = new ByteWriter(length);
    w.u32(0, e.type);
    w.u16(4, length);
    w.u8(6, e.name.length);
    w.u8(7, 0x1a);
    w.u64(8, e.lowestVcn);
    w.u64(0x10, e.reference);
    w.u16(0x18, e.id);
    w.utf16(0x1a, e.name);
    return w.bytes;
  });
  return concat(parts);
}
