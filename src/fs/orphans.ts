/**
 * Orphans: files whose parent directory no chain of names reaches from the root (a damaged or
 * deleted directory). Readers list them under one virtual folder, so every file stays reachable;
 * catalogs rebuild the warning from the ids rather than store it.
 */
import type { GrtWarning } from '../errors.js';

/** The virtual folder orphans are listed in, directly under the root. */
export const ORPHAN_DIR = '/$Orphan';

/**
 * The warning a name listed directly under ORPHAN_DIR carries: file `record` names parent
 * `parentRecord`, which no chain reaches from the root. `unit` names the file number's kind.
 */
export function orphanWarning(record: number, parentRecord: number, unit = 'MFT record'): GrtWarning {
  return { code: 'ORPHAN', message: `${unit} ${record}: parent ${parentRecord} is not reachable from the root; listed under ${ORPHAN_DIR}` };
}
