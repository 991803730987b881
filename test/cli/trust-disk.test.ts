/**
 * What every command says about an IMAGE that is not one: missing, another container, a catalog,
 * text, a FIFO; and the disk layer's warnings, which every command must print.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as catalog } from '../../src/cli/grt-catalog.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as ls } from '../../src/cli/grt-ls.js';

const ROOT = resolve(__dirname, '../..');

async function run(command: typeof ls, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (to: string[]) => ({ write: (c: string | Uint8Array) => (to.push(typeof c === 'string' ? c : `<${c.length} bytes>`), true) });
  const code = await command(argv, { stdout: sink(out), stderr: sink(err) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Each command as a user runs it on IMAGE, with `dir` for outputs. */
const commands = (dir: string) =>
  [
    ['grt-ls', ls, (image: string) => [image, '--info']],
    ['grt-extract', extract, (image: string) => [image, '--disk', '-o', join(dir, 'out.raw')]],
    ['grt-catalog', catalog, (image: string) => [image, '-o', join(dir, 'out.grtc')]],
  ] as const;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-cli-trust-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('an IMAGE that is not a disk image', () => {
  it('a missing image is NOT_FOUND in every command', async () => {
    for (const [name, command, argv] of commands(dir)) {
      const res = await run(command, argv(join(dir, 'missing.img')));
      expect({ name, code: res.code, stderr: res.stderr }).toMatchObject({ code: 2, stderr: expect.stringMatching(new RegExp(`^${name}: NOT_FOUND: `)) });
    }
  });

  it('another container, a catalog or a text file is named, and nothing is written', async () => {
    const qcow2 = join(dir, 'disk.qcow2');
    await writeFile(qcow2, gunzipSync(await readFile(join(ROOT, 'test-images/trust-disk/qcow2-v3.qcow2.gz'))));
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'hello world\n');
    const cases = [
      [qcow2, 'a QCOW2 image (version 3); grt reads VMDK and raw disks'],
      [text, 'not a disk image'],
      [join(ROOT, 'test-images/catalog/ntfs-mbr-1.1.grtc'), 'a grt catalog: use --catalog'],
    ] as const;
    for (const [image, says] of cases) {
      for (const [name, command, argv] of commands(dir)) {
        if (name === 'grt-catalog' && image.endsWith('.grtc')) continue; // grt-catalog exports a catalog
        const res = await run(command, argv(image));
        expect({ name, image, code: res.code }).toEqual({ name, image, code: 2 });
        expect(res.stderr).toContain(`UNSUPPORTED: `);
        expect(res.stderr).toContain(says);
        expect(existsSync(join(dir, 'out.raw'))).toBe(false);
      }
    }
  });

  it('a FIFO given as IMAGE or as --catalog is refused, not waited on', { timeout: 10_000 }, async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    for (const [, command, argv] of commands(dir)) {
      const res = await run(command, argv(fifo));
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/UNSUPPORTED: .*not a regular file \(a FIFO\)/);
    }
    const res = await run(ls, ['--catalog', fifo, '/']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/not a regular file/);
  });
});

describe('the disk layer\'s warnings', () => {
  /** The NTFS test disk behind a descriptor with a line no reader understands: a warning on open. */
  async function damagedDescriptor(): Promise<string> {
    const { copyFile } = await import('node:fs/promises');
    await copyFile(join(ROOT, 'test-images/ntfs/ntfs-mbr.vmdk'), join(dir, 'ntfs-mbr.vmdk'));
    const text = ['# Disk DescriptorFile', 'version=1', 'CID=fffffffe', 'parentCID=ffffffff', 'createType="monolithicSparse"', 'RW 9856 SPARSE "ntfs-mbr.vmdk"', 'XW 99 FLAT "lost.bin"', ''];
    await writeFile(join(dir, 'damaged.vmdk'), text.join('\n'));
    return join(dir, 'damaged.vmdk');
  }
  const says = /descriptor line 7 not understood/;

  it('every command prints them on stderr, and --json carries them', async () => {
    const image = await damagedDescriptor();
    const listed = await run(ls, [image, '/']);
    expect(listed.code).toBe(0);
    expect(listed.stderr).toMatch(new RegExp(`^grt-ls: warning: ${says.source}`, 'm'));
    const info = await run(ls, [image, '--info', '--json']);
    expect(info.stderr).toMatch(says);
    expect((JSON.parse(info.stdout) as { warnings: { message: string }[] }).warnings.map((w) => w.message)).toEqual([expect.stringMatching(says)]);
    const disk = await run(extract, [image, '--disk', '-o', join(dir, 'warned.raw'), '--json']);
    expect(disk.code).toBe(0);
    expect(disk.stderr).toMatch(new RegExp(`^grt-extract: warning: ${says.source}`, 'm'));
    const events = disk.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; message?: string });
    expect(events[0]).toMatchObject({ type: 'warning', message: expect.stringMatching(says) });
    const built = await run(catalog, [image, '-o', join(dir, 'warned.grtc'), '--json']);
    expect(built.code).toBe(0);
    expect(built.stderr).toMatch(new RegExp(`^grt-catalog: warning: ${says.source}`, 'm'));
    expect((JSON.parse(built.stdout) as { warnings: { message: string }[] }).warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(says));
  });

  const govmomi = join(ROOT, '../shared/fixtures/govmomi/ttylinux-pc_i486-16.1-disk1.vmdk');
  it.skipIf(!existsSync(govmomi))('--info of a cut-off export warns on stderr', async () => {
    const res = await run(ls, [govmomi, '--info']);
    expect(res.stderr).toMatch(/^grt-ls: warning: footer missing; grain map recovered/m);
  });
  if (!existsSync(govmomi)) console.warn(`cli trust-disk: ${govmomi} is absent; its test skipped`);
});

describe('a snapshot child whose parentFileNameHint names a host file', () => {
  it('grt-extract --disk --stdout refuses it, and says which flag would allow it', async () => {
    const { copyFile, mkdir } = await import('node:fs/promises');
    const images = join(ROOT, 'test-images/vmdk');
    await mkdir(join(dir, 'vm'), { recursive: true });
    await copyFile(join(images, 'chain-grand-s001.vmdk'), join(dir, 'vm/chain-grand-s001.vmdk'));
    await writeFile(join(dir, 'host-secret.bin'), Buffer.alloc(2 * 1024 * 1024, 0xe5));
    const text = (await readFile(join(images, 'chain-grand.vmdk'), 'latin1')).replace(/\0+$/, '');
    for (const hint of [join(dir, 'host-secret.bin'), '../host-secret.bin', '/etc/passwd']) {
      await writeFile(join(dir, 'vm/child.vmdk'), text.replace(/parentFileNameHint=".*"/, `parentFileNameHint="${hint}"`), 'latin1');
      const res = await run(extract, [join(dir, 'vm/child.vmdk'), '--disk', '--stdout']);
      expect({ hint, code: res.code, stdout: res.stdout }).toEqual({ hint, code: 2, stdout: '' });
      expect(res.stderr).toMatch(/^grt-extract: UNSAFE_PATH: parentFileNameHint .*--allow-unsafe-extent-paths/);
    }
    // Allowed to look there, /etc/passwd is text, not a disk; a binary host file has no CID: both refused.
    const passwd = await run(extract, [join(dir, 'vm/child.vmdk'), '--disk', '--stdout', '--allow-unsafe-extent-paths']);
    expect(passwd.code).toBe(2);
    expect(passwd.stderr).toMatch(/^grt-extract: UNSUPPORTED: passwd is a text file, not a disk image/);
    await writeFile(join(dir, 'vm/child.vmdk'), text.replace(/parentFileNameHint=".*"/, 'parentFileNameHint="../host-secret.bin"'), 'latin1');
    const res = await run(extract, [join(dir, 'vm/child.vmdk'), '--disk', '--stdout', '--allow-unsafe-extent-paths']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^grt-extract: CHAIN_MISMATCH: .*--ignore-cid-mismatch/);
  });
});
