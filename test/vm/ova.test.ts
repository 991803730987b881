/** OVA packages (test-images/ova, made by GNU tar, qemu-img and mke2fs): read in place, every tar format. */
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as ls } from '../../src/cli/grt-ls.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { commandInputs } from '../../src/cli/inputs.js';
import { openImage } from '../../src/image.js';
import { readTarIndex } from '../../src/io/sources/tar.js';
import { FileSource } from '../../src/io/file-source.js';
import { openOva } from '../../src/vm/ova.js';
import { verifyOva } from '../../src/vm/ova-manifest.js';
import { inputFileAt } from '../../src/restore/inputs.js';
import { runCli } from '../helpers/run-cli.js';
import { countingOpener } from './counting-opener.js';

const IMAGES = resolve(__dirname, '../../test-images/ova');
interface Manifest {
  packages: { file: string; format: string; disk1: string }[];
  disks: { order: number; label: string; rawSha256: string; files: { path: string; size: number; sha256: string }[] }[];
}
const manifest = JSON.parse(await readFile(join(IMAGES, 'manifest.json'), 'utf8')) as Manifest;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'grt-ova-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe.each(manifest.packages)('$file ($format tar)', ({ file, disk1 }) => {
  const path = join(IMAGES, file);

  it('lists the tar members as tar wrote them, the .ovf first', async () => {
    const source = await FileSource.open(path);
    try {
      const members = await readTarIndex(source);
      const base = file.replace(/\.ova$/, '');
      expect(members.map((m) => m.name)).toEqual([`${base}.ovf`, `${base}.mf`, disk1, `${base}-disk2.vmdk`]);
      expect(members.every((m) => m.type === 'file' && !m.truncated && m.dataOffset % 512 === 0)).toBe(true);
    } finally {
      await source.close();
    }
  });

  it('opens both disks in the DiskSection order (References lists them the other way), each the raw disk', async () => {
    const image = await openImage(path);
    try {
      expect(image.disks.map((d) => d.info.path)).toEqual([join(path, disk1), join(path, file.replace(/\.ova$/, '-disk2.vmdk'))]);
      expect(image.disks.map((d) => d.info.createType)).toEqual(['streamOptimized', 'streamOptimized']);
      for (const [i, disk] of image.disks.entries()) expect(sha256(await disk.read(0, disk.size))).toBe(manifest.disks[i]!.rawSha256);
      expect(image.layout.volumes.map((v) => [v.id, v.fs, v.label])).toEqual([['0', 'ext2', 'ova-disk1'], ['2:0', 'ext2', 'ova-disk2']]);
      // The .ova is what a restore must never replace, though each disk is a member of it.
      expect(commandInputs(image.disks).map((f) => f.ino)).toContain(inputFileAt(path)!.ino);
    } finally {
      await image.close();
    }
  });

  it('restores every file of both disks with the bytes mke2fs was given', async () => {
    for (const [i, disk] of manifest.disks.entries()) {
      for (const entry of disk.files) {
        const res = await runCli(extract, [path, '--partition', i === 0 ? '0' : '2:0', entry.path, '--stdout']);
        expect(res.stderr).toBe('');
        expect(sha256(res.bytes)).toBe(entry.sha256);
      }
    }
  });

  it('--verify finds every digest of the manifest right', async () => {
    const res = await runCli(ls, [path, '--verify', '--json']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string });
    expect(lines.map((l) => l.status)).toEqual(['ok', 'ok', 'ok']);
  });
});

describe('OVA checks', () => {
  it('--verify reports a disk whose bytes changed, and exits 1', async () => {
    const bytes = new Uint8Array(await readFile(join(IMAGES, 'vm.ova')));
    const source = await FileSource.open(join(IMAGES, 'vm.ova'));
    const disk = (await readTarIndex(source)).find((m) => m.name === 'vm-disk2.vmdk')!;
    await source.close();
    bytes[disk.dataOffset + 70_000]! ^= 0x01;
    const damaged = join(work, 'damaged.ova');
    await writeFile(damaged, bytes);
    const res = await runCli(ls, [damaged, '--verify']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^OK\s+SHA256\s+vm\.ovf$/m);
    expect(res.stdout).toMatch(/^MISMATCH\s+SHA256\s+vm-disk2\.vmdk\s+expected [0-9a-f]{64}, read [0-9a-f]{64}$/m);
  });

  it('an .ova known by its content under another name', async () => {
    const renamed = join(work, 'backup.bin');
    await copyFile(join(IMAGES, 'vm.ova'), renamed);
    const res = await runCli(ls, [renamed, '--partition', '2:0', '/']);
    expect(res.stderr).toBe('');
    expect(res.stdout.split('\n')).toContain('notes.txt');
  });

  it('the package closes the .ova with its last member, and verifyOva hashes each member once', async () => {
    const counting = countingOpener();
    const pkg = await openOva(counting, join(IMAGES, 'vm.ova'));
    const results = await verifyOva(pkg);
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(counting.counts.opened).toBe(1);
    expect(counting.counts.closed).toBe(0);
    await pkg.opener.release();
    expect(counting.counts.closed).toBe(1);
  });

  it('--parent is refused for a package', async () => {
    const res = await runCli(ls, [join(IMAGES, 'vm.ova'), '--parent', 'x.vmdk', '--info']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/USAGE/);
  });
});
