import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDisk } from '../../src/vmdk/index.js';
import { expectGrtError, openAndReadAllOrGrtError, readAll, withTempDir } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const images = join(root, 'test-images/vmdk');
const manifest = JSON.parse(await readFile(join(images, 'manifest.json'), 'utf8')) as Record<string, { size: number; sha256: string }>;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Copy the chain into `dir` and rewrite the grandchild's descriptor with `edit`. */
async function chainCopy(dir: string, edit: (text: string) => string, childDir = dir): Promise<string> {
  await mkdir(dir, { recursive: true });
  await mkdir(childDir, { recursive: true });
  for (const name of ['chain-base.vmdk', 'chain-child.vmdk']) await copyFile(join(images, name), join(childDir, name));
  await copyFile(join(images, 'chain-grand-s001.vmdk'), join(dir, 'chain-grand-s001.vmdk'));
  const text = (await readFile(join(images, 'chain-grand.vmdk'), 'latin1')).replace(/\0+$/, '');
  await writeFile(join(dir, 'chain-grand.vmdk'), edit(text), 'latin1');
  return join(dir, 'chain-grand.vmdk');
}
const setHint = (hint: string) => (text: string) => text.replace(/parentFileNameHint=".*"/, `parentFileNameHint="${hint}"`);

describe('snapshot chains', () => {
  it('damaged headers and embedded descriptors of a child fail only with GrtError', () =>
    withTempDir(async (dir) => {
      await copyFile(join(images, 'chain-base.vmdk'), join(dir, 'chain-base.vmdk'));
      const child = await readFile(join(images, 'chain-child.vmdk'));
      const path = join(dir, 'chain-child.vmdk');
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.nat(1535), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), async (edits) => {
          const damaged = Uint8Array.from(child);
          for (const [at, value] of edits) damaged[at] = value;
          await writeFile(path, damaged);
          await openAndReadAllOrGrtError(path);
        }),
        { seed: 5, numRuns: 120 },
      );
    }));

  it('finds a parent named by a Windows path beside the child', () =>
    withTempDir(async (dir) => {
      const disk = await openDisk(await chainCopy(dir, setHint('C:\\VMs\\Win 10\\chain-child.vmdk')));
      expect(sha256(await readAll(disk))).toBe(manifest['chain-grand.vmdk']!.sha256);
      await disk.close();
    }));

  it('follows a hint into a sibling directory, and an absolute one, only with allowUnsafeExtentPaths', () =>
    withTempDir(async (dir) => {
      const unsafe = { allowUnsafeExtentPaths: true };
      const siblingPath = await chainCopy(join(dir, 'snap'), setHint('../base/chain-child.vmdk'), join(dir, 'base'));
      await expectGrtError(() => openDisk(siblingPath), 'UNSAFE_PATH');
      const sibling = await openDisk(siblingPath, unsafe);
      expect(sibling.info.chain[1]!.path).toBe(join(dir, 'base/chain-child.vmdk'));
      await sibling.close();
      const absolutePath = await chainCopy(join(dir, 'snap2'), setHint(join(dir, 'base/chain-child.vmdk')), join(dir, 'base'));
      await expectGrtError(() => openDisk(absolutePath), 'UNSAFE_PATH');
      const absolute = await openDisk(absolutePath, unsafe);
      expect(sha256(await readAll(absolute))).toBe(manifest['chain-grand.vmdk']!.sha256);
      await absolute.close();
    }));

  it('refuses a CID mismatch unless asked, then warns', () =>
    withTempDir(async (dir) => {
      const path = await chainCopy(dir, (t) => t.replace(/parentCID=\w+/, 'parentCID=0badc0de'));
      const error = await expectGrtError(() => openDisk(path), 'CHAIN_MISMATCH');
      expect(error.expected).toBe('0badc0de');
      const disk = await openDisk(path, { ignoreCidMismatch: true });
      expect(disk.info.warnings.map((w) => w.code)).toEqual(['CHAIN_MISMATCH']);
      await disk.close();
    }));

  it('refuses cycles, over-long chains and missing parents; parentPath overrides the hint', () =>
    withTempDir(async (dir) => {
      const cyclic = await chainCopy(join(dir, 'cycle'), setHint('chain-grand.vmdk'));
      await expectGrtError(() => openDisk(cyclic), 'CHAIN_CYCLE');
      const good = await chainCopy(join(dir, 'ok'), (t) => t);
      await expectGrtError(() => openDisk(good, { maxChainDepth: 2 }), 'LIMIT_EXCEEDED');
      const lost = await chainCopy(join(dir, 'lost'), setHint('elsewhere/nothing.vmdk'));
      await expectGrtError(() => openDisk(lost), 'NOT_FOUND');
      const disk = await openDisk(lost, { parentPath: join(dir, 'ok/chain-child.vmdk') });
      expect(sha256(await readAll(disk))).toBe(manifest['chain-grand.vmdk']!.sha256);
      await disk.close();
    }));
});
