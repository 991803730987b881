/**
 * What a restore through the index reads (`grt-extract --index DB --backup ID PATH...`, or
 * `--version-of PATH [--before TIME]` for the newest backup before TIME holding PATH): the
 * backup's recorded image and catalog, and the volume holding the first path in that backup.
 */
import { GrtError } from '../errors.js';
import { openIndex } from './index.js';

export interface RestoreSource {
  backup: string;
  image: string;
  catalog: string;
  volume: number;
}

/** Characters that make a restore selection a glob (src/restore/select.ts). */
const GLOB_CHARS = /[*?[]/;

/** Which backup to restore from: one named, or the newest holding `versionOf` before `before`. */
export interface RestoreChoice {
  backup?: string;
  versionOf?: string;
  before?: Date;
}

export async function restoreSource(db: string, choice: RestoreChoice, paths: string[]): Promise<RestoreSource> {
  if ((choice.backup === undefined) === (choice.versionOf === undefined)) {
    throw new GrtError('USAGE', '--index needs --backup ID (see grt-index list) or --version-of PATH [--before TIME]');
  }
  if (choice.before && choice.versionOf === undefined) throw new GrtError('USAGE', '--before goes with --version-of PATH');
  const index = await openIndex(db);
  try {
    const found = choice.versionOf !== undefined ? await index.locateVersion(choice.versionOf, { restorable: true, ...(choice.before ? { before: choice.before } : {}) }) : undefined;
    const backup = found?.backup ?? choice.backup!;
    const [info] = (await index.list()).filter((b) => b.backup === backup);
    if (!info) throw new GrtError('NOT_FOUND', `no backup ${backup} in the index`);
    if (info.image === null || info.catalog === null) {
      throw new GrtError('USAGE', `backup ${backup} was added without ${info.image === null ? '--image' : 'a catalog path'}; give IMAGE and --catalog instead`);
    }
    const first = paths.find((p) => !GLOB_CHARS.test(p));
    const volume = found?.volume ?? (first !== undefined ? (await index.locate(backup, first.split(':')[0]!)).volume : info.volumes[0]!.index);
    return { backup, image: info.image, catalog: info.catalog, volume };
  } finally {
    await index.close();
  }
}

/** grt-extract's --index options: the source to restore from and the paths to restore (--version-of's when none are given). */
export async function restoreFromIndex(
  values: { index?: string; backup?: string; 'version-of'?: string; before?: string },
  positionals: string[],
): Promise<RestoreSource & { paths: string[] }> {
  const before = values.before === undefined ? undefined : new Date(values.before);
  if (before && Number.isNaN(before.getTime())) throw new GrtError('USAGE', `--before takes an ISO 8601 time, not ${JSON.stringify(values.before)}`);
  const versionOf = values['version-of'];
  const paths = positionals.length === 0 && versionOf !== undefined ? [versionOf] : positionals;
  const choice: RestoreChoice = { ...(values.backup !== undefined ? { backup: values.backup } : {}), ...(versionOf !== undefined ? { versionOf } : {}), ...(before ? { before } : {}) };
  return { ...(await restoreSource(values.index!, choice, paths)), paths };
}
