/**
 * Every fixture in test-images/regressions/ (see its README): run through the fuzz harness (time
 * and memory limits) on the target named in its REPRO.txt, it must end in the GrtError its
 * directory is named after (`OK-…`: in a result). Fixtures whose bug is still open are in OPEN
 * and run as `it.fails`.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FuzzHarness, REPO_ROOT, describe as describeResult } from './harness.js';

const DIR = join(REPO_ROOT, 'test-images/regressions');
/** Fixture directories whose bug is not fixed yet (reported to the owner of the reader). */
const OPEN = new Set<string>([
]);

/** An open hang costs this much of the suite's time; a fixed input gets FIXED_MS (loaded machines are slow). */
const HANG_MS = 3000;
const FIXED_MS = 20_000;

interface Fixture {
  name: string;
  code: string;
  target: string;
  main: string;
}

function fixtures(): Fixture[] {
  if (!existsSync(DIR)) return [];
  return readdirSync(DIR)
    .filter((name) => statSync(join(DIR, name)).isDirectory() && !name.startsWith('UNTRIAGED-'))
    .filter((name) => existsSync(join(DIR, name, 'REPRO.txt')))
    .sort()
    .map((name) => {
      const repro = readFileSync(join(DIR, name, 'REPRO.txt'), 'utf8');
      const target = /target=(\S+)/.exec(repro)?.[1];
      const main = /^main file: (.+)$/m.exec(repro)?.[1];
      if (!target || !main) throw new Error(`${name}/REPRO.txt names no target or main file`);
      return { name, code: name.split('-')[0]!, target, main };
    });
}

const all = fixtures();
let harness: FuzzHarness;
beforeAll(async () => {
  if (all.length > 0) harness = await FuzzHarness.start({ workers: 1, timeoutMs: FIXED_MS });
});
afterAll(async () => {
  await harness?.close();
});

describe('fuzz regressions', () => {
  if (all.length === 0) it.todo('no fuzz regressions recorded yet');
  for (const f of all) {
    (OPEN.has(f.name) ? it.fails : it)(`${f.name}: ${f.target} ends in ${f.code}`, async () => {
      // The fixture's REPRO.txt is not an input file: the worker reads only the listed main and its siblings.
      const timeoutMs = OPEN.has(f.name) ? HANG_MS : FIXED_MS;
      const result = await harness.run({ target: f.target, seed: 0, timeoutMs, fixture: { dir: join(DIR, f.name), main: f.main } });
      if (f.code === 'OK') {
        expect(result.verdict, describeResult(result)).toBe('ok');
      } else if (f.code === 'ANY') {
        expect(['ok', 'grt'], describeResult(result)).toContain(result.verdict);
      } else {
        expect(result.verdict, describeResult(result)).toBe('grt');
        expect(result.code).toBe(f.code);
      }
    });
  }
});
