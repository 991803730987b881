/**
 * Where the files a descriptor names are, and whether a parent belongs to its child.
 *
 * Sources: VMware "Virtual Disk Format 5.0" technote, "Header" (CID, parentCID, ffffffff = none;
 * parentFileNameHint, "the path to the parent", may be absolute) and "Extent Descriptions"
 * (extent file names are relative to the descriptor's directory).
 */
import { GrtError, type GrtWarning } from '../errors.js';
import { resolveName, type SourceOpener } from '../io/source-opener.js';
import { NO_PARENT_CID } from './descriptor.js';

/** Default bound on a snapshot chain's length: VMware allows 32 snapshots per disk. */
export const DEFAULT_MAX_CHAIN_DEPTH = 32;

/**
 * The location of an extent file named in the descriptor at `descriptorPath`, under the one rule for
 * names an image holds (io/source-opener.ts): inside the descriptor's folder, or by base name there;
 * elsewhere only if `allowUnsafe`.
 */
export function resolveExtentPath(opener: SourceOpener, descriptorPath: string, name: string, allowUnsafe: boolean): Promise<string> {
  return resolveName(opener, descriptorPath, name, { what: 'extent file', allowUnsafe });
}

/**
 * The location of the parent of the child at `childPath`, from its parentFileNameHint, under the same
 * rule as extent names: the hint is written by the host that made the snapshot (`/vmfs/volumes/…`,
 * `C:\VMs\…`), and a backup keeps a chain's files together in one folder.
 */
export function resolveParentPath(opener: SourceOpener, childPath: string, hint: string | undefined, allowUnsafe: boolean): Promise<string> {
  if (hint === undefined) {
    throw new GrtError('NOT_FOUND', 'disk has a parentCID but no parentFileNameHint; pass parentPath (--parent)', { structure: 'VMDK descriptor', path: childPath });
  }
  return resolveName(opener, childPath, hint, { what: 'parentFileNameHint', allowUnsafe });
}

/**
 * A child's parentCID must be its parent's CID: otherwise the parent changed after the snapshot, or
 * is not the child's parent at all. A parent with no CID (a raw file, a VMDK without a descriptor)
 * cannot be checked and is refused the same way: it would silently supply every grain the child
 * does not hold. The messages name the CLI flag, since that is where most readers meet them.
 */
export function checkParentCid(
  child: { path: string; parentCid?: string | undefined },
  parent: { path: string; cid?: string | undefined },
  ignoreMismatch: boolean,
  warnings: GrtWarning[],
): void {
  if (child.parentCid === undefined || child.parentCid === NO_PARENT_CID) return;
  if (parent.cid === child.parentCid) return;
  const why = parent.cid === undefined ? `parent ${parent.path} has no CID (not a VMDK?) to check against the child's parentCID` : `parent's CID does not match the child's parentCID`;
  const error = new GrtError('CHAIN_MISMATCH', `${why} (--ignore-cid-mismatch permits it)`, {
    structure: 'snapshot chain',
    expected: child.parentCid,
    actual: parent.cid ?? 'none',
    path: child.path,
  });
  if (!ignoreMismatch) throw error;
  warnings.push({ code: error.code, message: error.message });
}
