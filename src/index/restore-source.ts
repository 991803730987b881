/**
 * What a restore through the index reads (`grt-extract --index DB --backup ID PATH...`): the
 * backup's recorded image and catalog, and the volume holding the first path in that backup.
 */
import { GrtError } from '../errors.js';
import { openIndex } from './index.js';

export interface RestoreSource {
  image: string;
  catalog: string;
  volume: number;
}

/** Characters that make a restore selection a glob (src/restore/select.ts). */
const GLOB_CHARS = /[*?[]/;

export async function restoreSource(db: string, backup: string | undefined, paths: string[]): Promise<RestoreSource> {
  if (backup === undefined) throw new GrtError('USAGE', '--index needs --backup ID (see grt-index list)');
  const index = await openIndex(db);
  try {
    const [info] = (await index.list()).filter((b) => b.backup === backup);
    if (!info) throw new GrtError('NOT_FOUND', `no backup ${backup} in the index`);
    if (info.image === null || info.catalog === null) {
      throw new GrtError('USAGE', `backup ${backup} was added without ${info.image === null ? '--image' : 'a catalog path'}; give IMAGE and --catalog instead`);
    }
    const first = paths.find((p) => !GLOB_CHARS.test(p));
    const volume = first !== undefined ? (await index.locate(backup, first.split(':')[0]!)).volume : info.volumes[0]!.index;
    return { image: info.image, catalog: info.catalog, volume };
  } finally {
    await index.close();
  }
}
