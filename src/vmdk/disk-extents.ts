/**
 * Opening the extents a descriptor lists, each with the right reader, laid end to end.
 *
 * Sources: VMware "Virtual Disk Format 5.0" technote, "Extent Descriptions" (access modes, extent
 * types, FLAT/VMFS offset in sectors, sector counts laid consecutively); libyal libvmdk, "Extent
 * descriptor" (VMFSSPARSE files are COWD, SESPARSE files are seSparse).
 */
import { GrtError, type GrtWarning } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { CachedSource, DEFAULT_CACHE_BLOCK_BYTES } from '../io/cached-source.js';
import type { SourceOpener } from '../io/source-opener.js';
import { resolveExtentPath } from './chain.js';
import { openCowdExtent } from './cowd-extent.js';
import type { ExtentAccess, ExtentLine, VmdkDescriptor } from './descriptor.js';
import type { ExtentFilePool, PooledFile } from './extent-files.js';
import type { Extent, ExtentRange, ParentRead } from './extent.js';
import { FlatExtent, NoAccessExtent, ZeroExtent } from './flat-extent.js';
import { openSeSparseExtent } from './sesparse-extent.js';
import { openSparseExtent } from './sparse-extent.js';
import { SECTOR_BYTES, sniffVmdkFile } from './sparse-header.js';
import type { GrainInflation } from './inflation.js';

export type ExtentFormat = 'flat' | 'sparse' | 'streamOptimized' | 'cowd' | 'seSparse' | 'zero';

export interface ExtentInfo {
  access: ExtentAccess;
  sectorCount: number;
  type: string;
  file?: string;
  sectorOffset?: number;
  format: ExtentFormat;
}

/** An extent placed in the disk's byte space. */
export interface LaidExtent {
  /** Disk byte offset of the extent's first byte. */
  start: number;
  /** Bytes, from the descriptor's sector count. */
  size: number;
  extent: Extent;
  info: ExtentInfo;
}

interface CacheOptions {
  /** Where extent files are found and opened (the disk's SourceOpener). */
  open: SourceOpener;
  cache?: { blockSize?: number; maxBlocks?: number };
  allowUnsafeExtentPaths?: boolean;
  /** Where sparse extents send warnings found after open (OpenSparseExtentOptions.onLateWarning). */
  onLateWarning?: (warning: GrtWarning) => void;
  /** Where compressed grains are inflated (OpenDiskOptions.inflation). */
  inflation?: GrainInflation;
}

/** Cache blocks per disk when the caller sets none (16 MiB with 64 KiB blocks), shared by its sparse files. */
export const DEFAULT_CACHE_BLOCKS = 256;
/** Each sparse file keeps at least this many blocks: its header and a few grain tables. */
const MIN_CACHE_BLOCKS_PER_FILE = 4;

/**
 * Cache options for one of `fileCount` sparse files of a disk. NOTE: a 2 TB twoGbMaxExtentSparse
 * disk has ~1000 files; a full cache each would hold gigabytes, so they share the disk's budget.
 */
function perFileCache(options: CacheOptions, fileCount: number): CacheOptions {
  const total = options.cache?.maxBlocks ?? DEFAULT_CACHE_BLOCKS;
  const maxBlocks = Math.max(MIN_CACHE_BLOCKS_PER_FILE, Math.floor(total / Math.max(1, fileCount)));
  return { ...options, cache: { ...options.cache, maxBlocks } };
}

/** What a binary (KDMV, COWD, seSparse) file's reader gives the disk. */
export interface OpenedBinaryExtent {
  extent: Extent;
  format: ExtentFormat;
  /** The (cached) source the reader reads; the disk closes it. */
  file: ByteSource;
  embeddedDescriptor?: Uint8Array;
  /** Where the embedded descriptor starts in the file. */
  embeddedDescriptorOffset?: number;
  warnings: GrtWarning[];
}

/** Open a binary extent file with the reader its magic names; `file` is closed on failure by the caller. */
export async function openBinaryExtent(
  file: ByteSource,
  kind: 'kdmv' | 'cowd' | 'sesparse',
  path: string,
  options: CacheOptions,
): Promise<OpenedBinaryExtent> {
  // Grain tables and headers are re-read on every access: keep them in a block cache. Grain data is
  // not: a read of a block or more (a whole grain, a compressed grain record) goes straight to the
  // file, so it neither pays for a copy out of the cache nor evicts the tables.
  const cached = new CachedSource(file, { ...options.cache, bypassBytes: options.cache?.blockSize ?? DEFAULT_CACHE_BLOCK_BYTES });
  if (kind === 'kdmv') {
    const opened = await openSparseExtent(cached, { path, ...(options.onLateWarning ? { onLateWarning: options.onLateWarning } : {}), ...(options.inflation ? { inflation: options.inflation } : {}) });
    const result: OpenedBinaryExtent = { extent: opened.extent, format: opened.kind, file: cached, warnings: opened.warnings };
    if (opened.embeddedDescriptor) Object.assign(result, { embeddedDescriptor: opened.embeddedDescriptor, embeddedDescriptorOffset: opened.embeddedDescriptorOffset });
    return result;
  }
  const opened = kind === 'cowd' ? await openCowdExtent(cached, { path }) : await openSeSparseExtent(cached, { path });
  return { extent: opened.extent, format: kind === 'cowd' ? 'cowd' : 'seSparse', file: cached, warnings: opened.warnings };
}

/** Open every extent the descriptor at `descriptorPath` lists; on failure, close what was opened. */
export async function openDescriptorExtents(
  descriptorPath: string,
  descriptor: VmdkDescriptor,
  options: CacheOptions,
  pool: ExtentFilePool,
): Promise<{ extents: LaidExtent[]; files: ByteSource[]; warnings: GrtWarning[] }> {
  const extents: LaidExtent[] = [];
  const files: ByteSource[] = [];
  const warnings: GrtWarning[] = [];
  const sparseCount = descriptor.extents.filter((e) => e.access !== 'NOACCESS' && /SPARSE$/.test(e.type)).length;
  const fileOptions = perFileCache(options, sparseCount);
  let start = 0;
  try {
    for (const [index, line] of descriptor.extents.entries()) {
      const size = line.sectorCount * SECTOR_BYTES;
      const info = extentInfo(line);
      const extent = await openExtent(descriptorPath, line, index, start, size, info, fileOptions, pool, files, warnings);
      extents.push({ start, size, extent, info });
      start += size;
      if (!Number.isSafeInteger(start)) {
        throw new GrtError('BAD_DESCRIPTOR', 'extents add up to more than 2^53 bytes', { structure: 'VMDK descriptor', path: descriptorPath });
      }
    }
  } catch (error) {
    for (const laid of extents) await laid.extent.close?.().catch(() => undefined);
    for (const file of files) await file.close?.().catch(() => undefined);
    throw error;
  }
  return { extents, files, warnings };
}

function extentInfo(line: ExtentLine): ExtentInfo {
  const format: ExtentFormat =
    line.type === 'ZERO' ? 'zero' : line.type === 'SPARSE' ? 'sparse' : line.type === 'VMFSSPARSE' ? 'cowd' : line.type === 'SESPARSE' ? 'seSparse' : 'flat';
  const info: ExtentInfo = { access: line.access, sectorCount: line.sectorCount, type: line.type, format };
  if (line.file !== undefined) info.file = line.file;
  if (line.sectorOffset !== undefined) info.sectorOffset = line.sectorOffset;
  return info;
}

async function openExtent(
  descriptorPath: string,
  line: ExtentLine,
  index: number,
  /** Where the extent starts on the virtual disk, in bytes. */
  start: number,
  size: number,
  info: ExtentInfo,
  options: CacheOptions,
  pool: ExtentFilePool,
  files: ByteSource[],
  warnings: GrtWarning[],
): Promise<Extent> {
  const name = `#${index + 1} (${line.type}${line.file === undefined ? '' : ` ${JSON.stringify(line.file)}`})`;
  if (line.type === 'ZERO') return new ZeroExtent(size);
  if (line.access === 'NOACCESS') return new NoAccessExtent(size, name, start);
  if (line.type === 'VMFSRDM' || line.type === 'VMFSRAW') {
    throw new GrtError('UNSUPPORTED', `extent ${name} maps a raw device, which only exists on its ESXi host`, { structure: 'VMDK descriptor', path: descriptorPath });
  }
  const path = await resolveExtentPath(options.open, descriptorPath, line.file!, options.allowUnsafeExtentPaths ?? false);
  let file: PooledFile;
  try {
    file = await pool.open(path);
  } catch (error) {
    if (error instanceof GrtError && error.code === 'NOT_FOUND') {
      throw new GrtError('NOT_FOUND', `extent file ${JSON.stringify(line.file)} (extent ${index + 1}) is missing`, { structure: 'VMDK descriptor', path: descriptorPath, cause: error });
    }
    throw error;
  }
  files.push(file);
  if (line.type === 'FLAT' || line.type === 'VMFS') {
    const flat = new FlatExtent(file, (line.sectorOffset ?? 0) * SECTOR_BYTES, size, path);
    warnings.push(...flat.warnings);
    return flat;
  }
  // SPARSE, VMFSSPARSE, SESPARSE: the file's magic decides the reader, not the type word.
  const kind = sniffVmdkFile(await file.read(0, Math.min(SECTOR_BYTES, file.size)));
  if (kind !== 'kdmv' && kind !== 'cowd' && kind !== 'sesparse') {
    throw new GrtError('BAD_MAGIC', `extent ${name} is not a KDMV, COWD or seSparse file`, { structure: 'sparse extent header', offset: 0, space: 'file', path });
  }
  const opened = await openBinaryExtent(file, kind, path, options);
  files[files.length - 1] = opened.file;
  info.format = opened.format;
  warnings.push(...opened.warnings);
  if (opened.extent.size !== size) {
    warnings.push({
      code: 'BAD_DESCRIPTOR',
      message: `extent ${name}: header capacity ${opened.extent.size / SECTOR_BYTES} sectors, descriptor ${line.sectorCount}; the descriptor's count is used`,
    });
    return fitExtent(opened.extent, size);
  }
  return opened.extent;
}

/**
 * An extent whose reader holds a different size than the descriptor gives it: bytes past what the
 * reader holds are not held here (parent or zeros); bytes past the descriptor's size are never asked.
 */
function fitExtent(inner: Extent, size: number): Extent {
  const held = Math.min(inner.size, size);
  return {
    size,
    async read(offset: number, out: Uint8Array, fromParent: ParentRead): Promise<void> {
      const inside = Math.max(0, Math.min(out.length, held - offset));
      if (inside > 0) await inner.read(offset, out.subarray(0, inside), fromParent);
      if (inside < out.length) await fromParent(out.subarray(inside), offset + inside);
    },
    async map(offset: number, length: number): Promise<ExtentRange[]> {
      const inside = Math.max(0, Math.min(length, held - offset));
      const ranges = inside > 0 ? await inner.map(offset, inside) : [];
      if (inside < length) ranges.push({ offset: offset + inside, length: length - inside, state: 'parent' });
      return ranges;
    },
    close: async () => inner.close?.(),
  };
}
