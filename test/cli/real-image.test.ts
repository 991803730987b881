/** The CLIs on images made by real tools: committed qemu-img images and the shared fixtures. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main as ls } from '../../src/cli/grt-ls.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { runCli } from '../helpers/run-cli.js';

const ROOT = resolve(__dirname, '../..');
const QEMU = join(ROOT, 'test-images/qemu');
const SCALIBR = join(ROOT, '../shared/fixtures/osv-scalibr/valid-ext-exfat-fat32-ntfs.vmdk');
const manifest = JSON.parse(readFileSync(join(QEMU, 'manifest.json'), 'utf8')) as { images: { file: string; rawSha256: string | null; virtualSize: number }[] };

const run = runCli;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-cli-real-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('grt-extract --disk on qemu-img images', () => {
  for (const name of ['monolithicSparse.vmdk', 'streamOptimized.vmdk', 'chain-child2.vmdk', 'zeroed-grain.vmdk']) {
    it(name, async () => {
      const expected = manifest.images.find((i) => i.file === name)!;
      const file = join(dir, `${name}.raw`);
      const res = await run(extract, [join(QEMU, name), '--disk', '-o', file]);
      expect(res.stderr).toMatch(/^grt-extract: wrote 1\.0 MiB disk/);
      expect(res.code).toBe(0);
      const data = await readFile(file);
      expect(data.length).toBe(expected.virtualSize);
      expect(createHash('sha256').update(data).digest('hex')).toBe(expected.rawSha256);
      const piped = await run(extract, [join(QEMU, name), '--disk', '--stdout']);
      expect(createHash('sha256').update(piped.bytes).digest('hex')).toBe(expected.rawSha256);
      // Holes: the copy holds no more blocks than the data qemu wrote (well under the 1 MiB).
      expect((await stat(file)).blocks * 512).toBeLessThan(expected.virtualSize);
    });
  }

  it('--stdout into a regular file writes through its descriptor (as `> FILE` does), in order', async () => {
    const ntfs = JSON.parse(readFileSync(join(ROOT, 'test-images/ntfs/manifest.json'), 'utf8')) as { disks: { files: { streamOptimized: string }; rawSha256: string }[] };
    const cases = [
      { image: join(QEMU, 'streamOptimized.vmdk'), sha256: manifest.images.find((i) => i.file === 'streamOptimized.vmdk')!.rawSha256 },
      ...ntfs.disks.map((disk) => ({ image: join(ROOT, 'test-images/ntfs', disk.files.streamOptimized), sha256: disk.rawSha256 })),
    ];
    for (const { image, sha256 } of cases) {
      const file = join(dir, 'stdout.raw');
      const fd = openSync(file, 'w');
      // A stream that must not be written to: everything goes to the descriptor.
      const stdout = { fd, write: () => { throw new Error('wrote to the stream, not the descriptor'); } };
      try {
        expect(await extract([image, '--disk', '--stdout'], { stdout, stderr: { write: () => true } }), image).toBe(0);
      } finally {
        closeSync(fd);
      }
      expect(createHash('sha256').update(await readFile(file)).digest('hex'), image).toBe(sha256);
    }
  });

  it('--info shows the snapshot chain with each CID', async () => {
    const res = await run(ls, [join(QEMU, 'chain-child2.vmdk'), '--info', '--json']);
    expect(res.code).toBe(0);
    const info = JSON.parse(res.stdout);
    expect(info.image.chain.length).toBe(3);
    for (let i = 0; i + 1 < info.image.chain.length; i++) expect(info.image.chain[i].parentCid).toBe(info.image.chain[i + 1].cid);
  });
});

describe.skipIf(!existsSync(SCALIBR))('shared fixture: GPT with four file systems', () => {
  it('--info lists the partitions like mmls', async () => {
    const res = await run(ls, [SCALIBR, '--info', '--json']);
    expect(res.code).toBe(0);
    const info = JSON.parse(res.stdout);
    expect(info.partitions.map((p: { index: number; fs: string }) => `${p.index}:${p.fs}`)).toEqual(['1:ext4', '2:exfat', '3:fat32', '4:ntfs']);
    expect(info.partitions[3]).toMatchObject({ scheme: 'gpt', start: 393216 * 512, size: 129024 * 512 });
  });

  it('a partition grt cannot read: one line, exit 2', async () => {
    const res = await run(ls, [SCALIBR, '--partition', '2']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^grt-ls: UNSUPPORTED: partition 2 \(exfat[^)]*\): [^\n]+\n$/);
  });

  it('an image that is not one: exit 2, one line', async () => {
    const res = await run(ls, [join(ROOT, '../shared/fixtures/osv-scalibr/invalid.vmdk'), '--info']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^grt-ls: [A-Z_]+: [^\n]+\n$/);
  });
});
