/**
 * The disks of an image argument: one VMDK (or raw disk), or every disk a VMware .vmx names, plus
 * any the caller adds (`--add-disk`). Each is opened by openDisk with its own snapshot chain,
 * through the same opener and options.
 */
import { GrtError } from '../errors.js';
import { localFileOpener } from '../io/local-opener.js';
import type { SourceOpener } from '../io/source-opener.js';
import { openDisk, type OpenDiskOptions, type VirtualDisk } from '../vmdk/disk.js';
import { MAX_VMX_BYTES, readVmx } from './vmx.js';

/** Bytes looked at to tell a .vmx by its text when its name does not end in .vmx. */
const VMX_SNIFF_BYTES = 4096;
/** Keys every .vmx VMware writes has one of near its top; a VMDK descriptor has none of them. */
const VMX_KEY = /^\s*(\.encoding|config\.version|virtualhw\.version)\s*=/im;

export interface OpenDisksOptions extends OpenDiskOptions {
  /** Disks to open after the image's own (`--add-disk FILE`, repeatable), in this order. */
  addDisks?: readonly string[];
}

/** Whether `location` is a .vmx: by its name, else by its first bytes being VMware config text. */
export async function isVmx(opener: SourceOpener, location: string): Promise<boolean> {
  if (/\.vmx$/i.test(location)) return true;
  const file = await opener.open(location);
  try {
    if (file.size > MAX_VMX_BYTES) return false;
    const head = await file.read(0, Math.min(file.size, VMX_SNIFF_BYTES));
    if (head.includes(0)) return false;
    return VMX_KEY.test(new TextDecoder('utf-8').decode(head));
  } finally {
    await file.close();
  }
}

/**
 * The disks of `path` in order: a .vmx's (as readVmx orders them), else `path` itself; then
 * `addDisks`. A disk that fails to open closes the ones already opened.
 */
export async function openDisks(path: string, options: OpenDisksOptions = {}): Promise<VirtualDisk[]> {
  const { addDisks = [], ...diskOptions } = options;
  const opener = diskOptions.open ?? localFileOpener;
  let locations: string[] = [path];
  if (await isVmx(opener, path)) {
    if (diskOptions.parentPath !== undefined) throw new GrtError('USAGE', '--parent names the parent of one disk; a .vmx\'s disks each find theirs from their own descriptor');
    const vmx = await readVmx(opener, path, diskOptions.allowUnsafeExtentPaths ?? false);
    if (vmx.disks.length === 0) throw new GrtError('NOT_FOUND', `${path}: the .vmx names no disk`);
    locations = vmx.disks.map((d) => d.location);
  }
  const disks: VirtualDisk[] = [];
  try {
    for (const [i, location] of [...locations, ...addDisks].entries()) {
      // --parent is about the IMAGE argument alone, never an added disk.
      const { parentPath, ...rest } = diskOptions;
      disks.push(await openDisk(location, { ...rest, open: opener, ...(i === 0 && parentPath !== undefined ? { parentPath } : {}) }));
    }
  } catch (error) {
    for (const disk of disks) await disk.close().catch(() => undefined);
    throw error;
  }
  return disks;
}
