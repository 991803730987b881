/**
 * `grt-catalog` over the ext4 fast-commit volume (test-images/ext/make-fast-commit.sh) says that
 * the fast commit is not replayed: a warning line on stderr, and the FAST_COMMIT_NOT_REPLAYED code
 * among the --json warnings, beside the journal replay.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as catalogCmd } from '../../src/cli/grt-catalog.js';
import { runCli } from '../helpers/run-cli.js';
import { volumeBytes } from './ext-images.js';

const FAST_COMMIT_TEXT = 'volume 0: ext4 fast commit for transaction 2 in the journal: grt does not replay fast commits, so the newest changes (made just before the backup) may be missing';

let dir: string;
let image: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-fast-commit-catalog-'));
  image = join(dir, 'ext4-fast-commit.img');
  await writeFile(image, volumeBytes('ext4-fast-commit.img.gz'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('grt-catalog of a volume with a fast commit', () => {
  it('prints the FAST_COMMIT_NOT_REPLAYED warning and still writes the catalog', async () => {
    const { code, stderr } = await runCli(catalogCmd, [image, '-o', join(dir, 'plain.cat')]);
    expect(code).toBe(0);
    expect(stderr).toContain(`grt-catalog: warning: ${FAST_COMMIT_TEXT}\n`);
  });

  it('lists it among the --json warnings with its code', async () => {
    const { code, stdout } = await runCli(catalogCmd, [image, '-o', join(dir, 'json.cat'), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { warnings: { code: string; message: string }[] };
    expect(report.warnings).toContainEqual({ code: 'FAST_COMMIT_NOT_REPLAYED', message: FAST_COMMIT_TEXT });
    expect(report.warnings.map((w) => w.code)).toContain('JOURNAL_REPLAYED');
  });
});
