/**
 * ESXi seSparse extents (space-efficient sparse, the snapshot delta format of VMFS 6 and of
 * disks over 2 TiB), read only.
 *
 * Sources: qemu block/vmdk.c (VMDKSESparseConstHeader, VMDKSESparseVolatileHeader and the
 * grain directory / grain table entry encodings of its seSparse reader); libyal/libvmdk notes.
 * All offsets and sizes in the const header are in 512-byte sectors.
 */
import { GrtError, type GrtWarning } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { safeMultiply, toSafeNumber } from '../util/safe-number.js';
import type { Extent } from './extent.js';
import { ALL_BAD, ALL_PARENT, GRAIN_BAD, GRAIN_PARENT, GRAIN_ZERO, GrainedExtent, type GrainTableView, tableEntryOffsets } from './grain-table.js';
import { Struct } from '../util/struct.js';
import { SECTOR_BYTES, SESPARSE_MAGIC } from './sparse-header.js';

export const SESPARSE_VERSION = 0x0000_0002_0000_0001n;
export const SESPARSE_VOLATILE_MAGIC = 0xcafecafen;
/** The only grain size seSparse uses: 8 sectors (4 KiB). */
export const SESPARSE_GRAIN_SECTORS = 8;
/** The only grain table size: 64 sectors, i.e. 4096 eight-byte entries. */
export const SESPARSE_GT_SECTORS = 64;
export const SESPARSE_GTES_PER_GT = (SESPARSE_GT_SECTORS * SECTOR_BYTES) / 8;
const ENTRY_BYTES = 8;
/** Grain directory entries carry this in their high 32 bits when they point at a table. */
const GD_ENTRY_ALLOCATED = 0x1000_0000;
/** Grain table entry types, the top four bits. */
const GTE_UNALLOCATED = 0x0; // whole entry 0: read from the parent
const GTE_UNMAPPED = 0x1; // SCSI UNMAP: reads as zeros
const GTE_ZERO = 0x2; // explicitly zeroed
const GTE_ALLOCATED = 0x3; // a cluster index into the grains area

/** VMDKSESparseConstHeader (qemu block/vmdk.c): 64 u64 words, the first 26 meaningful. */
export const SESPARSE_CONST_HEADER = new Struct('seSparse header', 'qemu block/vmdk.c, VMDKSESparseConstHeader')
  .u64('magic', '0xcafebabe')
  .u64('version', '0x0000000200000001')
  .u64('capacity', 'sectors')
  .u64('grainSize', 'sectors per grain (8)')
  .u64('grainTableSize', 'sectors per grain table (64)')
  .u64('flags', '0')
  .skip(32, 'reserved1..reserved4')
  .u64('volatileHeaderOffset', 'sector of the volatile header')
  .skip(40, 'volatile header size, journal header offset and size, journal offset and size')
  .u64('grainDirOffset', 'sector of the grain directory')
  .u64('grainDirSize', 'its size in sectors')
  .u64('grainTablesOffset', 'sector where the grain tables area starts')
  .u64('grainTablesSize', 'its size in sectors')
  .skip(32, 'free bitmap offset and size, backmap offset and size')
  .u64('grainsOffset', 'sector where the grains area starts')
  .u64('grainsSize', 'its size in sectors');
const AT = SESPARSE_CONST_HEADER.offsets;

/** VMDKSESparseVolatileHeader (qemu block/vmdk.c), one sector; the fields reading needs. */
export const SESPARSE_VOLATILE_HEADER = new Struct('seSparse volatile header', 'qemu block/vmdk.c, VMDKSESparseVolatileHeader')
  .u64('magic', '0xcafecafe')
  .skip(16, 'free gt number, next txn seq number')
  .u64('replayJournal', 'non-zero: the journal holds updates not yet applied');

/** The constant header, checked: magic, version, and the only grain and table sizes there are. */
async function readConstHeader(file: ByteSource, path: string): Promise<ReturnType<typeof SESPARSE_CONST_HEADER.decode>> {
  const structure = 'seSparse header';
  if (file.size < SECTOR_BYTES) {
    throw new GrtError('TRUNCATED', 'file shorter than a seSparse header', { structure, offset: 0, space: 'file', expected: SECTOR_BYTES, actual: file.size, path });
  }
  const h = SESPARSE_CONST_HEADER.decode(await file.read(0, SECTOR_BYTES), 0, 0, 'file');
  if (h.magic !== BigInt(SESPARSE_MAGIC)) {
    throw new GrtError('BAD_MAGIC', 'not a seSparse header', { structure, offset: 0, space: 'file', expected: SESPARSE_MAGIC, actual: h.magic, path });
  }
  if (h.version !== SESPARSE_VERSION) {
    throw new GrtError('UNSUPPORTED', 'unknown seSparse version', { structure, offset: AT.version, space: 'file', expected: SESPARSE_VERSION, actual: h.version, path });
  }
  if (h.grainSize !== BigInt(SESPARSE_GRAIN_SECTORS) || h.grainTableSize !== BigInt(SESPARSE_GT_SECTORS)) {
    throw new GrtError('UNSUPPORTED', 'seSparse grain or grain table size other than 8 and 64 sectors', {
      structure,
      offset: AT.grainSize,
      space: 'file',
      actual: `${h.grainSize}/${h.grainTableSize}`,
      path,
    });
  }
  return h;
}

/** Warnings for a volatile header that is missing, damaged, or has a journal left to replay. */
async function checkVolatileHeader(file: ByteSource, volatileSector: number, warnings: GrtWarning[]): Promise<void> {
  const fileSectors = Math.floor(file.size / SECTOR_BYTES);
  if (volatileSector === 0 || volatileSector >= fileSectors) {
    warnings.push({ code: 'BAD_HEADER', message: 'seSparse volatile header lies outside the file', offset: AT.volatileHeaderOffset });
  } else {
    const volatile = SESPARSE_VOLATILE_HEADER.decode(await file.read(volatileSector * SECTOR_BYTES, SECTOR_BYTES), 0, volatileSector * SECTOR_BYTES, 'file');
    if (volatile.magic !== SESPARSE_VOLATILE_MAGIC) {
      warnings.push({ code: 'BAD_MAGIC', message: 'seSparse volatile header magic is wrong', offset: volatileSector * SECTOR_BYTES });
    } else if (volatile.replayJournal !== 0n) {
      // NOTE: qemu refuses such files; we read them and say the newest writes may be missing.
      warnings.push({ code: 'UNSUPPORTED', message: 'seSparse journal was not replayed; the latest writes may be missing', offset: volatileSector * SECTOR_BYTES + SESPARSE_VOLATILE_HEADER.offsets.replayJournal });
    }
  }
}

/**
 * Grain table `bytes` as location codes; an allocated grain's cluster must be below `clusterLimit`
 * (inside the grains area and the file), from the grains area at `grainsSector`.
 */
function decodeGrainTable(bytes: Uint8Array, grainsSector: number, clusterLimit: number): GrainTableView {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const locations = new Float64Array(SESPARSE_GTES_PER_GT);
  for (let i = 0; i < SESPARSE_GTES_PER_GT; i++) {
    const lo = view.getUint32(i * ENTRY_BYTES, true);
    const hi = view.getUint32(i * ENTRY_BYTES + 4, true);
    const type = hi >>> 28;
    if (type === GTE_UNALLOCATED) locations[i] = lo === 0 && hi === 0 ? GRAIN_PARENT : GRAIN_BAD;
    else if (type === GTE_UNMAPPED || type === GTE_ZERO) locations[i] = GRAIN_ZERO;
    else if (type === GTE_ALLOCATED) {
      // The cluster index is stored rotated: bits 48–59 are its low 12 bits, bits 0–47 the rest.
      const cluster = ((hi & 0xffff) * 0x1_0000_0000 + lo) * 4096 + ((hi >>> 16) & 0xfff);
      locations[i] = cluster < clusterLimit ? (grainsSector + cluster * SESPARSE_GRAIN_SECTORS) * SECTOR_BYTES : GRAIN_BAD;
    } else locations[i] = GRAIN_BAD;
  }
  return (indexInTable) => locations[indexInTable]!;
}

export async function openSeSparseExtent(
  file: ByteSource,
  options: { path: string },
): Promise<{ extent: Extent; capacitySectors: number; warnings: GrtWarning[] }> {
  const { path } = options;
  const structure = 'seSparse header';
  const warnings: GrtWarning[] = [];
  const h = await readConstHeader(file, path);
  const details = { structure, offset: 0, space: 'file', path } as const;
  const sectors = (value: bigint, what: string): number => toSafeNumber(value, what, details);
  const fileSectors = Math.floor(file.size / SECTOR_BYTES);
  const capacitySectors = sectors(h.capacity, 'capacity');

  await checkVolatileHeader(file, sectors(h.volatileHeaderOffset, 'volatile header offset'), warnings);

  const gdSector = sectors(h.grainDirOffset, 'grain directory offset');
  const gdCapacity = sectors(h.grainDirSize, 'grain directory size') * (SECTOR_BYTES / ENTRY_BYTES);
  const gdEntries = Math.ceil(Math.ceil(capacitySectors / SESPARSE_GRAIN_SECTORS) / SESPARSE_GTES_PER_GT);
  if (gdEntries > gdCapacity) {
    throw new GrtError('BAD_HEADER', 'grain directory too small for the capacity', { structure, offset: AT.grainDirSize, space: 'file', expected: gdEntries, actual: gdCapacity, path });
  }
  // Checked against the file size before allocating, whatever the capacity claims.
  if (gdSector === 0 || gdSector * SECTOR_BYTES + gdEntries * ENTRY_BYTES > file.size) {
    throw new GrtError('BAD_TABLE', 'grain directory lies outside the file', { structure: 'grain directory', offset: gdSector * SECTOR_BYTES, space: 'file', path });
  }
  const tablesSector = sectors(h.grainTablesOffset, 'grain tables offset');
  const tablesSectors = sectors(h.grainTablesSize, 'grain tables size');
  const grainsSector = sectors(h.grainsOffset, 'grains offset');
  const grainsSectors = sectors(h.grainsSize, 'grains size');
  const gdBytes = await file.read(gdSector * SECTOR_BYTES, gdEntries * ENTRY_BYTES);
  const gd = new DataView(gdBytes.buffer, gdBytes.byteOffset, gdBytes.byteLength);
  // A grain's cluster must lie in the grains area and inside the file.
  const clusterLimit = Math.min(grainsSectors, fileSectors - grainsSector) / SESPARSE_GRAIN_SECTORS;

  /** The sector of table `tableIndex`; null when unallocated, undefined when its GD entry is damaged. */
  const tableSectorOf = (tableIndex: number): number | null | undefined => {
    const low = gd.getUint32(tableIndex * ENTRY_BYTES, true);
    const high = gd.getUint32(tableIndex * ENTRY_BYTES + 4, true);
    if (low === 0 && high === 0) return null;
    const tableSector = tablesSector + low * SESPARSE_GT_SECTORS;
    const usable = high === GD_ENTRY_ALLOCATED && (low + 1) * SESPARSE_GT_SECTORS <= tablesSectors && tableSector + SESPARSE_GT_SECTORS <= fileSectors;
    return usable ? tableSector : undefined;
  };
  const loadTable = async (tableIndex: number): Promise<GrainTableView> => {
    const tableSector = tableSectorOf(tableIndex);
    if (tableSector === null) return ALL_PARENT;
    if (tableSector === undefined) return ALL_BAD;
    const bytes = await file.read(tableSector * SECTOR_BYTES, SESPARSE_GT_SECTORS * SECTOR_BYTES);
    return decodeGrainTable(bytes, grainsSector, clusterLimit);
  };
  const entryOffset = tableEntryOffsets({ grainsPerTable: SESPARSE_GTES_PER_GT, directoryOffset: gdSector * SECTOR_BYTES, directoryEntryBytes: ENTRY_BYTES, tableEntryBytes: ENTRY_BYTES }, (tableIndex) => {
    const tableSector = tableSectorOf(tableIndex);
    return tableSector == null ? undefined : tableSector * SECTOR_BYTES;
  });

  const extent = new GrainedExtent({
    file,
    path,
    sizeBytes: safeMultiply(capacitySectors, SECTOR_BYTES, 'capacity', details),
    grainBytes: SESPARSE_GRAIN_SECTORS * SECTOR_BYTES,
    grainsPerTable: SESPARSE_GTES_PER_GT,
    loadTable,
    entryOffset,
  });
  return { extent, capacitySectors, warnings };
}
