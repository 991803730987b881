/**
 * Test-only writers for the binary VMDK extent formats grt reads: hosted sparse (KDMV),
 * streamOptimized, COWD (vmfsSparse) and seSparse. Each takes the disk content and returns the
 * bytes of one extent file, laid out the way VMware / qemu lay them out.
 *
 *   writeHostedSparse({ capacity: 1 << 20, content })             → monolithicSparse extent bytes
 *   writeStreamOptimized({ capacity, content, gdAtEnd: true })     → streamOptimized (footer)
 *   writeCowd({ capacity, content, base: parentContent })          → delta holding only changes
 *   writeSeSparse({ capacity, content, zeroedGrains: [3] })        → seSparse with a zero entry
 *
 * Which grains are stored: without `base`, every grain that is not all zeros; with `base` (the
 * parent's content, for snapshot chains), every grain that differs from the parent. Grains not
 * stored read from the parent. Grains listed in `zeroedGrains` are stored as "zeroed" entries
 * (their content must be zeros).
 */
import { deflateSync } from 'node:zlib';

const SECTOR = 512;

export interface SparseImageSpec {
  /** Virtual size in bytes, a multiple of 512. */
  capacity: number;
  /** The disk's bytes (`capacity` long). */
  content: Uint8Array;
  /** Sectors per grain. Defaults: 128 (KDMV), 1 (COWD); seSparse is always 8. */
  grainSize?: number;
  /** The parent's content: only grains that differ from it are stored (chain deltas). */
  base?: Uint8Array;
  /** Grain indices stored as zeroed grains (KDMV GTE 1, seSparse zero entry). */
  zeroedGrains?: number[];
  /** KDMV version; default 1, or 2 with zeroedGrains, 3 for streamOptimized. */
  version?: number;
  /** streamOptimized: put GD_AT_END in the header and the real offsets in the footer (default true). */
  gdAtEnd?: boolean;
  /** Descriptor text embedded after the header (KDMV only). */
  embeddedDescriptor?: string | Uint8Array;
  /** KDMV grain table entries per table (default 512). */
  gtesPerGt?: number;
  /** Hosted sparse: keep a redundant grain directory (default true). */
  redundantGd?: boolean;
  /**
   * streamOptimized: the record payload for grain `grainIndex` (default zlib deflate of `bytes`).
   * Tests use it to plant zlib bombs, garbage, or payloads longer than a grain.
   */
  compress?: (bytes: Uint8Array, grainIndex: number) => Uint8Array;
}

type GrainPlan = 'hole' | 'zero' | 'data';

function planGrains(spec: SparseImageSpec, grainSectors: number): GrainPlan[] {
  if (spec.capacity % SECTOR !== 0 || spec.content.length !== spec.capacity) {
    throw new Error('capacity must be a multiple of 512 and equal content.length');
  }
  const grainBytes = grainSectors * SECTOR;
  const zeroed = new Set(spec.zeroedGrains ?? []);
  const plan: GrainPlan[] = [];
  for (let g = 0; g * grainBytes < spec.capacity; g++) {
    const bytes = spec.content.subarray(g * grainBytes, (g + 1) * grainBytes);
    const parent = spec.base?.subarray(g * grainBytes, (g + 1) * grainBytes);
    if (zeroed.has(g)) {
      if (!bytes.every((b) => b === 0)) throw new Error(`zeroed grain ${g} has non-zero content`);
      plan.push('zero');
    } else if (parent ? Buffer.compare(bytes, parent) === 0 : bytes.every((b) => b === 0)) plan.push('hole');
    else plan.push('data');
  }
  return plan;
}

/** A growing file of sectors. */
class SectorFile {
  private chunks: Uint8Array[] = [];
  sectors = 0;
  /** Append `bytes` padded to whole sectors; returns the first sector. */
  append(bytes: Uint8Array): number {
    const start = this.sectors;
    const padded = new Uint8Array(Math.ceil(bytes.length / SECTOR) * SECTOR);
    padded.set(bytes);
    this.chunks.push(padded);
    this.sectors += padded.length / SECTOR;
    return start;
  }
  reserve(sectors: number): number {
    return this.append(new Uint8Array(sectors * SECTOR));
  }
  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.chunks));
  }
}

function descriptorBytes(spec: SparseImageSpec): Uint8Array | null {
  if (spec.embeddedDescriptor === undefined) return null;
  return typeof spec.embeddedDescriptor === 'string' ? new TextEncoder().encode(spec.embeddedDescriptor) : spec.embeddedDescriptor;
}

interface KdmvFields {
  version: number;
  flags: number;
  capacitySectors: number;
  grainSectors: number;
  descriptorSector: number;
  descriptorSectors: number;
  gtesPerGt: number;
  rgdSector: number;
  gdSector: bigint;
  overheadSectors: number;
  compress: number;
}

function kdmvHeader(f: KdmvFields): Uint8Array {
  const out = new Uint8Array(SECTOR);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x564d444b, true);
  v.setUint32(4, f.version, true);
  v.setUint32(8, f.flags, true);
  v.setBigUint64(12, BigInt(f.capacitySectors), true);
  v.setBigUint64(20, BigInt(f.grainSectors), true);
  v.setBigUint64(28, BigInt(f.descriptorSector), true);
  v.setBigUint64(36, BigInt(f.descriptorSectors), true);
  v.setUint32(44, f.gtesPerGt, true);
  v.setBigUint64(48, BigInt(f.rgdSector), true);
  v.setBigUint64(56, f.gdSector, true);
  v.setBigUint64(64, BigInt(f.overheadSectors), true);
  out.set([0, 0x0a, 0x20, 0x0d, 0x0a], 72);
  v.setUint16(77, f.compress, true);
  return out;
}

/** A monolithicSparse-style hosted sparse extent (KDMV): header, descriptor, RGD+GTs, GD+GTs, grains. */
export function writeHostedSparse(spec: SparseImageSpec): Uint8Array {
  const grainSectors = spec.grainSize ?? 128;
  const gtesPerGt = spec.gtesPerGt ?? 512;
  const plan = planGrains(spec, grainSectors);
  const tables = Math.ceil(plan.length / gtesPerGt);
  const usedTable = (t: number): boolean => plan.slice(t * gtesPerGt, (t + 1) * gtesPerGt).some((p) => p !== 'hole');
  const file = new SectorFile();
  file.reserve(1);
  const descriptor = descriptorBytes(spec);
  const descriptorSector = descriptor ? file.append(descriptor) : 0;
  const gdSectors = Math.ceil((tables * 4) / SECTOR);
  const gtSectors = Math.ceil((gtesPerGt * 4) / SECTOR);
  const layoutDirectory = (): { gdSector: number; gtSectors: number[] } => {
    const gdSector = file.reserve(gdSectors);
    const gts = Array.from({ length: tables }, (_, t) => (usedTable(t) ? file.reserve(gtSectors) : 0));
    return { gdSector, gtSectors: gts };
  };
  const redundant = spec.redundantGd !== false ? layoutDirectory() : null;
  const primary = layoutDirectory();
  // Grains start on a grain boundary, as VMware aligns overHead.
  file.reserve((grainSectors - (file.sectors % grainSectors)) % grainSectors);
  const overheadSectors = file.sectors;
  const gte = new Uint32Array(plan.length);
  plan.forEach((p, g) => {
    if (p === 'zero') gte[g] = 1;
    else if (p === 'data') gte[g] = file.append(spec.content.subarray(g * grainSectors * SECTOR, (g + 1) * grainSectors * SECTOR));
  });
  file.reserve(Math.max(0, grainSectors * Math.ceil(file.sectors / grainSectors) - file.sectors));
  const bytes = file.bytes();
  const view = new DataView(bytes.buffer);
  for (const dir of redundant ? [redundant, primary] : [primary]) {
    dir.gtSectors.forEach((gtSector, t) => {
      view.setUint32(dir.gdSector * SECTOR + t * 4, gtSector, true);
      if (gtSector === 0) return;
      for (let i = 0; i < gtesPerGt && t * gtesPerGt + i < plan.length; i++) view.setUint32(gtSector * SECTOR + i * 4, gte[t * gtesPerGt + i]!, true);
    });
  }
  const zeroed = plan.includes('zero');
  bytes.set(
    kdmvHeader({
      version: spec.version ?? (zeroed ? 2 : 1),
      flags: 1 | (redundant ? 2 : 0) | (zeroed ? 4 : 0),
      capacitySectors: spec.capacity / SECTOR,
      grainSectors,
      descriptorSector,
      descriptorSectors: descriptor ? Math.ceil(descriptor.length / SECTOR) : 0,
      gtesPerGt,
      rgdSector: redundant?.gdSector ?? 0,
      gdSector: BigInt(primary.gdSector),
      overheadSectors,
      compress: 0,
    }),
  );
  return bytes;
}

function metadataMarker(sectors: number, type: number): Uint8Array {
  const out = new Uint8Array(SECTOR);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(sectors), true);
  v.setUint32(12, type, true);
  return out;
}

/**
 * A streamOptimized extent as VMware exports it: header, descriptor, grain records, a GT marker +
 * table per used table, GD marker + directory, footer marker + footer, end-of-stream marker.
 * The last, partial grain compresses only its bytes inside the capacity (as qemu does).
 */
export function writeStreamOptimized(spec: SparseImageSpec): Uint8Array {
  const grainSectors = spec.grainSize ?? 128;
  const grainBytes = grainSectors * SECTOR;
  const gtesPerGt = spec.gtesPerGt ?? 512;
  const plan = planGrains(spec, grainSectors);
  const tables = Math.ceil(plan.length / gtesPerGt);
  const file = new SectorFile();
  file.reserve(1);
  const descriptor = descriptorBytes(spec);
  const descriptorSector = descriptor ? file.append(descriptor) : 0;
  // A grain at sector 1 would have GTE 1, which readers take for a zeroed grain: keep it free.
  if (file.sectors === 1) file.reserve(1);
  file.reserve((grainSectors - (file.sectors % grainSectors)) % grainSectors);
  const overheadSectors = file.sectors;
  const gte = new Uint32Array(plan.length);
  plan.forEach((p, g) => {
    if (p === 'zero') gte[g] = 1;
    if (p !== 'data') return;
    const grain = spec.content.subarray(g * grainBytes, Math.min(spec.capacity, (g + 1) * grainBytes));
    const compressed = spec.compress ? spec.compress(grain, g) : deflateSync(grain);
    const record = new Uint8Array(12 + compressed.length);
    const v = new DataView(record.buffer);
    v.setBigUint64(0, BigInt(g * grainSectors), true);
    v.setUint32(8, compressed.length, true);
    record.set(compressed, 12);
    gte[g] = file.append(record);
  });
  const gtSectors = Math.ceil((gtesPerGt * 4) / SECTOR);
  const gd = new Uint32Array(tables);
  for (let t = 0; t < tables; t++) {
    const entries = gte.subarray(t * gtesPerGt, (t + 1) * gtesPerGt);
    if (entries.every((e) => e === 0)) continue;
    file.append(metadataMarker(gtSectors, 1));
    const table = new Uint8Array(gtSectors * SECTOR);
    table.set(new Uint8Array(entries.buffer, entries.byteOffset, entries.byteLength));
    gd[t] = file.append(table);
  }
  const gdSectors = Math.ceil((tables * 4) / SECTOR);
  file.append(metadataMarker(gdSectors, 2));
  const gdSector = file.append(new Uint8Array(gd.buffer));
  const fields: KdmvFields = {
    version: spec.version ?? 3,
    flags: 1 | (plan.includes('zero') ? 4 : 0) | 0x10000 | 0x20000,
    capacitySectors: spec.capacity / SECTOR,
    grainSectors,
    descriptorSector,
    descriptorSectors: descriptor ? Math.ceil(descriptor.length / SECTOR) : 0,
    gtesPerGt,
    rgdSector: 0,
    gdSector: BigInt(gdSector),
    overheadSectors,
    compress: 1,
  };
  file.append(metadataMarker(1, 3));
  file.append(kdmvHeader(fields));
  file.append(metadataMarker(0, 0));
  const bytes = file.bytes();
  bytes.set(kdmvHeader(spec.gdAtEnd === false ? fields : { ...fields, gdSector: 0xffff_ffff_ffff_ffffn }));
  return bytes;
}

/** An ESXi vmfsSparse redo log (COWD v1): 2048-byte header, GD, 4096-entry GTs, grains. */
export function writeCowd(spec: SparseImageSpec): Uint8Array {
  const grainSectors = spec.grainSize ?? 1;
  const gtesPerGt = 4096;
  const plan = planGrains(spec, grainSectors);
  if (plan.includes('zero')) throw new Error('COWD has no zeroed grains');
  const tables = Math.ceil(plan.length / gtesPerGt);
  const file = new SectorFile();
  file.reserve(4);
  const gdSector = file.reserve(Math.max(1, Math.ceil((tables * 4) / SECTOR)));
  const gts = Array.from({ length: tables }, (_, t) => (plan.slice(t * gtesPerGt, (t + 1) * gtesPerGt).includes('data') ? file.reserve(32) : 0));
  const gte = new Uint32Array(plan.length);
  plan.forEach((p, g) => {
    if (p === 'data') gte[g] = file.append(spec.content.subarray(g * grainSectors * SECTOR, (g + 1) * grainSectors * SECTOR));
  });
  file.reserve(Math.max(0, grainSectors * Math.ceil(file.sectors / grainSectors) - file.sectors));
  const bytes = file.bytes();
  const view = new DataView(bytes.buffer);
  gts.forEach((gtSector, t) => {
    view.setUint32(gdSector * SECTOR + t * 4, gtSector, true);
    if (gtSector === 0) return;
    for (let i = 0; i < gtesPerGt && t * gtesPerGt + i < plan.length; i++) view.setUint32(gtSector * SECTOR + i * 4, gte[t * gtesPerGt + i]!, true);
  });
  bytes.set([0x43, 0x4f, 0x57, 0x44]);
  view.setUint32(4, 1, true);
  view.setUint32(8, 3, true);
  view.setUint32(12, spec.capacity / SECTOR, true);
  view.setUint32(16, grainSectors, true);
  view.setUint32(20, gdSector, true);
  view.setUint32(24, tables, true);
  view.setUint32(28, file.sectors, true);
  return bytes;
}

/** Encode an allocated seSparse grain table entry for cluster `cluster` (qemu's rotated layout). */
function seSparseAllocated(cluster: number): bigint {
  const c = BigInt(cluster);
  return (0x3n << 60n) | ((c & 0xfffn) << 48n) | (c >> 12n);
}

/** An ESXi seSparse extent: const header, volatile header, GD, grain tables area, grains area. */
export function writeSeSparse(spec: SparseImageSpec): Uint8Array {
  const grainSectors = 8;
  const gtesPerGt = 4096;
  const plan = planGrains(spec, grainSectors);
  const tables = Math.ceil(plan.length / gtesPerGt);
  const file = new SectorFile();
  file.reserve(1);
  const volatileSector = file.append(metadataMarker(0, 0)); // a sector; magic filled below
  const gdSectorCount = Math.max(1, Math.ceil((tables * 8) / SECTOR));
  const gdSector = file.reserve(gdSectorCount);
  const used = Array.from({ length: tables }, (_, t) => plan.slice(t * gtesPerGt, (t + 1) * gtesPerGt).some((p) => p !== 'hole'));
  const tablesSector = file.sectors;
  const tableIndex = new Map<number, number>();
  used.forEach((u, t) => {
    if (u) tableIndex.set(t, tableIndex.size);
  });
  file.reserve(Math.max(1, tableIndex.size) * 64);
  const grainsSector = file.sectors;
  const entries = new BigUint64Array(plan.length);
  let clusters = 0;
  plan.forEach((p, g) => {
    if (p === 'zero') entries[g] = 0x2n << 60n;
    else if (p === 'data') {
      file.append(spec.content.subarray(g * grainSectors * SECTOR, (g + 1) * grainSectors * SECTOR));
      entries[g] = seSparseAllocated(clusters++);
    }
  });
  file.reserve(Math.max(0, grainsSector + clusters * 8 - file.sectors));
  const bytes = file.bytes();
  const view = new DataView(bytes.buffer);
  for (const [t, index] of tableIndex) {
    view.setBigUint64(gdSector * SECTOR + t * 8, (0x1000_0000n << 32n) | BigInt(index), true);
    const base = (tablesSector + index * 64) * SECTOR;
    for (let i = 0; i < gtesPerGt && t * gtesPerGt + i < plan.length; i++) view.setBigUint64(base + i * 8, entries[t * gtesPerGt + i]!, true);
  }
  const words: [number, bigint][] = [
    [0, 0xcafebaben],
    [8, 0x2_0000_0001n],
    [16, BigInt(spec.capacity / SECTOR)],
    [24, 8n],
    [32, 64n],
    [80, BigInt(volatileSector)],
    [88, 1n],
    [128, BigInt(gdSector)],
    [136, BigInt(gdSectorCount)],
    [144, BigInt(tablesSector)],
    [152, BigInt(Math.max(1, tableIndex.size) * 64)],
    [192, BigInt(grainsSector)],
    [200, BigInt(clusters * 8)],
  ];
  for (const [at, value] of words) view.setBigUint64(at, value, true);
  view.setBigUint64(volatileSector * SECTOR, 0xcafecafen, true);
  return bytes;
}
