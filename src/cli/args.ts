/** Command-line parsing shared by the grt commands: node:util parseArgs, with mistakes as GrtError USAGE. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GrtError } from '../errors.js';

/** Options every command that opens an image accepts (passed to openDisk). */
export const IMAGE_OPTIONS = {
  parent: { type: 'string' },
  'ignore-cid-mismatch': { type: 'boolean' },
  'allow-unsafe-extent-paths': { type: 'boolean' },
  header: { type: 'string', multiple: true },
  endpoint: { type: 'string' },
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

/** A partition number as `--partition` gives it. */
export function parseIndex(text: string | undefined, name = '--partition'): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,6}$/.test(text)) throw new GrtError('USAGE', `${name} takes a partition number, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** One of `allowed`, or USAGE naming them. */
export function oneOf<T extends string>(text: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new GrtError('USAGE', `${name} must be one of ${allowed.join(', ')}`);
  return text as T;
}
