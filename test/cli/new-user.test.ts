/**
 * What a new user meets first (issue 14, "Tried as a new user would"): --version on every
 * command, wrong invocations answered in grt's own words (not parseArgs's "argument is
 * ambiguous"), and messages that name the option to use.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { main as ls } from '../../src/cli/grt-ls.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as catalog } from '../../src/cli/grt-catalog.js';

const { version } = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
const COMMANDS = [['grt-ls', ls], ['grt-extract', extract], ['grt-catalog', catalog]] as const;

async function run(command: typeof ls, argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await command(argv, {
    stdout: { write: (c: string | Uint8Array) => ((stdout += String(c)), true) },
    stderr: { write: (c: string | Uint8Array) => ((stderr += String(c)), true) },
  });
  return { code, stdout, stderr };
}

describe('a new user', () => {
  it.each(COMMANDS)('%s --version (and -V) prints the package version, exit 0', async (name, command) => {
    for (const flag of ['--version', '-V']) {
      const result = await run(command, [flag]);
      expect(result).toEqual({ code: 0, stdout: `${name} ${version}\n`, stderr: '' });
    }
  });

  it.each(COMMANDS)('%s: usage mistakes in grt words, one line, exit 2', async (name, command) => {
    const cases: [string[], RegExp][] = [
      [['img', '--partition', '-1'], /^USAGE: --partition needs a value, and "-1" looks like an option \(write --partition=-1 if it is the value\)$/],
      [['img', '--bogus'], new RegExp(`^USAGE: unknown option --bogus \\(see ${name} --help; a PATH starting with "-" goes after --\\)$`)],
      [['img', '--partition'], new RegExp(`^USAGE: --partition needs a value \\(see ${name} --help\\)$`)],
      [['img', '--help=yes'], /^USAGE: --help takes no value$/],
    ];
    for (const [argv, expected] of cases) {
      const result = await run(command, argv);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const line = result.stderr.replace(new RegExp(`^${name}: `), '');
      expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
      expect(line.trimEnd()).toMatch(expected);
      expect(line).not.toMatch(/ambiguous|Did you forget|argument missing|Unknown option/);
    }
  });

  it.each(COMMANDS)('%s --help explains the image options itself, --version, and exit 1', async (_name, command) => {
    const { stdout } = await run(command, ['--help']);
    expect(stdout).toMatch(/--ignore-cid-mismatch +open a snapshot/);
    expect(stdout).not.toMatch(/as for grt-ls/);
    expect(stdout).toMatch(/-V, --version/);
    expect(stdout).toMatch(/^exit: 0 .*, 1 [^,]*interrupted/m);
  });

  it('grt-extract with nothing, or an image alone, says what is missing first', async () => {
    expect((await run(extract, [])).stderr).toBe('grt-extract: USAGE: give an IMAGE, the PATHs to restore and -o DIR (see --help)\n');
    expect((await run(extract, ['img'])).stderr).toBe('grt-extract: USAGE: no PATH to extract (or --disk for the whole disk)\n');
  });
});
