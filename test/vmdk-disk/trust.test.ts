/**
 * What a hostile or damaged image may name: parent hints and extent names that leave their folder,
 * parents that are not the child's (no CID, or another CID), and files that are not regular files.
 * Each case here opened a host file, or hung, before the rules in src/io/source-opener.ts.
 */
import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { copyFile, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDisk } from '../../src/vmdk/index.js';
import { expectGrtError, pattern, withTempDir, writeDescriptor } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const images = join(root, 'test-images/vmdk');
const containers = join(root, 'test-images/trust-disk');

/** The chain's grandchild in `dir/vm`, its descriptor's parentFileNameHint set to `hint`. */
async function childNaming(dir: string, hint: string, parentCid = '33333333'): Promise<string> {
  await mkdir(join(dir, 'vm'), { recursive: true });
  await copyFile(join(images, 'chain-grand-s001.vmdk'), join(dir, 'vm/chain-grand-s001.vmdk'));
  const text = (await readFile(join(images, 'chain-grand.vmdk'), 'latin1')).replace(/\0+$/, '');
  const edited = text.replace(/parentFileNameHint=".*"/, `parentFileNameHint="${hint}"`).replace(/parentCID=\w+/, `parentCID=${parentCid}`);
  await writeFile(join(dir, 'vm/chain-grand.vmdk'), edited, 'latin1');
  return join(dir, 'vm/chain-grand.vmdk');
}

/** A "host file" outside the image's folder, as /etc/passwd or /srv/secret.bin would be. */
async function hostFile(dir: string): Promise<string> {
  await mkdir(join(dir, 'srv'), { recursive: true });
  const path = join(dir, 'srv/secret.bin');
  await writeFile(path, pattern(99, 4 * 1024 * 1024));
  return path;
}

describe('a parentFileNameHint outside the child\'s folder', () => {
  it('never opens a host file named by an absolute or escaping hint', () =>
    withTempDir(async (dir) => {
      const secret = await hostFile(dir);
      for (const hint of [secret, '../srv/secret.bin', '../../../../../../../../' + secret.slice(1), 'vm/../../srv/secret.bin']) {
        const child = await childNaming(dir, hint);
        const error = await expectGrtError(() => openDisk(child), 'UNSAFE_PATH');
        expect(error.message).toContain('--allow-unsafe-extent-paths');
      }
    }));

  it('with allowUnsafeExtentPaths still refuses a parent without a CID (a raw host file)', () =>
    withTempDir(async (dir) => {
      const secret = await hostFile(dir);
      const child = await childNaming(dir, secret);
      const error = await expectGrtError(() => openDisk(child, { allowUnsafeExtentPaths: true }), 'CHAIN_MISMATCH');
      expect(error.message).toContain('--ignore-cid-mismatch');
      expect(error.message).not.toContain('ignoreCidMismatch');
      const disk = await openDisk(child, { allowUnsafeExtentPaths: true, ignoreCidMismatch: true });
      expect(disk.info.chain[1]!.path).toBe(secret);
      expect(disk.info.warnings.map((w) => w.code)).toContain('CHAIN_MISMATCH');
      await disk.close();
    }));

  it('looks an absolute or escaping hint up by its base name beside the child', () =>
    withTempDir(async (dir) => {
      for (const hint of ['/vmfs/volumes/datastore1/web01/chain-child.vmdk', '../elsewhere/chain-child.vmdk', 'C:\\VMs\\web01\\chain-child.vmdk']) {
        const child = await childNaming(join(dir, String(hint.length)), hint);
        for (const name of ['chain-base.vmdk', 'chain-child.vmdk']) await copyFile(join(images, name), join(dirname(child), name));
        const disk = await openDisk(child);
        expect(disk.info.chain.map((l) => l.path)).toEqual([child, join(dirname(child), 'chain-child.vmdk'), join(dirname(child), 'chain-base.vmdk')]);
        await disk.close();
      }
    }));

  it('refuses a link beside the child that leads out of its folder', () =>
    withTempDir(async (dir) => {
      const secret = await hostFile(dir);
      const child = await childNaming(dir, 'parent.vmdk');
      await symlink(secret, join(dir, 'vm/parent.vmdk'));
      await expectGrtError(() => openDisk(child), 'UNSAFE_PATH');
    }));
});

describe('CID checks', () => {
  it('refuses a raw file beside the child as its parent, and names the flag that allows it', () =>
    withTempDir(async (dir) => {
      const child = await childNaming(dir, 'raw-parent.bin');
      await writeFile(join(dir, 'vm/raw-parent.bin'), pattern(7, 2 * 1024 * 1024));
      const error = await expectGrtError(() => openDisk(child), 'CHAIN_MISMATCH');
      expect(error.message).toContain('--ignore-cid-mismatch');
      const disk = await openDisk(child, { ignoreCidMismatch: true });
      expect(disk.info.warnings.filter((w) => w.code === 'CHAIN_MISMATCH')).toHaveLength(1);
      await disk.close();
    }));

  it('a mismatched CID names the CLI flag, not the option', () =>
    withTempDir(async (dir) => {
      const child = await childNaming(dir, 'chain-child.vmdk', '0badc0de');
      for (const name of ['chain-base.vmdk', 'chain-child.vmdk']) await copyFile(join(images, name), join(dir, 'vm', name));
      const error = await expectGrtError(() => openDisk(child), 'CHAIN_MISMATCH');
      expect(error.message).toContain('--ignore-cid-mismatch');
      expect(error.message).not.toContain('ignoreCidMismatch');
    }));
});

/** Make a FIFO at `path` (Node has no mkfifo). */
function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

describe('files that are not regular files', () => {
  const flatNaming = (file: string) => writeDescriptor({ extents: [{ access: 'RW', sectorCount: 2, type: 'FLAT', file, sectorOffset: 0 }] });

  it('refuses a FIFO, a directory or a link to a FIFO named as an extent, without hanging', { timeout: 5000 }, () =>
    withTempDir(async (dir) => {
      mkfifo(join(dir, 'pipe'));
      await mkdir(join(dir, 'folder'));
      await symlink(join(dir, 'pipe'), join(dir, 'to-pipe'));
      for (const name of ['pipe', 'folder', 'to-pipe']) {
        await writeFile(join(dir, 'd.vmdk'), flatNaming(name));
        const error = await expectGrtError(() => openDisk(join(dir, 'd.vmdk')), 'UNSUPPORTED');
        expect(error.message).toMatch(/not a regular file/);
      }
    }));

  it('refuses a FIFO or a character device given as the image, and one named as a parent', { timeout: 5000 }, () =>
    withTempDir(async (dir) => {
      mkfifo(join(dir, 'pipe.vmdk'));
      await expectGrtError(() => openDisk(join(dir, 'pipe.vmdk')), 'UNSUPPORTED');
      await expectGrtError(() => openDisk('/dev/zero'), 'UNSUPPORTED');
      const child = await childNaming(dir, 'parent-pipe');
      mkfifo(join(dir, 'vm/parent-pipe'));
      await expectGrtError(() => openDisk(child, { ignoreCidMismatch: true }), 'UNSUPPORTED');
    }));
});

describe('inputFiles', () => {
  it('names every file a chain read, with its device and inode', () =>
    withTempDir(async (dir) => {
      const child = await childNaming(dir, 'chain-child.vmdk');
      for (const name of ['chain-base.vmdk', 'chain-child.vmdk']) await copyFile(join(images, name), join(dir, 'vm', name));
      const disk = await openDisk(child);
      const names = ['chain-grand.vmdk', 'chain-grand-s001.vmdk', 'chain-child.vmdk', 'chain-base.vmdk'];
      const expected = await Promise.all(
        names.map(async (name) => {
          const s = await stat(join(dir, 'vm', name), { bigint: true });
          return { path: join(dir, 'vm', name), dev: s.dev, ino: s.ino };
        }),
      );
      expect([...disk.inputFiles()].sort((a, b) => a.path.localeCompare(b.path))).toEqual(expected.sort((a, b) => a.path.localeCompare(b.path)));
      await disk.close();
    }));
});

describe('files that are not VMDK or raw disks', () => {
  it('names another container instead of reading it as a raw disk', () =>
    withTempDir(async (dir) => {
      const manifest = JSON.parse(await readFile(join(containers, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
      for (const [gz, what] of Object.entries(manifest.files)) {
        const path = join(dir, gz.replace(/\.gz$/, ''));
        await writeFile(path, gunzipSync(await readFile(join(containers, gz))));
        const error = await expectGrtError(() => openDisk(path), 'UNSUPPORTED');
        expect(error.message).toContain(`${what}; grt reads VMDK and raw disks`);
        // The same file named .vmdk is no more a VMDK.
        await writeFile(path + '.vmdk', await readFile(path));
        expect((await expectGrtError(() => openDisk(path + '.vmdk'), 'UNSUPPORTED')).message).toContain(what);
      }
    }));

  it('sends a catalog to --catalog, and calls text or an empty file not a disk image', () =>
    withTempDir(async (dir) => {
      const catalog = await expectGrtError(() => openDisk(join(root, 'test-images/catalog/ntfs-mbr-1.1.grtc')), 'UNSUPPORTED');
      expect(catalog.message).toContain('a grt catalog: use --catalog');
      await writeFile(join(dir, 'notes.txt'), 'hello world\n');
      expect((await expectGrtError(() => openDisk(join(dir, 'notes.txt')), 'UNSUPPORTED')).message).toContain('not a disk image');
      await writeFile(join(dir, 'empty.img'), '');
      expect((await expectGrtError(() => openDisk(join(dir, 'empty.img')), 'UNSUPPORTED')).message).toContain('not a disk image');
    }));
});
