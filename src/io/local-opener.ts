/**
 * The default SourceOpener: local files, opened read-only as FileSource (regular files only).
 * Locations are paths; a name's folder is the directory of the file naming it.
 */
import { realpath } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { FileSource } from './file-source.js';
import type { OpenedSource, ParsedName, Placement, SourceOpener } from './source-opener.js';

export class LocalFileOpener implements SourceOpener {
  async open(location: string): Promise<OpenedSource> {
    return FileSource.open(location);
  }

  inFolder(base: string, components: readonly string[]): string {
    return resolve(dirname(base), ...components);
  }

  /** A Windows path means nothing on this host; a POSIX one is taken as written (relative to the folder). */
  original(base: string, name: ParsedName): string | undefined {
    if (name.windows) return undefined;
    return resolve(dirname(base), name.name.replace(/\\/g, '/'));
  }

  async place(base: string, location: string): Promise<Placement> {
    const real = await realpath(location).catch(() => undefined);
    if (real === undefined) return 'missing';
    const folder = await realpath(dirname(base)).catch(() => dirname(base));
    return real.startsWith(folder.endsWith(sep) ? folder : folder + sep) ? 'inside' : 'outside';
  }
}

/** The opener `openDisk` uses when the caller gives none. */
export const localFileOpener: SourceOpener = new LocalFileOpener();
