/**
 * ESXi vmfsSparse extents ("COWD", version 1): the redo logs of ESX 3–5 snapshots
 * (`*-delta.vmdk`, extent type VMFSSPARSE).
 *
 * Sources: libyal/libvmdk "VMware Virtual Disk Format (VMDK)", section "COWD sparse extent
 * header"; VMware "Virtual Disk Format 5.0" technote, "ESXi Server Sparse Extents"; qemu
 * block/vmdk.c for the 4096-entry grain tables.
 */
import { GrtError, type GrtWarning } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import type { Extent } from './extent.js';
import { ALL_BAD, ALL_PARENT, GRAIN_BAD, GRAIN_PARENT, GrainedExtent, type GrainTableView, tableEntryOffsets } from './grain-table.js';
import { Struct } from '../util/struct.js';
import { COWD_MAGIC, MAX_GRAIN_SECTORS, SECTOR_BYTES } from './sparse-header.js';

/** Grain table entries per table in a COWD extent (fixed by the format). */
export const COWD_GTES_PER_GT = 4096;
const ENTRY_BYTES = 4;

/**
 * The leading fields of the 2048-byte COWD header (libvmdk, "COWD sparse extent header"); the rest
 * is geometry, parent names and generations, which reading does not need.
 */
export const COWD_HEADER = new Struct('COWD header', 'libyal/libvmdk VMDK format, COWD sparse extent header')
  .u32('magic', '"COWD"')
  .u32('version', '1')
  .u32('flags', '3 in every file seen; not needed to read')
  .u32('numSectors', 'capacity in sectors')
  .u32('grainSize', 'sectors per grain (1 on ESX)')
  .u32('gdOffset', 'sector of the grain directory')
  .u32('numGDEntries', 'entries in the grain directory')
  .u32('freeSector', 'next free sector (the used size of the file)');
const AT = COWD_HEADER.offsets;

export async function openCowdExtent(
  file: ByteSource,
  options: { path: string },
): Promise<{ extent: Extent; capacitySectors: number; warnings: GrtWarning[] }> {
  const { path } = options;
  const structure = 'COWD header';
  const warnings: GrtWarning[] = [];
  if (file.size < SECTOR_BYTES) {
    throw new GrtError('TRUNCATED', 'file shorter than a COWD header', { structure, offset: 0, space: 'file', expected: SECTOR_BYTES, actual: file.size, path });
  }
  const header = COWD_HEADER.decode(await file.read(0, SECTOR_BYTES), 0, 0, 'file');
  if (header.magic !== COWD_MAGIC) {
    throw new GrtError('BAD_MAGIC', 'not a COWD header', { structure, offset: 0, space: 'file', expected: COWD_MAGIC, actual: header.magic, path });
  }
  if (header.version !== 1) {
    throw new GrtError('UNSUPPORTED', 'unknown COWD version', { structure, offset: AT.version, space: 'file', expected: 1, actual: header.version, path });
  }
  if (header.grainSize < 1 || header.grainSize > MAX_GRAIN_SECTORS) {
    throw new GrtError('BAD_HEADER', 'grain size out of range', { structure, offset: AT.grainSize, space: 'file', expected: `1..${MAX_GRAIN_SECTORS}`, actual: header.grainSize, path });
  }
  const grainBytes = header.grainSize * SECTOR_BYTES;
  const gdEntries = Math.ceil(Math.ceil(header.numSectors / header.grainSize) / COWD_GTES_PER_GT);
  if (header.numGDEntries < gdEntries) {
    throw new GrtError('BAD_HEADER', 'grain directory too small for the capacity', { structure, offset: AT.numGDEntries, space: 'file', expected: gdEntries, actual: header.numGDEntries, path });
  }
  const gdStart = header.gdOffset * SECTOR_BYTES;
  // Checked against the file size before allocating, whatever numSectors claims.
  if (header.gdOffset === 0 || gdStart + gdEntries * ENTRY_BYTES > file.size) {
    throw new GrtError('BAD_TABLE', 'grain directory lies outside the file', {
      structure: 'grain directory',
      offset: gdStart,
      space: 'file',
      expected: `end ≤ ${file.size}`,
      actual: gdStart + gdEntries * ENTRY_BYTES,
      path,
    });
  }
  if (header.freeSector * SECTOR_BYTES > file.size) {
    warnings.push({ code: 'TRUNCATED', message: `file is shorter than its header's next free sector ${header.freeSector}; it may be cut off`, offset: AT.freeSector });
  }
  const gdBytes = await file.read(gdStart, gdEntries * ENTRY_BYTES);
  const gd = new DataView(gdBytes.buffer, gdBytes.byteOffset, gdBytes.byteLength);
  const fileSectors = Math.floor(file.size / SECTOR_BYTES);
  const tableBytes = COWD_GTES_PER_GT * ENTRY_BYTES;

  const loadTable = async (tableIndex: number): Promise<GrainTableView> => {
    const tableSector = gd.getUint32(tableIndex * ENTRY_BYTES, true);
    if (tableSector === 0) return ALL_PARENT;
    if (tableSector * SECTOR_BYTES + tableBytes > file.size) return ALL_BAD;
    const bytes = await file.read(tableSector * SECTOR_BYTES, tableBytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const locations = new Float64Array(COWD_GTES_PER_GT);
    for (let i = 0; i < COWD_GTES_PER_GT; i++) {
      const sector = view.getUint32(i * ENTRY_BYTES, true);
      // Sector 0 is the header itself, so 0 can only mean "not in this redo log".
      locations[i] = sector === 0 ? GRAIN_PARENT : sector >= fileSectors ? GRAIN_BAD : sector * SECTOR_BYTES;
    }
    return (indexInTable) => locations[indexInTable]!;
  };

  const extent = new GrainedExtent({
    file,
    path,
    sizeBytes: header.numSectors * SECTOR_BYTES,
    grainBytes,
    grainsPerTable: COWD_GTES_PER_GT,
    loadTable,
    entryOffset: tableEntryOffsets({ grainsPerTable: COWD_GTES_PER_GT, directoryOffset: gdStart, directoryEntryBytes: ENTRY_BYTES, tableEntryBytes: ENTRY_BYTES }, (tableIndex) => {
      const tableSector = gd.getUint32(tableIndex * ENTRY_BYTES, true);
      return tableSector === 0 || tableSector * SECTOR_BYTES + tableBytes > file.size ? undefined : tableSector * SECTOR_BYTES;
    }),
  });
  return { extent, capacitySectors: header.numSectors, warnings };
}
