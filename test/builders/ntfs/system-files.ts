/**
 * Fixed content of NTFS metadata files: the boot sector (libfsntfs notes: volume header / BPB)
 * and the $AttrDef table (the NTFS 3.1 attribute definitions as formatters write them).
 */

import { ByteWriter, concat } from './bytes.js';

export interface BootGeometry {
  sectorSize: number;
  clusterSize: number;
  recordSize: number;
  indexBlockSize: number;
  totalSectors: number;
  mftLcn: number;
  mftMirrLcn: number;
  serial: bigint;
}

/** Sizes in the boot sector: clusters if at least one cluster, else −log2(bytes) as a signed byte. */
export function clustersOrLog(bytes: number, clusterSize: number): number {
  return bytes >= clusterSize ? bytes / clusterSize : -Math.log2(bytes);
}

export function bootSector(g: BootGeometry): Uint8Array {
  const w = new ByteWriter(g.sectorSize);
  w.set(0, Uint8Array.of(0xeb, 0x52, 0x90));
  w.set(3, new TextEncoder().encode('NTFS    '));
  w.u16(0x0b, g.sectorSize);
  const sectorsPerCluster = g.clusterSize / g.sectorSize;
  // Above 128 sectors per cluster the byte holds 256 − log2(sectors) (Windows 10 1709+, ntfs-3g).
  w.u8(0x0d, sectorsPerCluster <= 128 ? sectorsPerCluster : 256 - Math.log2(sectorsPerCluster));
  w.u8(0x15, 0xf8); // media descriptor: fixed disk
  w.u16(0x18, 63); // sectors per track
  w.u16(0x1a, 255); // heads
  w.u32(0x24, 0x00800080); // drive 0x80, extended boot signature 0x80
  w.u64(0x28, g.totalSectors);
  w.u64(0x30, g.mftLcn);
  w.u64(0x38, g.mftMirrLcn);
  w.i8(0x40, clustersOrLog(g.recordSize, g.clusterSize));
  w.i8(0x44, clustersOrLog(g.indexBlockSize, g.clusterSize));
  w.u64(0x48, g.serial);
  w.u16(0x1fe, 0xaa55);
  return w.bytes;
}

const ATTRDEF_RESIDENT = 0x40;
const ATTRDEF_INDEXABLE = 0x02;
const ATTRDEF_ALWAYS_LOG = 0x80;
const NO_MAX = -1n;

/** [name, type, flags, min size, max size] as NTFS 3.1 formatters write $AttrDef. */
const ATTRDEF: [string, number, number, bigint, bigint][] = [
  ['$STANDARD_INFORMATION', 0x10, ATTRDEF_RESIDENT, 0x30n, 0x48n],
  ['$ATTRIBUTE_LIST', 0x20, ATTRDEF_ALWAYS_LOG, 0n, NO_MAX],
  ['$FILE_NAME', 0x30, ATTRDEF_RESIDENT | ATTRDEF_INDEXABLE, 0x44n, 0x242n],
  ['$OBJECT_ID', 0x40, ATTRDEF_RESIDENT, 0n, 0x100n],
  ['$SECURITY_DESCRIPTOR', 0x50, ATTRDEF_ALWAYS_LOG, 0n, NO_MAX],
  ['$VOLUME_NAME', 0x60, ATTRDEF_RESIDENT, 2n, 0x100n],
  ['$VOLUME_INFORMATION', 0x70, ATTRDEF_RESIDENT, 0xcn, 0xcn],
  ['$DATA', 0x80, 0, 0n, NO_MAX],
  ['$INDEX_ROOT', 0x90, ATTRDEF_RESIDENT, 0n, NO_MAX],
  ['$INDEX_ALLOCATION', 0xa0, ATTRDEF_ALWAYS_LOG, 0n, NO_MAX],
  ['$BITMAP', 0xb0, ATTRDEF_ALWAYS_LOG, 0n, NO_MAX],
  ['$REPARSE_POINT', 0xc0, ATTRDEF_ALWAYS_LOG, 0n, 0x4000n],
  ['$EA_INFORMATION', 0xd0, ATTRDEF_RESIDENT, 8n, 8n],
  ['$EA', 0xe0, 0, 0n, 0x10000n],
  ['$LOGGED_UTILITY_STREAM', 0x100, ATTRDEF_ALWAYS_LOG, 0n, 0x10000n],
];

export function attrDefTable(): Uint8Array {
  return concat(
    ATTRDEF.map(([name, type, flags, min, max]) => {
      const w = new ByteWriter(0xa0);
      w.utf16(0, name);
      w.u32(0x80, type);
      w.u32(0x8c, flags);
      w.u64(0x90, min);
      w.u64(0x98, BigInt.asUintN(64, max));
      return w.bytes;
    }),
  );
}
