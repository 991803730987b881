/**
 * Hosted sparse extents (KDMV versions 1–3: monolithicSparse, twoGbMaxExtentSparse, hosted
 * snapshots) and streamOptimized extents (the same header, compressed grains behind markers).
 *
 * Sources: VMware "Virtual Disk Format 5.0" technote, "Hosted Sparse Extents" (grain directory,
 * redundant grain directory, grain tables, zeroed-grain GTE) and "Stream-Optimized Compressed
 * Sparse Extents"; libyal/libvmdk format document, "Grain directory" and "Grain table".
 */
import { GrtError, type GrtWarning } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { safeMultiply } from '../util/safe-number.js';
import type { Extent } from './extent.js';
import { ALL_BAD, ALL_PARENT, GRAIN_BAD, GRAIN_PARENT, GRAIN_ZERO, GrainedExtent, type GrainTableView, tableEntryOffsets } from './grain-table.js';
import {
  KDMV_FLAG_COMPRESSED,
  KDMV_FLAG_MARKERS,
  KDMV_FLAG_REDUNDANT_GD,
  KDMV_FLAG_ZEROED_GRAIN,
  MAX_EMBEDDED_DESCRIPTOR_SECTORS,
  parseKdmvHeader,
  SECTOR_BYTES,
  type KdmvHeader,
} from './sparse-header.js';
import { Inflation } from './inflate-pool.js';
import type { GrainInflation } from './inflation.js';
import { compressedGrainReader, readFooter, recoverGrainMap } from './stream-optimized.js';

/** GTE value that means "this grain reads as zeros" (technote: zeroed-grain GTE). */
const GTE_ZEROED = 1;
const GTE_BYTES = 4;

export interface OpenedSparseExtent {
  extent: Extent;
  kind: 'sparse' | 'streamOptimized';
  capacitySectors: number;
  /** The descriptor stored inside the file (monolithic disks), up to its first NUL. */
  embeddedDescriptor?: Uint8Array;
  /** Where the embedded descriptor starts in the file. */
  embeddedDescriptorOffset?: number;
  warnings: GrtWarning[];
}

export interface OpenSparseExtentOptions {
  path: string;
  /**
   * Where warnings found while reading go (a grain table taken from the redundant copy), at most
   * MAX_LAZY_WARNINGS of them; by default the returned `warnings`. A disk points it at its own
   * DiskInfo.warnings, which is built from copies at open time.
   */
  onLateWarning?: (warning: GrtWarning) => void;
  /** Where compressed grains are inflated (OpenDiskOptions.inflation); default: a fresh Inflation (this thread). */
  inflation?: GrainInflation;
}

export async function openSparseExtent(file: ByteSource, options: OpenSparseExtentOptions): Promise<OpenedSparseExtent> {
  const { path } = options;
  const warnings: GrtWarning[] = [];
  let lateWarnings = 0;
  const lateWarning = (warning: GrtWarning): void => {
    if (lateWarnings++ < MAX_LAZY_WARNINGS) (options.onLateWarning ?? ((w) => warnings.push(w)))(warning);
  };
  if (file.size < SECTOR_BYTES) {
    throw new GrtError('TRUNCATED', 'file shorter than a KDMV header', { structure: 'KDMV header', offset: 0, space: 'file', expected: SECTOR_BYTES, actual: file.size, path });
  }
  let header = parseKdmvHeader(await file.read(0, SECTOR_BYTES), 0, path, warnings);
  const compressed = (header.flags & KDMV_FLAG_COMPRESSED) !== 0;
  if (compressed && (header.flags & KDMV_FLAG_MARKERS) === 0) {
    throw new GrtError('UNSUPPORTED', 'compressed grains without markers', { structure: 'KDMV header', offset: 8, space: 'file', actual: header.flags, path });
  }
  if (header.uncleanShutdown) {
    warnings.push({ code: 'BAD_HEADER', message: 'extent was not closed cleanly; recent writes may be incomplete', offset: 72 });
  }
  const embeddedDescriptor = await readEmbeddedDescriptor(file, header, path, warnings);

  if (header.gdSector === null) {
    // The header's real values are in the footer (technote: "GD_AT_END").
    const footer = await readFooter(file, path, warnings);
    if (footer) header = footer;
  }
  const sizeBytes = safeMultiply(header.capacitySectors, SECTOR_BYTES, 'capacity', { structure: 'KDMV header', path });
  const grainBytes = header.grainSectors * SECTOR_BYTES;
  const gdEntries = Math.ceil(Math.ceil(header.capacitySectors / header.grainSectors) / header.gtesPerGt);

  let loadTable: (tableIndex: number) => Promise<GrainTableView>;
  let entryOffset: ((grainIndex: number) => number) | undefined;
  const directories = header.gdSector === null ? null : await readDirectories(file, header, gdEntries, path, warnings);
  if (directories) {
    loadTable = (tableIndex) => loadGrainTable(file, header, directories, tableIndex, lateWarning);
    // The main directory's tables are named: a table taken from the redundant copy had fewer damaged entries.
    const map = { grainsPerTable: header.gtesPerGt, directoryOffset: directories.main.byteOffset, directoryEntryBytes: GTE_BYTES, tableEntryBytes: GTE_BYTES };
    entryOffset = tableEntryOffsets(map, (tableIndex) => {
      const sector = directories.main.tableSectors[tableIndex]!;
      return sector > 0 ? sector * SECTOR_BYTES : undefined;
    });
  } else if (compressed) {
    const recovered = await recoverGrainMap(file, header, header.gtesPerGt);
    warnings.push(...recovered.warnings);
    loadTable = recovered.loadTable;
  } else {
    // Where the header says the directory is (none: the footer was needed and unusable).
    const gdOffset = header.gdSector === null ? undefined : header.gdSector * SECTOR_BYTES;
    throw new GrtError('BAD_TABLE', 'no usable grain directory', { structure: 'grain directory', offset: gdOffset, space: 'file', path });
  }
  const extent = new GrainedExtent({
    file,
    path,
    sizeBytes,
    grainBytes,
    grainsPerTable: header.gtesPerGt,
    loadTable,
    ...(entryOffset ? { entryOffset } : {}),
    ...(compressed ? { readCompressedGrains: compressedGrainReader(file, path, header.grainSectors, header.capacitySectors, options.inflation ?? new Inflation()) } : {}),
  });
  return {
    extent,
    kind: compressed ? 'streamOptimized' : 'sparse',
    capacitySectors: header.capacitySectors,
    ...(embeddedDescriptor ? { embeddedDescriptor, embeddedDescriptorOffset: header.descriptorSector * SECTOR_BYTES } : {}),
    warnings,
  };
}

async function readEmbeddedDescriptor(file: ByteSource, header: KdmvHeader, path: string, warnings: GrtWarning[]): Promise<Uint8Array | undefined> {
  if (header.descriptorSector === 0 || header.descriptorSectors === 0) return undefined;
  const sectors = Math.min(header.descriptorSectors, MAX_EMBEDDED_DESCRIPTOR_SECTORS);
  const start = header.descriptorSector * SECTOR_BYTES;
  if (start >= file.size) {
    warnings.push({ code: 'TRUNCATED', message: `embedded descriptor at byte ${start} lies beyond the end of ${path}`, offset: 28 });
    return undefined;
  }
  const bytes = await file.read(start, Math.min(sectors * SECTOR_BYTES, file.size - start));
  const nul = bytes.indexOf(0);
  return bytes.slice(0, nul === -1 ? bytes.length : nul);
}

/** Grain table sectors by directory entry: 0 = no table (all grains unallocated), −1 = damaged entry. */
interface Directory {
  /** Where the directory lies in the file. */
  byteOffset: number;
  tableSectors: Float64Array;
  /** Entries that point outside the file. */
  bad: number;
}

interface Directories {
  main: Directory;
  /** The redundant directory, consulted table by table when the main one's table is damaged. */
  spare: Directory | null;
}

/** Warnings added while reading (a table taken from the redundant copy) stop at this many. */
const MAX_LAZY_WARNINGS = 32;

/**
 * Read the primary grain directory and, when flag bit 1 says one is kept, the redundant one
 * (technote: rgdOffset). The primary is used; the redundant copy stands in for it entirely when
 * the primary does not fit in the file, and table by table when a primary table is damaged.
 */
async function readDirectories(file: ByteSource, header: KdmvHeader, gdEntries: number, path: string, warnings: GrtWarning[]): Promise<Directories | null> {
  const primary = await readDirectory(file, header, header.gdSector!, gdEntries);
  const hasRedundant = (header.flags & KDMV_FLAG_REDUNDANT_GD) !== 0 && header.redundantGdSector > 0 && header.redundantGdSector !== header.gdSector;
  const redundant = hasRedundant ? await readDirectory(file, header, header.redundantGdSector, gdEntries) : null;
  const gdOffset = header.gdSector! * SECTOR_BYTES;
  if (!primary && !redundant) {
    warnings.push({ code: 'BAD_TABLE', message: `grain directory at sector ${header.gdSector} does not fit in ${path}`, offset: gdOffset });
    return null;
  }
  if (!primary) {
    warnings.push({ code: 'BAD_TABLE', message: 'primary grain directory lies outside the file; using the redundant one', offset: gdOffset });
    return { main: redundant!, spare: null };
  }
  if (primary.bad > 0) {
    warnings.push({
      code: 'BAD_TABLE',
      message: `primary grain directory has ${primary.bad} entries pointing outside the file; ${redundant ? 'the redundant one is used for them' : 'those grains fail to read'}`,
      offset: gdOffset,
    });
  }
  return { main: primary, spare: redundant };
}

async function readDirectory(file: ByteSource, header: KdmvHeader, gdSector: number, gdEntries: number): Promise<Directory | null> {
  const start = gdSector * SECTOR_BYTES;
  const length = gdEntries * GTE_BYTES;
  // Checked against the file size before allocating: a huge capacity cannot make us allocate.
  if (gdSector === 0 || !Number.isSafeInteger(start) || start + length > file.size) return null;
  const bytes = await file.read(start, length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tableBytes = header.gtesPerGt * GTE_BYTES;
  const tableSectors = new Float64Array(gdEntries);
  let bad = 0;
  for (let i = 0; i < gdEntries; i++) {
    const sector = view.getUint32(i * GTE_BYTES, true);
    if (sector === 0) continue;
    if (sector * SECTOR_BYTES + tableBytes > file.size) {
      tableSectors[i] = -1;
      bad++;
    } else tableSectors[i] = sector;
  }
  return { byteOffset: start, tableSectors, bad };
}

async function loadGrainTable(
  file: ByteSource,
  header: KdmvHeader,
  directories: Directories,
  tableIndex: number,
  lateWarning: (warning: GrtWarning) => void,
): Promise<GrainTableView> {
  const main = await decodeGrainTable(file, header, directories.main, tableIndex);
  if (main.bad === 0 || !directories.spare) return main.view;
  const spare = await decodeGrainTable(file, header, directories.spare, tableIndex);
  if (spare.bad >= main.bad) return main.view;
  lateWarning({ code: 'BAD_TABLE', message: `grain table ${tableIndex} is damaged; using its redundant copy` });
  return spare.view;
}

async function decodeGrainTable(file: ByteSource, header: KdmvHeader, directory: Directory, tableIndex: number): Promise<{ view: GrainTableView; bad: number }> {
  const sector = directory.tableSectors[tableIndex]!;
  if (sector === 0) return { view: ALL_PARENT, bad: 0 };
  if (sector < 0) return { view: ALL_BAD, bad: header.gtesPerGt };
  const bytes = await file.read(sector * SECTOR_BYTES, header.gtesPerGt * GTE_BYTES);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const locations = new Float64Array(header.gtesPerGt);
  const fileSectors = Math.floor(file.size / SECTOR_BYTES);
  // Grains live after the metadata; an entry pointing into it (when overHead itself is sane) is damage.
  const firstGrainSector = header.overheadSectors <= fileSectors ? Math.max(1, header.overheadSectors) : 1;
  // NOTE: GTE 1 means "zeroed grain" when flag bit 2 says so, and also without the flag whenever
  // sector 1 is metadata (overHead > 1) and so can never hold a grain, as VMware reads it. Only a
  // file whose grains start right after the header (tiny grains, no descriptor) has data there.
  const oneIsZero = (header.flags & KDMV_FLAG_ZEROED_GRAIN) !== 0 || firstGrainSector > 1;
  let bad = 0;
  for (let i = 0; i < header.gtesPerGt; i++) {
    const gte = view.getUint32(i * GTE_BYTES, true);
    let location: number;
    if (gte === 0) location = GRAIN_PARENT;
    else if (gte === GTE_ZEROED && oneIsZero) location = GRAIN_ZERO;
    else if (gte < firstGrainSector || gte >= fileSectors) {
      location = GRAIN_BAD;
      bad++;
    } else location = gte * SECTOR_BYTES;
    locations[i] = location;
  }
  return { view: (indexInTable) => locations[indexInTable]!, bad };
}
