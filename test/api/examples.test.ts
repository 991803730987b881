/**
 * The examples under examples/ run as a user runs them (node, importing 'grt' and 'grt/catalog'),
 * against the committed test image, and print what the image holds (test-images/ntfs/manifest.json).
 * They import the package by name; here esbuild points those names at the sources, so the test needs
 * no build.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const IMAGE = join(ROOT, 'test-images/ntfs/ntfs-mbr.vmdk');
const README_SHA256 = '603464cb83a6a3fb9e02779c9809b1f301c299216879526110c4c79eba6b29d2'; // /readme.txt in the manifest

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-examples-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Bundle examples/NAME with 'grt' and 'grt/catalog' mapped to the sources, run it with `args`. */
async function example(name: string, ...args: string[]) {
  const esbuild = await import('esbuild');
  const outfile = join(dir, name);
  await esbuild.build({
    entryPoints: [join(ROOT, 'examples', name)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
    alias: { grt: join(ROOT, 'src/index.ts'), 'grt/catalog': join(ROOT, 'src/catalog/index.ts') },
  });
  const result = spawnSync(process.execPath, [outfile, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('examples/', () => {
  it('every example is run by this test', async () => {
    expect((await readdir(join(ROOT, 'examples'))).sort()).toEqual(['build-catalog.mjs', 'list-directory.mjs', 'read-file.mjs', 'restore-through-catalog.mjs', 'search-catalog.mjs']);
  });

  it('list-directory.mjs lists the root', async () => {
    const result = await example('list-directory.mjs', IMAGE, '/');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^file +24 {2}readme\.txt$/m);
    expect(result.stdout).toMatch(/^dir +0 {2}streams$/m);
  });

  it('read-file.mjs prints a file, and a GrtError for a missing one', async () => {
    const result = await example('read-file.mjs', IMAGE, '/readme.txt');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^\/readme\.txt: 24 bytes\n/);
    const missing = await example('read-file.mjs', IMAGE, '/no-such-file');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^NOT_FOUND: /);
  });

  it('build-catalog.mjs, search-catalog.mjs and restore-through-catalog.mjs: build, find, restore', async () => {
    const catalog = join(dir, 'ntfs-mbr.grtc');
    const built = await example('build-catalog.mjs', IMAGE, catalog);
    expect(built.status).toBe(0);
    expect(built.stdout).toMatch(/^volume 1 \(ntfs\): \d+ entries$/m);
    const found = await example('search-catalog.mjs', catalog, 'readme.txt');
    expect(found.status).toBe(0);
    expect(found.stdout).toMatch(/^1:\/readme\.txt 24$/m);
    const out = join(dir, 'restored');
    const restored = await example('restore-through-catalog.mjs', IMAGE, catalog, out, '/readme.txt');
    expect(restored.status).toBe(0);
    expect(restored.stdout).toMatch(/restored \/readme\.txt -> .*readme\.txt \(24 bytes\)\n1 restored, 0 failed\n$/);
    expect(createHash('sha256').update(await readFile(join(out, 'readme.txt'))).digest('hex')).toBe(README_SHA256);
  });
});
