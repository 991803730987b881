/** grt-extract --index DB --backup ID: restores from the image and catalog the index recorded. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildImageCatalog } from '../../src/catalog/index.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { openImage } from '../../src/image.js';
import { openIndex } from '../../src/index/index.js';

const dir = mkdtempSync(join(tmpdir(), 'grt-index-extract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const code = await extract(argv, { stdout: { write: () => true }, stderr: { write: (c) => (err.push(String(c)), true) }, env: {} });
  return { code, stderr: err.join('') };
}

it('restores a file of a backup through the index, and says what is missing otherwise', async () => {
  const db = join(dir, 'index.sqlite');
  const index = await openIndex(db);
  for (const [i, file] of ['ntfs-mbr.vmdk', 'ntfs-mbr-child2.vmdk'].entries()) {
    const imagePath = resolve(`test-images/ntfs/${file}`);
    const image = await openImage(imagePath);
    const catalog = join(dir, `${i}.grtcat`);
    await buildImageCatalog(image, catalog);
    await image.close();
    await index.add(catalog, { backup: `b${i}`, vm: 'pc', image: imagePath, time: new Date(Date.UTC(2024, 2, 1 + i)) });
  }
  await index.add(join(dir, '0.grtcat'), { backup: 'no-image', vm: 'other', time: new Date(Date.UTC(2024, 2, 9)) });
  await index.close();
  const out = join(dir, 'out');
  const result = await run(['--index', db, '--backup', 'b1', '/chain/added-in-child2.txt', '-o', out]);
  expect(result.code, result.stderr).toBe(0);
  const sha = createHash('sha256').update(readFileSync(join(out, 'added-in-child2.txt'))).digest('hex');
  expect(sha).toBe('d12d461c7c810f5b03aec1efdc0391a11095428d1059165c4fd1ae502bc77623');
  // "The version from before it was overwritten": b0 (2024-03-01) held 10,000 bytes, b1 3,000.
  const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
  for (const [before, expected] of [
    [['--before', '2024-03-02T00:00:00Z'], '0943dc78cc1413c403e6aecec0e15c691cf1e2508f81ba450174c8e7a7b23ddf'],
    [[], '8ab09d4334315e804d0fab54f19df8403316df0a1963d2d34460fece865e3398'],
  ] as const) {
    const target = join(dir, `story-${before.length}`);
    const restored = await run(['--index', db, '--version-of', '/chain/story.txt', ...before, '-o', target]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(sha256(join(target, 'story.txt'))).toBe(expected);
  }
  for (const [argv, message] of [
    [['--index', db, '--version-of', '/chain/story.txt', '--before', '2024-03-01T00:00:00Z', '-o', out], /no backup with an image before 2024-03-01T00:00:00.000Z holds/],
    [['--index', db, '--version-of', '/chain/story.txt', '--before', 'soon', '-o', out], /ISO 8601/],
    [['--index', db, '--backup', 'b1', '--version-of', '/chain/story.txt', '-o', out], /--backup ID .* or --version-of/],
    [['--version-of', '/chain/story.txt', '-o', out], /go with --index/],
    [['--index', db, '/chain/story.txt', '-o', out], /--backup/],
    [['--index', db, '--backup', 'b0', '/chain/added-in-child2.txt', '-o', out], /not in backup b0/],
    [['--index', db, '--backup', 'no-image', '/chain/story.txt', '-o', out], /without --image/],
    [['--index', db, '--backup', 'nosuch', '/x', '-o', out], /no backup nosuch/],
  ] as const) {
    const failed = await run([...argv]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(message);
  }
}, 60_000);
