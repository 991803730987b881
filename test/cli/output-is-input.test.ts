/**
 * No output may replace a file the command reads (issue 14, item 3): the image under the name of
 * a restored file, `--disk -o` onto the image, `--stdout` appended to it, a catalog written over
 * its image or over the catalog being read, a hard link to the image; and `grt-catalog -o` leaves
 * an existing file alone unless `--overwrite`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeSync, openSync } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as catalogCmd } from '../../src/cli/grt-catalog.js';
import type { CliIo } from '../../src/cli/output.js';

const IMAGE = resolve(__dirname, '../../test-images/ntfs/ntfs-mbr.vmdk');

async function run(command: typeof extract, argv: string[], stdoutFd?: number) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: Object.assign({ write: (c: string | Uint8Array) => ((stdout += typeof c === 'string' ? c : `<${c.length} bytes>`), true) }, stdoutFd === undefined ? {} : { fd: stdoutFd }),
    stderr: { write: (c: string | Uint8Array) => ((stderr += String(c)), true) },
  };
  const code = await command(argv, io);
  return { code, stdout, stderr };
}
const sha = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

let dir: string;
let original: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-output-input-'));
  original = await sha(IMAGE);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('grt-extract never writes over what it reads', () => {
  it('a restore with --overwrite into the image folder leaves the image that has a restored name', async () => {
    const image = join(dir, 'readme.txt'); // the image's root holds /readme.txt
    await copyFile(IMAGE, image);
    const result = await run(extract, [image, '/readme.txt', '/hardlink-in-root.txt', '-o', dir, '--overwrite']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/UNSAFE_PATH: .*a file this run reads/);
    expect(await sha(image)).toBe(original);
    expect((await stat(join(dir, 'hardlink-in-root.txt'))).size).toBe(5000); // the rest is restored
  });

  it('a hard link to the image (another name, same file) is not replaced either', async () => {
    const image = join(dir, 'img.vmdk');
    await copyFile(IMAGE, image);
    await mkdir(join(dir, 'out'));
    await link(image, join(dir, 'out', 'readme.txt'));
    const result = await run(extract, [image, '/readme.txt', '-o', join(dir, 'out'), '--overwrite']);
    expect(result.code).toBe(1);
    expect(await sha(join(dir, 'out', 'readme.txt'))).toBe(original);
  });

  it('--disk -o IMAGE is refused (with or without --overwrite); the image is intact', async () => {
    const image = join(dir, 'img.vmdk');
    await copyFile(IMAGE, image);
    for (const extra of [[], ['--overwrite']]) {
      const result = await run(extract, [image, '--disk', '-o', image, ...extra]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/UNSAFE_PATH: the target is .*img\.vmdk, a file this run reads/);
      expect(await sha(image)).toBe(original);
    }
  });

  it('--stdout into the image itself (>> IMAGE) is refused before a byte is written', async () => {
    const image = join(dir, 'img.vmdk');
    await copyFile(IMAGE, image);
    const fd = openSync(image, 'a');
    try {
      for (const args of [['--disk'], ['/readme.txt']]) {
        const result = await run(extract, [image, ...args, '--stdout'], fd);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/UNSAFE_PATH/);
      }
    } finally {
      closeSync(fd);
    }
    expect(await sha(image)).toBe(original);
  });

  it('the catalog being read is not replaced by a restored file of its name', async () => {
    const image = join(dir, 'img.vmdk');
    await copyFile(IMAGE, image);
    const catalog = join(dir, 'readme.txt');
    expect((await run(catalogCmd, [image, '-o', catalog])).code).toBe(0);
    const before = await sha(catalog);
    const result = await run(extract, ['--catalog', catalog, image, '/readme.txt', '-o', dir, '--overwrite']);
    expect(result.code).toBe(1);
    expect(await sha(catalog)).toBe(before);
  });
});

describe('grt-catalog -o', () => {
  it('refuses the image itself, even with --overwrite', async () => {
    const image = join(dir, 'img.vmdk');
    await copyFile(IMAGE, image);
    for (const extra of [[], ['--overwrite']]) {
      const result = await run(catalogCmd, [image, '-o', image, ...extra]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/UNSAFE_PATH: the target is .*, a file this run reads/);
      expect(await sha(image)).toBe(original);
    }
  });

  it('leaves an existing file unless --overwrite', async () => {
    const output = join(dir, 'files.grtc');
    await writeFile(output, 'keep me');
    const refused = await run(catalogCmd, [IMAGE, '-o', output]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/EXISTS: .*--overwrite/);
    expect(await readFile(output, 'utf8')).toBe('keep me');
    const replaced = await run(catalogCmd, [IMAGE, '-o', output, '--overwrite']);
    expect(replaced.code).toBe(0);
    expect((await readFile(output)).length).toBeGreaterThan(100);
  });
});
