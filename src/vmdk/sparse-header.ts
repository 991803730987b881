/**
 * The hosted sparse extent header ("KDMV", SparseExtentHeader) and the first-sector sniffer.
 *
 * Sources: VMware "Virtual Disk Format 5.0" technote, sections "Hosted Sparse Extent Header" and
 * "Stream-Optimized Compressed Sparse Extents"; libyal/libvmdk "VMware Virtual Disk Format (VMDK)",
 * section "Sparse extent header"; qemu block/vmdk.c for the limits real readers apply.
 */
import { GrtError, type GrtWarning } from '../errors.js';
import { toSafeNumber } from '../util/safe-number.js';
import { Struct } from '../util/struct.js';

export const SECTOR_BYTES = 512;
/** "KDMV" read as a little-endian u32. */
export const KDMV_MAGIC = 0x564d444b;
/** "COWD" read as a little-endian u32 (ESXi vmfsSparse). */
export const COWD_MAGIC = 0x44574f43;
/** seSparse const header magic, low 32 bits of a u64 whose high half is 0. */
export const SESPARSE_MAGIC = 0xcafebabe;

/** Header flag bits (technote, "flags"). */
export const KDMV_FLAG_NEWLINE_TEST = 1 << 0; // the four newline-detection bytes are valid
export const KDMV_FLAG_REDUNDANT_GD = 1 << 1; // a redundant grain directory is kept at rgdOffset
export const KDMV_FLAG_ZEROED_GRAIN = 1 << 2; // GTE value 1 means "zeroed grain"
export const KDMV_FLAG_COMPRESSED = 1 << 16; // grains are compressed (streamOptimized)
export const KDMV_FLAG_MARKERS = 1 << 17; // grains and metadata are preceded by markers
/** compressAlgorithm value for deflate (zlib-wrapped, RFC 1950/1951). */
export const COMPRESS_DEFLATE = 1;
/** gdOffset value meaning "the grain directory is described by the footer" (streamOptimized). */
export const GD_AT_END = 0xffff_ffff_ffff_ffffn;

/** The technote requires a power of two; larger than 1 MiB has never been seen and costs memory per inflated grain. */
export const MAX_GRAIN_SECTORS = 2048;
/** Every writer uses 512 entries per grain table; qemu refuses more, and so do we. */
export const MAX_GTES_PER_GT = 512;
/** VMware writes 20 sectors; 1 MiB is far beyond any descriptor and caps the allocation. */
export const MAX_EMBEDDED_DESCRIPTOR_SECTORS = 2048;

/**
 * SparseExtentHeader, 512 bytes (technote, "Hosted Sparse Extent Header"; libvmdk "Sparse
 * extent header"). Fields in technote order.
 */
export const KDMV_HEADER = new Struct('KDMV header', 'VMware Virtual Disk Format 5.0, Hosted Sparse Extent Header')
  .u32('magic', '"KDMV"')
  .u32('version', '1; 2 = zeroed-grain GTEs; 3 = changed-block tracking / streamOptimized')
  .u32('flags', 'KDMV_FLAG_* bits')
  .u64('capacity', 'virtual size of this extent, in sectors')
  .u64('grainSize', 'sectors per grain')
  .u64('descriptorOffset', 'sector of the embedded descriptor, 0 if none')
  .u64('descriptorSize', 'sectors reserved for the embedded descriptor')
  .u32('numGTEsPerGT', 'grain table entries per grain table (512)')
  .u64('rgdOffset', 'sector of the redundant grain directory')
  .u64('gdOffset', 'sector of the grain directory, or GD_AT_END')
  .u64('overHead', 'sectors of metadata before the first grain')
  .u8('uncleanShutdown', 'set while a writer had the file open')
  .u8('singleEndLineChar', "'\\n'")
  .u8('nonEndLineChar', "' '")
  .u8('doubleEndLineChar1', "'\\r'")
  .u8('doubleEndLineChar2', "'\\n'")
  .u16('compressAlgorithm', '0 none, 1 deflate')
  .skip(433, 'padding to the end of the sector');

export interface KdmvHeader {
  version: number;
  flags: number;
  capacitySectors: number;
  grainSectors: number;
  descriptorSector: number;
  descriptorSectors: number;
  gtesPerGt: number;
  redundantGdSector: number;
  /** null when the header says GD_AT_END (the footer holds the real one). */
  gdSector: number | null;
  overheadSectors: number;
  compressAlgorithm: number;
  uncleanShutdown: boolean;
}

/**
 * Decode and validate a KDMV header from its 512 bytes. `byteOffset` is where it sits in the file
 * (0 for the header, size − 1024 for a streamOptimized footer copy), for error messages.
 */
export function parseKdmvHeader(sector: Uint8Array, byteOffset: number, path: string, warnings: GrtWarning[]): KdmvHeader {
  const structure = byteOffset === 0 ? 'KDMV header' : 'KDMV footer';
  if (sector.length < SECTOR_BYTES) {
    throw new GrtError('TRUNCATED', 'header shorter than one sector', { structure, offset: byteOffset, space: 'file', path, actual: sector.length });
  }
  const raw = KDMV_HEADER.decode(sector, 0, byteOffset, 'file');
  const details = { structure, offset: byteOffset, space: 'file', path } as const;
  if (raw.magic !== KDMV_MAGIC) {
    throw new GrtError('BAD_MAGIC', 'not a KDMV header', { ...details, expected: KDMV_MAGIC, actual: raw.magic });
  }
  if (raw.version < 1 || raw.version > 3) {
    throw new GrtError('UNSUPPORTED', 'unknown sparse extent version', { ...details, expected: '1..3', actual: raw.version });
  }
  const grainSectors = raw.grainSize;
  if (grainSectors < 1n || grainSectors > BigInt(MAX_GRAIN_SECTORS) || (grainSectors & (grainSectors - 1n)) !== 0n) {
    throw new GrtError('BAD_HEADER', 'grain size is not a power of two within limits', {
      ...details,
      expected: `1..${MAX_GRAIN_SECTORS}`,
      actual: grainSectors,
    });
  }
  if (raw.numGTEsPerGT < 1 || raw.numGTEsPerGT > MAX_GTES_PER_GT) {
    throw new GrtError('BAD_HEADER', 'grain table entry count out of range', {
      ...details,
      expected: `1..${MAX_GTES_PER_GT}`,
      actual: raw.numGTEsPerGT,
    });
  }
  if ((raw.flags & KDMV_FLAG_COMPRESSED) !== 0 && raw.compressAlgorithm !== COMPRESS_DEFLATE) {
    throw new GrtError('UNSUPPORTED', 'unknown compression algorithm', { ...details, expected: COMPRESS_DEFLATE, actual: raw.compressAlgorithm });
  }
  // NOTE: the four bytes "\n \r\n" exist so a text-mode (FTP ASCII) transfer is detectable: it
  // rewrites line ends throughout the file, and every grain is then suspect.
  if (
    (raw.flags & KDMV_FLAG_NEWLINE_TEST) !== 0 &&
    (raw.singleEndLineChar !== 0x0a || raw.nonEndLineChar !== 0x20 || raw.doubleEndLineChar1 !== 0x0d || raw.doubleEndLineChar2 !== 0x0a)
  ) {
    warnings.push({
      code: 'BAD_HEADER',
      message: `${structure}: newline-detection bytes altered; the file may have been copied in text mode and its data damaged`,
      offset: byteOffset + KDMV_HEADER.offsets.singleEndLineChar,
    });
  }
  const num = (value: bigint, what: string): number => toSafeNumber(value, what, details);
  return {
    version: raw.version,
    flags: raw.flags,
    capacitySectors: num(raw.capacity, 'capacity'),
    grainSectors: Number(grainSectors),
    descriptorSector: num(raw.descriptorOffset, 'descriptorOffset'),
    descriptorSectors: num(raw.descriptorSize, 'descriptorSize'),
    gtesPerGt: raw.numGTEsPerGT,
    redundantGdSector: num(raw.rgdOffset, 'rgdOffset'),
    gdSector: raw.gdOffset === GD_AT_END ? null : num(raw.gdOffset, 'gdOffset'),
    overheadSectors: num(raw.overHead, 'overHead'),
    compressAlgorithm: raw.compressAlgorithm,
    uncleanShutdown: raw.uncleanShutdown !== 0,
  };
}

/** Which kind of VMDK file starts with these bytes (at least the first 4; 512 for text detection). */
export function sniffVmdkFile(first512: Uint8Array): 'kdmv' | 'cowd' | 'sesparse' | 'text' | 'unknown' {
  if (first512.length >= 4) {
    const view = new DataView(first512.buffer, first512.byteOffset, first512.byteLength);
    const magic = view.getUint32(0, true);
    if (magic === KDMV_MAGIC) return 'kdmv';
    if (magic === COWD_MAGIC) return 'cowd';
    if (magic === SESPARSE_MAGIC && first512.length >= 8 && view.getUint32(4, true) === 0) return 'sesparse';
  }
  return looksLikeDescriptor(first512) ? 'text' : 'unknown';
}

/**
 * A descriptor is plain text: "# Disk DescriptorFile", or lines of printable ASCII (or UTF-8 /
 * legacy code pages in quoted names) with at least one `key=value`. Binary bytes rule it out.
 */
function looksLikeDescriptor(bytes: Uint8Array): boolean {
  const end = bytes.indexOf(0) === -1 ? bytes.length : bytes.indexOf(0);
  if (end === 0) return false;
  let sawEquals = false;
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0x3d) sawEquals = true;
    else if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  }
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(end, 64)));
  return head.startsWith('# Disk DescriptorFile') || sawEquals;
}
