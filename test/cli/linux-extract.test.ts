/** grt-extract from an ext4 volume: owners and setuid restored as root, `--no-owner` keeps the restoring user's. */
import { lstatSync, readlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/grt-extract.js';
import { volumeBytes } from '../ext/ext-images.js';
import { runCli } from '../helpers/run-cli.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
let image: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-linux-extract-'));
  image = join(dir, 'ext4.img');
  writeFileSync(image, volumeBytes('ext4-4k.img.gz'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('grt-extract from ext4', () => {
  it('restores owner (as root), setuid and link text; --no-owner leaves the owner to the restoring user', async () => {
    const owned = join(dir, 'owned');
    expect((await runCli(main, [image, '/owned.txt', '/fast-link', '-o', owned])).code).toBe(0);
    const stat = lstatSync(join(owned, 'owned.txt'));
    expect(stat.mode & 0o7777).toBe(0o4750);
    expect([stat.uid, stat.gid]).toEqual(isRoot ? [100000, 2000] : [process.getuid?.(), process.getgid?.()]);
    expect(readlinkSync(join(owned, 'fast-link'))).toBe('hello.txt');

    const mine = join(dir, 'mine');
    expect((await runCli(main, [image, '/owned.txt', '-o', mine, '--no-owner'])).code).toBe(0);
    const plain = lstatSync(join(mine, 'owned.txt'));
    expect([plain.uid, plain.gid]).toEqual([process.getuid?.(), process.getgid?.()]);
    expect(plain.mode & 0o7777).toBe(isRoot ? 0o4750 : plain.mode & 0o7777);
  });
});
