/**
 * A virtual disk: a descriptor's extents laid end to end (or one monolithic file, or a raw image),
 * over its parent in a snapshot chain, as one ByteSource.
 *
 * Sources: VMware "Virtual Disk Format 5.0" technote, "The Descriptor File", "Extent
 * Descriptions" (extents are consecutive in the disk's sector space) and "Hosted Sparse Extent
 * Header" (a monolithic file embeds its own descriptor; grains not allocated in a delta come from
 * the parent); libyal libvmdk, "Parent disk".
 */
import { basename } from 'node:path';
import { GrtError, type GrtWarning } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { checkRange, unzeroedBytes, type HostCopy } from '../io/byte-source.js';
import type { InputFile } from '../io/file-source.js';
import { localFileOpener } from '../io/local-opener.js';
import { sourceKey, type SourceOpener } from '../io/source-opener.js';
import { DEFAULT_MAX_CHAIN_DEPTH, checkParentCid, resolveParentPath } from './chain.js';
import { NO_PARENT_CID, type VmdkDescriptor } from './descriptor.js';
import type { ExtentInfo, LaidExtent } from './disk-extents.js';
import { openLayout, type Layout } from './disk-layout.js';
import type { Extent } from './extent.js';
import { Inflation } from './inflate-pool.js';
import type { GrainInflation } from './inflation.js';
import { ExtentFilePool } from './extent-files.js';
import { SECTOR_BYTES } from './sparse-header.js';

export type { ExtentInfo } from './disk-extents.js';

export interface OpenDiskOptions {
  /**
   * Where the image and every file it names are found and opened; default: local files
   * (io/local-opener.ts). The rule for names an image holds is the same for every opener.
   */
  open?: SourceOpener;
  /**
   * Also open extent names and parentFileNameHints that are absolute or climb out with `..` at
   * their original location (by default only a file of their base name beside the naming file is).
   */
  allowUnsafeExtentPaths?: boolean;
  /** Open a child whose parent's CID is not its parentCID, or who has none (a warning instead of CHAIN_MISMATCH). */
  ignoreCidMismatch?: boolean;
  /** Longest snapshot chain to follow; default DEFAULT_MAX_CHAIN_DEPTH. */
  maxChainDepth?: number;
  /** The parent of the disk opened, overriding its parentFileNameHint. */
  parentPath?: string;
  /** Block cache over sparse extent files (grain tables are read again and again); `maxBlocks` is
   *  each disk's budget (default DEFAULT_CACHE_BLOCKS), shared by its sparse files. */
  cache?: { blockSize?: number; maxBlocks?: number };
  /**
   * Where compressed (streamOptimized) grains are inflated; default: an Inflation of this disk's
   * own, on the calling thread. A restore passes its Engine's (`engine.inflation`), so that
   * Engine.prepareFor can send slow grains to worker threads.
   */
  inflation?: GrainInflation;
}

export interface ChainLink {
  path: string;
  cid?: string;
  parentCid?: string;
  createType?: string;
}

export interface DiskInfo {
  path: string;
  format: 'vmdk' | 'raw';
  createType?: string;
  /** Bytes. */
  capacity: number;
  cid?: string;
  parentCid?: string;
  parentFileNameHint?: string;
  encoding?: string;
  ddb: Record<string, string>;
  extents: ExtentInfo[];
  /** This disk first, the base disk last. */
  chain: ChainLink[];
  warnings: GrtWarning[];
  /** A disk of an .ova stored gzip'd (`ovf:compression="gzip"`, DSP0243 §7.1): read decompressed in place. */
  compression?: 'gzip';
  /** A disk of an .ova stored split (`ovf:chunkSize`): how many members hold it. */
  chunks?: number;
}

export interface DiskRange {
  offset: number;
  length: number;
  state: 'data' | 'zero';
}

export interface VirtualDisk extends ByteSource {
  readonly info: DiskInfo;
  readonly parent: VirtualDisk | undefined;
  /** What [offset, offset+length) holds after resolving the chain: 'data' or 'zero' (holes). */
  map(offset: number, length: number): Promise<DiskRange[]>;
  /**
   * Every local file this disk and its parents read (descriptors, extents, parents), by device and
   * inode: a restore must never write over one of them.
   */
  inputFiles(): readonly InputFile[];
  close(): Promise<void>;
}

class Disk implements VirtualDisk {
  readonly size: number;
  /** Extents holding at least one byte, by ascending start: the binary search runs over these. */
  private readonly laid: LaidExtent[];
  private closed = false;

  constructor(
    readonly info: DiskInfo,
    extents: LaidExtent[],
    private readonly files: ByteSource[],
    readonly parent: Disk | undefined,
    /** The files this disk itself opened (not its parents'). */
    private readonly inputs: readonly InputFile[],
  ) {
    this.laid = extents.filter((e) => e.size > 0);
    this.size = info.capacity;
  }

  /** Index in `laid` of the extent holding byte `offset` (which is below `size`). */
  private indexAt(offset: number): number {
    let low = 0;
    let high = this.laid.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.laid[mid]!.start <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /** Bytes of this disk's sector space an extent does not hold: the parent's, or zeros. */
  private async fromParent(diskOffset: number, out: Uint8Array): Promise<void> {
    const readable = this.parent ? Math.max(0, Math.min(out.length, this.parent.size - diskOffset)) : 0;
    if (readable > 0) await this.parent!.fill(diskOffset, out.subarray(0, readable));
    // NOTE: a parent smaller than its child (grown after the snapshot) reads as zeros past its end.
    out.fill(0, readable);
  }

  /** A buffer not zeroed first: `fill` writes every byte (each extent zeroes its own holes, Extent.read). */
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length, this.info.path);
    const out = unzeroedBytes(length);
    await this.fill(offset, out);
    return out;
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, this.info.path);
    await this.fill(offset, target);
  }

  /**
   * Fill `out` from `offset` (already range-checked). A chain reads straight into the caller's
   * buffer: each level fills only what the levels above it left, and nothing is copied twice.
   */
  private async fill(offset: number, out: Uint8Array): Promise<void> {
    this.checkOpen();
    const end = offset + out.length;
    const reads: Promise<void>[] = [];
    for (let i = out.length === 0 ? this.laid.length : this.indexAt(offset), at = offset; at < end; i++) {
      const laid = this.laid[i]!;
      const take = Math.min(laid.start + laid.size, end) - at;
      const part = out.subarray(at - offset, at - offset + take);
      reads.push(laid.extent.read(at - laid.start, part, (buf, extentOffset) => this.fromParent(laid.start + extentOffset, buf)));
      at += take;
    }
    await Promise.all(reads);
  }

  /**
   * A run within one extent (the next extent is another file or none); from a grain this disk
   * does not hold, the parent's run (a snapshot's unchanged grains are the base's), within what
   * the parent holds: past its end the bytes are zeros (fromParent), read instead.
   */
  async copyOut(offset: number, length: number, copy: HostCopy): Promise<number> {
    checkRange(this, offset, length, this.info.path);
    this.checkOpen();
    if (length === 0) return 0;
    const laid = this.laid[this.indexAt(offset)]!;
    const take = Math.min(laid.start + laid.size - offset, length);
    const copied = laid.extent.copyOut ? await laid.extent.copyOut(offset - laid.start, take, copy) : 0;
    if (copied > 0 || !this.parent) return copied;
    const [first] = await laid.extent.map(offset - laid.start, take);
    const inherited = first?.state === 'parent' ? Math.min(first.length, this.parent.size - offset) : 0;
    return inherited > 0 ? this.parent.copyOut(offset, inherited, copy) : 0;
  }

  inputFiles(): readonly InputFile[] {
    const seen = new Set<string>();
    return [...this.inputs, ...(this.parent?.inputFiles() ?? [])].filter((f) => {
      const key = sourceKey(f, f.path);
      return !seen.has(key) && seen.add(key);
    });
  }

  private checkOpen(): void {
    if (this.closed) throw new GrtError('IO_ERROR', 'disk used after close', { path: this.info.path });
  }

  async map(offset: number, length: number): Promise<DiskRange[]> {
    checkRange(this, offset, length, this.info.path);
    this.checkOpen();
    const ranges: DiskRange[] = [];
    const end = offset + length;
    for (let i = length === 0 ? this.laid.length : this.indexAt(offset), at = offset; at < end; i++) {
      const laid = this.laid[i]!;
      const take = Math.min(laid.start + laid.size, end) - at;
      for (const range of await laid.extent.map(at - laid.start, take)) {
        const diskOffset = laid.start + range.offset;
        if (range.state !== 'parent') push(ranges, { offset: diskOffset, length: range.length, state: range.state });
        else for (const inherited of await this.parentMap(diskOffset, range.length)) push(ranges, inherited);
      }
      at += take;
    }
    return ranges;
  }

  private async parentMap(offset: number, length: number): Promise<DiskRange[]> {
    const held = this.parent ? Math.max(0, Math.min(length, this.parent.size - offset)) : 0;
    const ranges = held > 0 ? await this.parent!.map(offset, held) : [];
    if (held < length) ranges.push({ offset: offset + held, length: length - held, state: 'zero' });
    return ranges;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeAll(this.laid.map((e) => e.extent), this.files);
    await this.parent?.close();
  }
}

/** Append, merging with the previous range when adjacent and of the same state. */
function push(ranges: DiskRange[], range: DiskRange): void {
  const last = ranges[ranges.length - 1];
  if (last && last.state === range.state && last.offset + last.length === range.offset) last.length += range.length;
  else if (range.length > 0) ranges.push({ ...range });
}

async function closeAll(extents: Extent[], files: ByteSource[]): Promise<void> {
  for (const extent of extents) await extent.close?.().catch(() => undefined);
  for (const file of files) await file.close?.().catch(() => undefined);
}

/** Open the disk at `path`: a descriptor, a monolithic binary VMDK, or a raw image. */
export async function openDisk(path: string, options: OpenDiskOptions = {}): Promise<VirtualDisk> {
  const maxDepth = options.maxChainDepth ?? DEFAULT_MAX_CHAIN_DEPTH;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
    throw new GrtError('USAGE', `maxChainDepth must be a positive integer`, { actual: options.maxChainDepth });
  }
  const { blockSize, maxBlocks } = options.cache ?? {};
  if (blockSize !== undefined && !(Number.isSafeInteger(blockSize) && blockSize >= SECTOR_BYTES && Number.isInteger(Math.log2(blockSize)))) {
    throw new GrtError('USAGE', `cache.blockSize must be a power of two of at least ${SECTOR_BYTES}`, { actual: blockSize });
  }
  if (maxBlocks !== undefined && !(Number.isSafeInteger(maxBlocks) && maxBlocks >= 1)) {
    throw new GrtError('USAGE', 'cache.maxBlocks must be a positive integer', { actual: maxBlocks });
  }
  const opener = options.open ?? localFileOpener;
  return openLink(path, { ...options, open: opener, inflation: options.inflation ?? new Inflation() }, maxDepth, new Set(), new ExtentFilePool(opener));
}

/** Options inside openDisk: the opener is settled. */
export type ChainOptions = OpenDiskOptions & { open: SourceOpener };

async function openLink(path: string, options: ChainOptions, maxDepth: number, seen: Set<string>, pool: ExtentFilePool): Promise<Disk> {
  const firstInput = pool.inputs.length;
  const file = await pool.open(path);
  const key = sourceKey(file.identity, path);
  if (seen.has(key) || seen.size >= maxDepth) {
    await file.close();
    if (seen.has(key)) throw new GrtError('CHAIN_CYCLE', `snapshot chain returns to ${path}`, { structure: 'snapshot chain', path });
    throw new GrtError('LIMIT_EXCEEDED', `snapshot chain is longer than ${maxDepth} disks (maxChainDepth)`, { structure: 'snapshot chain', path });
  }
  seen.add(key);
  // One array from the start: warnings found while reading (a damaged grain table) land in DiskInfo too.
  const warnings: GrtWarning[] = [];
  const layout = await openLayout(file, { ...options, onLateWarning: (warning) => warnings.push(warning) }, pool);
  // What this disk itself opened; its parent's files are added to the pool after this point.
  const inputs = pool.inputs.slice(firstInput);
  try {
    const descriptor = layout.descriptor;
    warnings.unshift(...layout.warnings);
    let parent: Disk | undefined;
    const namesParent = descriptor?.parentCid !== undefined && descriptor.parentCid !== NO_PARENT_CID;
    // A COWD or seSparse delta opened without its descriptor names no parent: only the caller can.
    const isBareDelta = descriptor === undefined && layout.extents.some((e) => e.info.format === 'cowd' || e.info.format === 'seSparse');
    if (isBareDelta && options.parentPath === undefined) {
      warnings.push({ code: 'NOT_FOUND', message: 'a snapshot delta without its descriptor: grains it does not hold read as zeros (pass parentPath)' });
    } else if (!namesParent && !isBareDelta && options.parentPath !== undefined) {
      warnings.push({ code: 'USAGE', message: `parentPath ignored: ${basename(path)} has no parent` });
    }
    if (namesParent || (isBareDelta && options.parentPath !== undefined)) {
      parent = await openParent(path, descriptor, options, maxDepth, seen, pool);
      try {
        checkParentCid({ path, parentCid: descriptor?.parentCid }, { path: parent.info.path, cid: parent.info.cid }, options.ignoreCidMismatch ?? false, warnings);
      } catch (error) {
        await parent.close();
        throw error;
      }
    }
    const info = describe(path, layout, warnings, parent);
    return new Disk(info, layout.extents, layout.files, parent, inputs);
  } catch (error) {
    await closeAll(layout.extents.map((e) => e.extent), layout.files);
    throw error;
  }
}

/** The parent the caller named (parentPath, opened as given), or the one the child's hint names. */
async function openParent(childPath: string, descriptor: VmdkDescriptor | undefined, options: ChainOptions, maxDepth: number, seen: Set<string>, pool: ExtentFilePool): Promise<Disk> {
  const parentOptions = { ...options, parentPath: undefined };
  if (options.parentPath !== undefined) return openLink(options.parentPath, parentOptions, maxDepth, seen, pool);
  const hint = descriptor?.parentFileNameHint;
  const location = await resolveParentPath(options.open, childPath, hint, options.allowUnsafeExtentPaths ?? false);
  try {
    return await openLink(location, parentOptions, maxDepth, seen, pool);
  } catch (error) {
    if (!(error instanceof GrtError) || error.code !== 'NOT_FOUND' || error.path !== location) throw error;
    throw new GrtError('NOT_FOUND', `parent disk ${JSON.stringify(hint)} not found (looked for ${location}); pass parentPath (--parent)`, {
      structure: 'parentFileNameHint',
      path: childPath,
      cause: error,
    });
  }
}

function describe(path: string, layout: Layout, warnings: GrtWarning[], parent: Disk | undefined): DiskInfo {
  const d = layout.descriptor;
  const last = layout.extents[layout.extents.length - 1];
  const info: DiskInfo = {
    path,
    format: layout.format,
    capacity: last ? last.start + last.size : 0,
    ddb: d?.ddb ?? {},
    extents: layout.extents.map((e) => e.info),
    chain: [],
    warnings,
  };
  if (d?.createType !== undefined) info.createType = d.createType;
  if (d?.cid !== undefined) info.cid = d.cid;
  if (d?.parentCid !== undefined) info.parentCid = d.parentCid;
  if (d?.parentFileNameHint !== undefined) info.parentFileNameHint = d.parentFileNameHint;
  if (d?.encoding !== undefined) info.encoding = d.encoding;
  const link: ChainLink = { path };
  if (info.cid !== undefined) link.cid = info.cid;
  if (info.parentCid !== undefined) link.parentCid = info.parentCid;
  if (info.createType !== undefined) link.createType = info.createType;
  info.chain = [link, ...(parent?.info.chain ?? [])];
  return info;
}
