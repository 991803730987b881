/**
 * `grt-catalog` over the ext4 fast-commit volume (test-images/ext-fastcommit/make.sh) lists the
 * state after the full commit and both fast commits, as e2fsck leaves it, says so among its
 * warnings, and restores through the catalog bit-exact.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as catalogCmd } from '../../src/cli/grt-catalog.js';
import { CatalogFileSystem, catalogSourceOf, chooseCatalogVolume, openImageCatalog } from '../../src/catalog/index.js';
import { openImage } from '../../src/image.js';
import { runCli } from '../helpers/run-cli.js';
import { FAST_COMMIT_IMAGE, fastCommitBytes, fastCommitManifest } from './fast-commit-images.js';

let dir: string;
let image: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-fast-commit-catalog-'));
  image = join(dir, FAST_COMMIT_IMAGE);
  await writeFile(image, fastCommitBytes());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('grt-catalog of a volume with fast commits', () => {
  it('says the fast commits were replayed, beside the journal', async () => {
    const { code, stdout, stderr } = await runCli(catalogCmd, [image, '-o', join(dir, 'json.cat'), '--json']);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { warnings: { code: string; message: string }[] };
    expect(report.warnings.map((w) => w.code)).toEqual(['JOURNAL_REPLAYED', 'FAST_COMMITS_REPLAYED']);
    expect(report.warnings[1]!.message).toBe('volume 0: fast commits replayed: 2 (in memory; the image is unchanged)');
  });

  it('lists the replayed state (the e2fsck oracle) and restores it through the catalog', async () => {
    const catalogFile = join(dir, 'plain.cat');
    const { code, stderr } = await runCli(catalogCmd, [image, '-o', catalogFile]);
    expect(code, stderr).toBe(0);
    const opened = await openImage(image);
    try {
      const catalog = await openImageCatalog(new Uint8Array(await readFile(catalogFile)), opened);
      const fs = new CatalogFileSystem(catalog, chooseCatalogVolume(catalog, undefined), catalogSourceOf(opened));
      const paths: string[] = [];
      for await (const entry of fs.walk('/')) if (!entry.path.startsWith('/lost+found')) paths.push(entry.path);
      expect(paths.sort()).toEqual(fastCommitManifest.entries.map((e) => e.path));
      for (const want of fastCommitManifest.entries.filter((e) => e.sha256 !== undefined)) {
        const stream = await fs.openStream(want.path);
        expect(createHash('sha256').update(await stream.read(0, stream.size)).digest('hex'), want.path).toBe(want.sha256);
        expect((await fs.stat(want.path)).mode, want.path).toBe(want.mode & 0o7777);
      }
    } finally {
      await opened.close();
    }
  });
});
