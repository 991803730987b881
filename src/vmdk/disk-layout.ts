/**
 * One disk's own layout, before its parent is attached: what the file at a path is (a descriptor, a
 * monolithic binary VMDK, a raw image, or something grt must refuse) and its extents.
 *
 * Sources: VMware "Virtual Disk Format 5.0" technote, "The Descriptor File" and "Hosted Sparse
 * Extent Header" (a monolithic file embeds its own descriptor).
 */
import { basename, extname } from 'node:path';
import { GrtError, type GrtWarning } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import { MAX_DESCRIPTOR_BYTES, parseDescriptor, type VmdkDescriptor } from './descriptor.js';
import type { ChainOptions } from './disk.js';
import { openDescriptorExtents, openBinaryExtent, type LaidExtent, type ExtentInfo } from './disk-extents.js';
import type { ExtentFilePool, PooledFile } from './extent-files.js';
import { FlatExtent } from './flat-extent.js';
import { foreignFormat, isTextFile } from './foreign-format.js';
import { SECTOR_BYTES, sniffVmdkFile } from './sparse-header.js';

/** Bytes read to tell a descriptor, a binary extent and a raw image apart (one sector). */
const SNIFF_BYTES = 512;

/** One disk's own layout, before its parent is attached. */
export interface Layout {
  format: 'vmdk' | 'raw';
  descriptor?: VmdkDescriptor;
  extents: LaidExtent[];
  files: ByteSource[];
  warnings: GrtWarning[];
}

/** Open options inside one disk: the caller's, plus where its extents' late warnings go. */
export type LayoutOptions = ChainOptions & { onLateWarning: (warning: GrtWarning) => void };

/** The layout of the disk in `file` (already open; closed here on failure). */
export async function openLayout(file: PooledFile, options: LayoutOptions, pool: ExtentFilePool): Promise<Layout> {
  const path = file.path;
  try {
    const first = await file.read(0, Math.min(SNIFF_BYTES, file.size));
    const kind = sniffVmdkFile(first);
    if (kind === 'kdmv' || kind === 'cowd' || kind === 'sesparse') return await openMonolithic(file, kind, options);
    if (kind !== 'text') await refuseForeign(file, first);
    const isVmdkName = extname(path).toLowerCase() === '.vmdk';
    const warnings: GrtWarning[] = [];
    if (kind === 'text' || (isVmdkName && isPlainText(first))) {
      const descriptor = await readDescriptor(file, isVmdkName, warnings);
      if (descriptor) {
        await file.close();
        const opened = await openDescriptorExtents(path, descriptor, options, pool);
        return { format: 'vmdk', descriptor, ...opened, warnings: [...descriptor.warnings, ...opened.warnings] };
      }
    } else if (isVmdkName) {
      warnings.push({ code: 'UNSUPPORTED', message: `${basename(path)} is neither a descriptor nor a binary VMDK: read as a raw image (a flat extent without its descriptor?)` });
    }
    await refuseText(file);
    // Anything else is a raw image (.raw, .img, .dd, a lone -flat.vmdk): the file is the disk.
    const extent = new FlatExtent(file, 0, file.size, path);
    const info: ExtentInfo = { access: 'RDONLY', sectorCount: Math.ceil(file.size / SECTOR_BYTES), type: 'FLAT', file: basename(path), sectorOffset: 0, format: 'flat' };
    return { format: 'raw', extents: [{ start: 0, size: file.size, extent, info }], files: [file], warnings };
  } catch (error) {
    await file.close();
    throw error;
  }
}

/** Bytes read to tell a text file from a disk image: no raw disk starts with this much text. */
const TEXT_SNIFF_BYTES = 64 * 1024;

/** Refuse another tool's container or a catalog: read as raw, its header would be sector 0. */
async function refuseForeign(file: PooledFile, first: Uint8Array): Promise<void> {
  const what = `${basename(file.path)} is`;
  const tail = await file.read(Math.max(0, file.size - SNIFF_BYTES), Math.min(SNIFF_BYTES, file.size));
  const foreign = foreignFormat(first, tail);
  if (foreign) {
    const hint = foreign.includes('--catalog') ? '' : '; grt reads VMDK and raw disks';
    throw new GrtError('UNSUPPORTED', `${what} ${foreign}${hint}`, { path: file.path });
  }
}

/** Refuse an empty file or one of text (a descriptor was ruled out before): neither is a disk. */
async function refuseText(file: PooledFile): Promise<void> {
  const what = `${basename(file.path)} is`;
  if (file.size === 0) throw new GrtError('UNSUPPORTED', `${what} empty: not a disk image`, { path: file.path });
  if (isTextFile(await file.read(0, Math.min(TEXT_SNIFF_BYTES, file.size)))) {
    throw new GrtError('UNSUPPORTED', `${what} a text file, not a disk image`, { path: file.path });
  }
}

/**
 * Text up to the first NUL (descriptors are NUL-padded): no control bytes but tab, CR and LF, and
 * at least one byte of it. A first sector of zeros is no descriptor: a flat extent of an
 * unpartitioned disk starts that way (ext4 leaves its first 1024 bytes zero).
 */
function isPlainText(first: Uint8Array): boolean {
  const end = first.indexOf(0);
  if (end === 0) return false;
  return !first.subarray(0, end < 0 ? first.length : end).some((b) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
}

/**
 * The descriptor in `file`. A `.vmdk` that is not one is an error; any other name that only looked
 * like one (a raw disk whose first sector is text) is read as a raw image, with a warning.
 */
async function readDescriptor(file: PooledFile, isVmdkName: boolean, warnings: GrtWarning[]): Promise<VmdkDescriptor | undefined> {
  try {
    if (file.size > MAX_DESCRIPTOR_BYTES) {
      throw new GrtError('BAD_DESCRIPTOR', `neither a binary VMDK nor a descriptor (${file.size} bytes of text is too large)`, { offset: 0, space: 'file', path: file.path });
    }
    return parseDescriptor(await file.read(0, file.size), file.path);
  } catch (error) {
    if (isVmdkName || !(error instanceof GrtError) || error.code !== 'BAD_DESCRIPTOR') throw error;
    warnings.push({ code: error.code, message: `starts like a descriptor but is not one (${error.message}); read as a raw image` });
    return undefined;
  }
}

/**
 * A monolithic binary VMDK opened directly. NOTE: its single extent is the file itself; the name
 * in its embedded descriptor goes stale when the file is renamed and is never opened.
 */
async function openMonolithic(file: PooledFile, kind: 'kdmv' | 'cowd' | 'sesparse', options: LayoutOptions): Promise<Layout> {
  const opened = await openBinaryExtent(file, kind, file.path, options);
  const warnings = [...opened.warnings];
  let descriptor: VmdkDescriptor | undefined;
  if (opened.embeddedDescriptor) {
    try {
      descriptor = parseDescriptor(opened.embeddedDescriptor, file.path, opened.embeddedDescriptorOffset);
      warnings.push(...descriptor.warnings);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      warnings.push({ code: error.code, message: `embedded descriptor ignored: ${error.message}` });
    }
  }
  const size = opened.extent.size;
  const line = descriptor?.extents[0];
  if (descriptor) {
    const listed = descriptor.extents.reduce((sum, e) => sum + e.sectorCount, 0);
    if (descriptor.extents.length !== 1 || listed * SECTOR_BYTES !== size) {
      warnings.push({
        code: 'BAD_DESCRIPTOR',
        message: `embedded descriptor lists ${descriptor.extents.length} extent(s) of ${listed} sectors; the header's ${size / SECTOR_BYTES} sectors are used`,
      });
    }
  }
  const info: ExtentInfo = { access: line?.access ?? 'RW', sectorCount: size / SECTOR_BYTES, type: line?.type ?? 'SPARSE', file: basename(file.path), format: opened.format };
  const layout: Layout = { format: 'vmdk', extents: [{ start: 0, size, extent: opened.extent, info }], files: [opened.file], warnings };
  if (descriptor) layout.descriptor = descriptor;
  return layout;
}
