/**
 * A file reached by MFT record number (as `icat` takes one) rather than by path: its path is
 * rebuilt upwards from the parent references of the $FILE_NAME attributes, under the same rules a
 * scan attaches names by (name-tree.ts): the parent must be a directory whose sequence number
 * matches the reference (a deleted parent may be one ahead). A name whose chain does not reach the
 * root is placed under ORPHAN_DIR, as listings place it.
 *
 * Sources: [MS-FSCC] 2.1.x file references; libyal libfsntfs notes on $FILE_NAME.
 */
import { GrtError } from '../../errors.js';
import { ATTR_FILE_NAME, ATTR_INDEX_ROOT } from './attribute.js';
import { NAMESPACE_DOS, parseFileName, type FileName } from './file-name.js';
import { RECORD_IS_DIRECTORY, type FileReference } from './mft-record.js';
import type { Mft, NtfsFile } from './mft.js';
import { ORPHAN_DIR, ROOT_RECORD } from './name-tree.js';

/** Directories followed upwards: NTFS paths are at most 32767 UTF-16 units, so fewer levels. */
export const MAX_PATH_LEVELS = 16384;

/** The first long (non-DOS) name of a file, if it has one that parses. */
export function firstLongName(file: NtfsFile): FileName | undefined {
  for (const attribute of file.attributes) {
    if (attribute.type !== ATTR_FILE_NAME || !attribute.value) continue;
    try {
      const name = parseFileName(attribute.value, `MFT record ${file.record.recordNumber}`, attribute.byteOffset);
      if (name.namespace !== NAMESPACE_DOS) return name;
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
    }
  }
  return undefined;
}

function isDirectory(file: NtfsFile): boolean {
  return (file.record.flags & RECORD_IS_DIRECTORY) !== 0 || file.attributes.some((a) => a.type === ATTR_INDEX_ROOT && a.name === '$I30');
}

/** The path of `name` listed in directory `parent`; `${ORPHAN_DIR}/name` when no chain reaches the root. */
export async function pathFromParents(mft: Mft, name: string, parent: FileReference): Promise<string> {
  const parts = [name];
  const seen = new Set<number>();
  for (let ref = parent; ref.record !== ROOT_RECORD; ) {
    if (seen.has(ref.record) || parts.length > MAX_PATH_LEVELS) return `${ORPHAN_DIR}/${name}`;
    seen.add(ref.record);
    let dir: NtfsFile;
    try {
      dir = await mft.loadFile(ref.record);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      return `${ORPHAN_DIR}/${name}`;
    }
    const sequence = dir.record.sequence;
    const attaches = sequence === ref.sequence || (!dir.record.inUse && sequence === ((ref.sequence + 1) & 0xffff));
    const link = attaches && isDirectory(dir) ? firstLongName(dir) : undefined;
    if (!link) return `${ORPHAN_DIR}/${name}`;
    parts.unshift(link.name);
    ref = link.parent;
  }
  return `/${parts.join('/')}`;
}
