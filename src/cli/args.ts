/** Command-line parsing shared by the grt commands: node:util parseArgs, with mistakes as GrtError USAGE. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GrtError } from '../errors.js';

/** Options every command that opens an image accepts (passed to openDisk). */
export const IMAGE_OPTIONS = {
  parent: { type: 'string' },
  'ignore-cid-mismatch': { type: 'boolean' },
  'allow-unsafe-extent-paths': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** A command's option table (node:util parseArgs form). */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

export function parse<const O extends CommandOptions>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs reports unknown options and missing values as TypeError with a one-line message.
    throw new GrtError('USAGE', error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
}

/**
 * A volume id as `--info` prints them: "N" (a partition of the first disk, "0" a whole disk),
 * "D:N" (partition N of disk D), "VG/LV" (a logical volume; LVM2 names: letters, digits, + _ . -).
 */
const VOLUME_ID = /^(\d{1,6}|\d{1,3}:\d{1,6}|[A-Za-z0-9+_.-]{1,128}\/[A-Za-z0-9+_.-]{1,128})$/;

export function parseVolumeId(text: string | undefined, name = '--partition'): string | undefined {
  if (text === undefined) return undefined;
  if (!VOLUME_ID.test(text)) throw new GrtError('USAGE', `${name} takes a volume id (N, D:N or VG/LV, see --info), not ${JSON.stringify(text)}`);
  return text;
}

/** Catalogs number their volumes by partition: a volume id that is one, as a number. */
export function catalogVolumeOf(id: string | undefined, name = '--partition'): number | undefined {
  if (id === undefined) return undefined;
  if (!/^\d{1,6}$/.test(id)) throw new GrtError('USAGE', `${name} ${id}: a catalog names its volumes by partition number`);
  return Number(id);
}

/** One of `allowed`, or USAGE naming them. */
export function oneOf<T extends string>(text: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new GrtError('USAGE', `${name} must be one of ${allowed.join(', ')}`);
  return text as T;
}
