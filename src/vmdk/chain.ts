/**
 * Where the files a descriptor names are, and whether a parent belongs to its child.
 *
 * Sources: VMware "Virtual Disk Format 5.0" technote, "Header" (CID, parentCID, ffffffff = none;
 * parentFileNameHint, "the path to the parent", may be absolute) and "Extent Descriptions"
 * (extent file names are relative to the descriptor's directory).
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve, sep } from 'node:path';
import { GrtError, type GrtWarning } from '../errors.js';
import { NO_PARENT_CID } from './descriptor.js';

/** Default bound on a snapshot chain's length: VMware allows 32 snapshots per disk. */
export const DEFAULT_MAX_CHAIN_DEPTH = 32;

/** `C:\…`, `C:/…` or `\\server\share\…`: written by VMware on Windows, meaningless here. */
function isWindowsAbsolute(name: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(name) || name.startsWith('\\\\');
}

/** The last component of a name that may use either separator. */
function lastComponent(name: string): string {
  return basename(name.replace(/\\/g, '/'));
}

function refuseNul(name: string, what: string, path: string): void {
  if (name === '' || name.includes('\0')) {
    throw new GrtError('BAD_DESCRIPTOR', `${what} ${JSON.stringify(name)} is not a usable file name`, { structure: 'VMDK descriptor', path });
  }
}

/**
 * The path of an extent file named in the descriptor at `descriptorPath`. A name that is absolute,
 * climbs out of the descriptor's directory, or is a symbolic link leading out of it is refused
 * unless `allowUnsafe`: a hostile descriptor must not make us read /etc/shadow or a neighbour's disk.
 */
export async function resolveExtentPath(descriptorPath: string, name: string, allowUnsafe: boolean): Promise<string> {
  refuseNul(name, 'extent file', descriptorPath);
  const climbs = name.split(/[\\/]/).includes('..');
  const absolute = isAbsolute(name) || isWindowsAbsolute(name);
  const unsafe = (why: string) =>
    new GrtError('UNSAFE_PATH', `extent file ${JSON.stringify(name)} ${why} (allowUnsafeExtentPaths permits it)`, {
      structure: 'VMDK descriptor',
      path: descriptorPath,
    });
  if ((climbs || absolute) && !allowUnsafe) throw unsafe("is outside the descriptor's directory");
  const directory = dirname(descriptorPath);
  // NOTE: a Windows path cannot be opened here; the file was most likely copied beside its descriptor.
  // Descriptors written on Windows may also separate directories with backslashes.
  const path = isWindowsAbsolute(name) ? resolve(directory, lastComponent(name)) : resolve(directory, name.replace(/\\/g, '/'));
  if (!allowUnsafe) {
    const real = await realpath(path).catch(() => undefined); // a missing file is reported when opened
    const realDirectory = await realpath(directory).catch(() => directory);
    if (real !== undefined && !real.startsWith(realDirectory.endsWith(sep) ? realDirectory : realDirectory + sep)) {
      throw unsafe("is a link leading out of the descriptor's directory");
    }
  }
  return path;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The parent of the child at `childPath`, from its parentFileNameHint. Chains legitimately span
 * directories, so any hint is followed (read-only). Tried in order: the hint itself (relative to
 * the child's directory, or absolute), then a file of the hint's base name beside the child — what
 * is left when a chain written on Windows (`C:\VMs\base.vmdk`) or elsewhere is copied together.
 */
export async function resolveParentPath(childPath: string, hint: string | undefined): Promise<string> {
  if (hint === undefined) {
    throw new GrtError('NOT_FOUND', 'disk has a parentCID but no parentFileNameHint; pass parentPath', { structure: 'VMDK descriptor', path: childPath });
  }
  refuseNul(hint, 'parentFileNameHint', childPath);
  const childDir = dirname(childPath);
  const candidates: string[] = [];
  if (!isWindowsAbsolute(hint)) candidates.push(resolve(childDir, hint.replace(/\\/g, '/')));
  candidates.push(resolve(childDir, lastComponent(hint)));
  for (const candidate of candidates) {
    if (await isFile(candidate)) return candidate;
  }
  throw new GrtError('NOT_FOUND', `parent disk ${JSON.stringify(hint)} not found (tried ${candidates.join(', ')}); pass parentPath`, {
    structure: 'parentFileNameHint',
    path: childPath,
  });
}

/** A child's parentCID must be its parent's CID: otherwise the parent changed after the snapshot. */
export function checkParentCid(
  child: { path: string; parentCid?: string | undefined },
  parent: { path: string; cid?: string | undefined },
  ignoreMismatch: boolean,
  warnings: GrtWarning[],
): void {
  if (child.parentCid === undefined || child.parentCid === NO_PARENT_CID) return;
  if (parent.cid === undefined) {
    warnings.push({ code: 'CHAIN_MISMATCH', message: `parent ${parent.path} has no CID to check against parentCID ${child.parentCid}` });
    return;
  }
  if (parent.cid === child.parentCid) return;
  const error = new GrtError('CHAIN_MISMATCH', `parent's CID does not match the child's parentCID (ignoreCidMismatch permits it)`, {
    structure: 'snapshot chain',
    expected: child.parentCid,
    actual: parent.cid,
    path: child.path,
  });
  if (!ignoreMismatch) throw error;
  warnings.push({ code: error.code, message: error.message });
}
