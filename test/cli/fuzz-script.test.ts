/** scripts/fuzz.mjs answers --help and wrong options in one line, before it builds anything (issue 14, item 8). */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = resolve(__dirname, '../../scripts/fuzz.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 20_000 });

describe('scripts/fuzz.mjs', () => {
  it('--help prints its usage, exit 0', () => {
    const result = run('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: node scripts\/fuzz\.mjs .*--minutes N/);
    expect(result.stderr).toBe('');
  });

  it('an unknown option or a bad number: one line, no stack trace, exit 2', () => {
    for (const args of [['--bogus'], ['--minutes', 'ten'], ['--seed']]) {
      const result = run(...args);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^fuzz: [^\n]+\(see --help\)\n$/);
    }
  });
});
