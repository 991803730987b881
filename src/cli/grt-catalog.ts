#!/usr/bin/env node
/**
 * grt-catalog: build a catalog of an image's files at backup time, and query it later without the
 * image. Arguments are parsed here; the catalog itself is not wired in yet (exit 2).
 *   grt-catalog build IMAGE [--partition N] -o CATALOG
 *   grt-catalog ls CATALOG [PATH|GLOB] [--json]
 */
import { GrtError } from '../errors.js';
import { IMAGE_OPTIONS, parse, parseIndex } from './args.js';
import { EXIT_OK, isMain, runAsScript, runCommand, type CliIo } from './output.js';

const NAME = 'grt-catalog';
const USAGE = `usage: grt-catalog build IMAGE [--partition N] -o CATALOG
       grt-catalog ls CATALOG [PATH|GLOB] [--json]
(not implemented yet)`;

const OPTIONS = {
  ...IMAGE_OPTIONS,
  partition: { type: 'string', short: 'p' },
  output: { type: 'string', short: 'o' },
  json: { type: 'boolean' },
} as const;

export async function main(argv: string[], io: CliIo): Promise<number> {
  return runCommand(NAME, io, async () => {
    const { values, positionals } = parse(argv, OPTIONS);
    if (values.help) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    }
    const [command] = positionals;
    if (command !== 'build' && command !== 'ls') throw new GrtError('USAGE', 'give a command: build or ls (see --help)');
    parseIndex(values.partition);
    throw new GrtError('UNSUPPORTED', `${command}: catalogs are not implemented yet`);
  });
}

if (isMain(import.meta.url)) runAsScript(main);
