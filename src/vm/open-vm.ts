/**
 * The disks of an image argument: one VMDK (or raw disk), every disk a VMware .vmx names, or every
 * disk of an .ova (read in place), plus any the caller adds (`--add-disk`). Each is opened by
 * openDisk with its own snapshot chain, through the same options.
 */
import { GrtError } from '../errors.js';
import type { InputFile } from '../io/file-source.js';
import { localFileOpener } from '../io/local-opener.js';
import type { SourceOpener } from '../io/source-opener.js';
import { openDisk, type DiskInfo, type DiskRange, type OpenDiskOptions, type VirtualDisk } from '../vmdk/disk.js';
import type { OvaDisk, OvaPackage } from './ova.js';
import { isOvaName, looksLikeOva } from './ova-kind.js';
import { MAX_VMX_BYTES, readVmx } from './vmx.js';

/** Bytes looked at to tell a .vmx or an .ova by its content when its name does not say. */
const SNIFF_BYTES = 4096;
/** Keys every .vmx VMware writes has one of near its top; a VMDK descriptor has none of them. */
const VMX_KEY = /^\s*(\.encoding|config\.version|virtualhw\.version)\s*=/im;

export interface OpenDisksOptions extends OpenDiskOptions {
  /** Disks to open after the image's own (`--add-disk FILE`, repeatable), in this order. */
  addDisks?: readonly string[];
}

export type ImageKind = 'vmx' | 'ova' | 'disk';

/** What `location` is: by its name (.vmx, .ova), else by its first bytes (VMware config text, a tar header for an .ovf). */
export async function imageKind(opener: SourceOpener, location: string): Promise<ImageKind> {
  if (/\.vmx$/i.test(location)) return 'vmx';
  if (isOvaName(location)) return 'ova';
  const file = await opener.open(location);
  try {
    const head = await file.read(0, Math.min(file.size, SNIFF_BYTES));
    if (looksLikeOva(head)) return 'ova';
    if (file.size > MAX_VMX_BYTES || head.includes(0)) return 'disk';
    return VMX_KEY.test(new TextDecoder('utf-8').decode(head)) ? 'vmx' : 'disk';
  } finally {
    await file.close();
  }
}

/** Whether `location` is a .vmx (imageKind). */
export async function isVmx(opener: SourceOpener, location: string): Promise<boolean> {
  return (await imageKind(opener, location)) === 'vmx';
}

/**
 * A disk of an .ova: the disk as opened from its member, with the .ova itself among its inputs
 * (members have no identity of their own), how the package stores it (gzip'd, in chunks) in its
 * info, and the package's warnings on the first disk.
 */
class PackagedDisk implements VirtualDisk {
  readonly size: number;
  readonly readInto: VirtualDisk['readInto'];
  readonly info: DiskInfo;

  constructor(private readonly disk: VirtualDisk, private readonly archive: InputFile | undefined, stored: OvaDisk) {
    this.size = disk.size;
    this.readInto = disk.readInto?.bind(disk);
    // The disk's own info with the storage added: its warnings array stays the one the disk has.
    this.info = { ...disk.info, ...(stored.compression ? { compression: stored.compression } : {}), ...(stored.chunks ? { chunks: stored.chunks.length } : {}) };
  }

  get parent() {
    return this.disk.parent;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return this.disk.read(offset, length);
  }
  map(offset: number, length: number): Promise<DiskRange[]> {
    return this.disk.map(offset, length);
  }
  inputFiles(): readonly InputFile[] {
    return this.archive ? [this.archive, ...this.disk.inputFiles()] : this.disk.inputFiles();
  }
  close(): Promise<void> {
    return this.disk.close();
  }
}

/** Open each (location, opener) in order; a failure closes the ones already opened. */
async function openEach(targets: readonly { location: string; opener: SourceOpener }[], options: OpenDiskOptions): Promise<VirtualDisk[]> {
  const disks: VirtualDisk[] = [];
  try {
    for (const [i, { location, opener }] of targets.entries()) {
      // --parent is about the IMAGE argument alone, never an added disk.
      const { parentPath, ...rest } = options;
      disks.push(await openDisk(location, { ...rest, open: opener, ...(i === 0 && parentPath !== undefined ? { parentPath } : {}) }));
    }
  } catch (error) {
    for (const disk of disks) await disk.close().catch(() => undefined);
    throw error;
  }
  return disks;
}

/** The disks of an .ova, then the added ones; the package's archive stays open while any member is. */
async function openPackage(pkg: OvaPackage, added: { location: string; opener: SourceOpener }[], options: OpenDiskOptions): Promise<VirtualDisk[]> {
  try {
    const inside = pkg.disks.map((d) => ({ location: d.location, opener: pkg.diskOpener }));
    const disks = await openEach([...inside, ...added], options);
    const wrapped = disks.map((disk, i): VirtualDisk => (i < inside.length ? new PackagedDisk(disk, pkg.identity, pkg.disks[i]!) : disk));
    wrapped[0]!.info.warnings.unshift(...pkg.warnings);
    return wrapped;
  } finally {
    await pkg.opener.release();
  }
}

/**
 * The disks of `path` in order: a .vmx's (as readVmx orders them), an .ova's (as its descriptor's
 * DiskSection orders them), else `path` itself; then `addDisks`. A disk that fails to open closes
 * the ones already opened.
 */
export async function openDisks(path: string, options: OpenDisksOptions = {}): Promise<VirtualDisk[]> {
  const { addDisks = [], ...diskOptions } = options;
  const opener = diskOptions.open ?? localFileOpener;
  const added = addDisks.map((location) => ({ location, opener }));
  const kind = await imageKind(opener, path);
  if (kind !== 'disk' && diskOptions.parentPath !== undefined) {
    throw new GrtError('USAGE', `--parent names the parent of one disk; a ${kind === 'vmx' ? '.vmx' : 'package'}'s disks each find theirs from their own descriptor`);
  }
  if (kind === 'ova') {
    const { openOva } = await import('./ova.js');
    return openPackage(await openOva(opener, path), added, diskOptions);
  }
  let locations: string[] = [path];
  if (kind === 'vmx') {
    const vmx = await readVmx(opener, path, diskOptions.allowUnsafeExtentPaths ?? false);
    if (vmx.disks.length === 0) throw new GrtError('NOT_FOUND', `${path}: the .vmx names no disk`);
    locations = vmx.disks.map((d) => d.location);
  }
  return openEach([...locations.map((location) => ({ location, opener })), ...added], diskOptions);
}
