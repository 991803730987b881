/** Command-line parsing shared by the grt commands: node:util parseArgs, with mistakes as GrtError USAGE. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GrtError } from '../errors.js';

/** Options every command that opens an image accepts (passed to openDisk). */
export const IMAGE_OPTIONS = {
  parent: { type: 'string' },
  'add-disk': { type: 'string', multiple: true },
  'ignore-cid-mismatch': { type: 'boolean' },
  'allow-unsafe-extent-paths': { type: 'boolean' },
  fs: { type: 'string' },
  header: { type: 'string', multiple: true },
  endpoint: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies ParseArgsConfig['options'];

/** The help lines of IMAGE_OPTIONS and --help/--version, the same in every command's usage. */
export const IMAGE_HELP = `  --parent FILE     the parent disk of a snapshot delta (instead of the one it names)
  --add-disk FILE   one more disk of the same machine (repeatable; after IMAGE's, or a .vmx's)
  --ignore-cid-mismatch        open a snapshot whose parent's CID does not match
  --allow-unsafe-extent-paths  open extents named by absolute or ../ paths where they point
  --fs KIND         the file system to read where a partition holds two (see --info warnings)
  --header 'NAME: VALUE'  with an http(s):// IMAGE: sent to its origin only (repeatable)
  --endpoint URL    with an s3://bucket/key IMAGE: an S3-compatible store (AWS_ENDPOINT_URL)
  -h, --help        this text          -V, --version     grt's version`;

/** A command's option table (node:util parseArgs form). */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

export function parse<const O extends CommandOptions>(argv: string[], options: O, command = 'the command') {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new GrtError('USAGE', usageText(error, argv, command));
  }
}

/**

 * parseArgs's complaint in grt's words (its own text speaks of "ambiguous" arguments and
 * positional arguments in quotes). Known by its code and the option it names; anything else is
 * passed on as its first line.
 */
function usageText(error: unknown, argv: string[], command: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  const help = `see ${command} --help`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /^Unknown option '([^']*)'/.exec(message)?.[1] ?? 'given';
    return `unknown option ${option} (${help}; a PATH starting with "-" goes after --)`;
  }
  const option = /^Option '(?:-\w, )?(-[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== undefined) {
    if (/does not take an argument/.test(message)) return `${option} takes no value`;
    if (/argument missing/.test(message)) return `${option} needs a value (${help})`;
    if (/ambiguous/.test(message)) {
      const at = argv.indexOf(option);
      const value = at >= 0 ? argv[at + 1] : undefined;
      return value === undefined
        ? `${option} needs a value (${help})`
        : `${option} needs a value, and ${JSON.stringify(value)} looks like an option (write ${option}=${value} if it is the value)`;
    }
  }
  return message.split('\n')[0]!;
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

/** A whole number such as an MFT record number (`--mft N`). */
export function parseCount(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) throw new GrtError('USAGE', `${name} takes a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** One of `allowed`, or USAGE naming them. */
export function oneOf<T extends string>(text: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new GrtError('USAGE', `${name} must be one of ${allowed.join(', ')}`);
  return text as T;
}
