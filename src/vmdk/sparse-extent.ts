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
import { ALL_BAD, ALL_PARENT, GRAIN_BAD, GRAIN_PARENT, GRAIN_ZERO, GrainedExtent, type GrainTableView } from './grain-table.js';
import {
  KDMV_FLAG_COMPRESSED,
  KDMV_FLAG_MARKERS,
  KDMV_FLAG_ZEROED_GRAIN,
  MAX_EMBEDDED_DESCRIPTOR_SECTORS,
  parseKdmvHeader,
  SECTOR_BYTES,
  type KdmvHeader,
} from './sparse-header.js';
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
  warnings: GrtWarning[];
}

export async function openSparseExtent(file: ByteSource, options: { path: string }): Promise<OpenedSparseExtent> {
  const { path } = options;
  const warnings: GrtWarning[] = [];
  if (file.size < SECTOR_BYTES) {
    throw new GrtError('TRUNCATED', 'file shorter than a KDMV header', { structure: 'KDMV header', offset: 0, expected: SECTOR_BYTES, actual: file.size, path });
  }
  let header = parseKdmvHeader(await file.read(0, SECTOR_BYTES), 0, path, warnings);
  const compressed = (header.flags & KDMV_FLAG_COMPRESSED) !== 0;
  if (compressed && (header.flags & KDMV_FLAG_MARKERS) === 0) {
    throw new GrtError('UNSUPPORTED', 'compressed grains without markers', { structure: 'KDMV header', offset: 8, actual: header.flags, path });
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
  const directory = header.gdSector === null ? null : await chooseDirectory(file, header, gdEntries, path, warnings);
  if (directory) {
    loadTable = (tableIndex) => loadGrainTable(file, header, directory, tableIndex);
  } else if (compressed) {
    const recovered = await recoverGrainMap(file, header, header.gtesPerGt);
    warnings.push(...recovered.warnings);
    loadTable = recovered.loadTable;
  } else {
    throw new GrtError('BAD_TABLE', 'no usable grain directory', { structure: 'grain directory', path });
  }
  const extent = new GrainedExtent({
    file,
    path,
    sizeBytes,
    grainBytes,
    grainsPerTable: header.gtesPerGt,
    loadTable,
    ...(compressed ? { readCompressedGrain: compressedGrainReader(file, path, header.grainSectors, header.capacitySectors) } : {}),
  });
  return {
    extent,
    kind: compressed ? 'streamOptimized' : 'sparse',
    capacitySectors: header.capacitySectors,
    ...(embeddedDescriptor ? { embeddedDescriptor } : {}),
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

/** Grain table sectors by directory entry; entries that cannot be right are marked so. */
interface Directory {
  /** 0 = no table (all grains unallocated), −1 = damaged entry, else the table's sector. */
  tableSectors: Float64Array;
}

/**
 * Read the primary grain directory and, when it or a table it names does not fit the file, the
 * redundant one (technote: rgdOffset, "redundant grain directory"); use the better of the two.
 */
async function chooseDirectory(file: ByteSource, header: KdmvHeader, gdEntries: number, path: string, warnings: GrtWarning[]): Promise<Directory | null> {
  const primary = await readDirectory(file, header, header.gdSector!, gdEntries);
  if (primary && primary.bad === 0) return primary;
  const redundant = header.redundantGdSector > 0 ? await readDirectory(file, header, header.redundantGdSector, gdEntries) : null;
  const best = !primary ? redundant : !redundant ? primary : redundant.bad < primary.bad ? redundant : primary;
  if (!best) {
    warnings.push({ code: 'BAD_TABLE', message: `grain directory at sector ${header.gdSector} does not fit in ${path}` });
    return null;
  }
  const which = best === redundant ? 'redundant' : 'primary';
  warnings.push({
    code: 'BAD_TABLE',
    message: `primary grain directory damaged; using the ${which} one${best.bad ? ` (${best.bad} entries unusable: those grains fail to read)` : ''}`,
    offset: header.gdSector! * SECTOR_BYTES,
  });
  return best;
}

async function readDirectory(
  file: ByteSource,
  header: KdmvHeader,
  gdSector: number,
  gdEntries: number,
): Promise<(Directory & { bad: number }) | null> {
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
    // A table inside the header sector or past the end of the file is damage.
    if (sector * SECTOR_BYTES + tableBytes > file.size) {
      tableSectors[i] = -1;
      bad++;
    } else tableSectors[i] = sector;
  }
  return { tableSectors, bad };
}

async function loadGrainTable(file: ByteSource, header: KdmvHeader, directory: Directory, tableIndex: number): Promise<GrainTableView> {
  const sector = directory.tableSectors[tableIndex]!;
  if (sector === 0) return ALL_PARENT;
  if (sector < 0) return ALL_BAD;
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
  for (let i = 0; i < header.gtesPerGt; i++) {
    const gte = view.getUint32(i * GTE_BYTES, true);
    locations[i] =
      gte === 0
        ? GRAIN_PARENT
        : gte === GTE_ZEROED && oneIsZero
          ? GRAIN_ZERO
          : gte < firstGrainSector || gte >= fileSectors
            ? GRAIN_BAD
            : gte * SECTOR_BYTES;
  }
  return (indexInTable) => locations[indexInTable]!;
}
