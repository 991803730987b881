/**
 * The done-when VM of issue 16 (test-images/linux-vm) restored onto this host: every file of every
 * volume (/boot, the root LV, the legacy ext3 LV, the LV whose last transaction is only in its
 * journal, the striped XFS LV), from the .vmx of sparse and of streamOptimized VMDKs, through the
 * image and through its catalog; compared with the manifest: content, mode (setuid/setgid/sticky),
 * owner (as root), mtime (the manifest's seconds, the reader's nanoseconds), symlink text, hard
 * links sharing an inode, FIFOs.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImageCatalog, CatalogFileSystem, catalogSourceOf, chooseCatalogVolume, openImageCatalog, type Catalog } from '../../src/catalog/index.js';
import type { FileEntry, FileSystem } from '../../src/fs/file-system.js';
import { openImage, type Image } from '../../src/image.js';
import { restore } from '../../src/restore/index.js';
import { describeTree, entriesOf } from './restored-tree.js';

const images = join(import.meta.dirname, '../../test-images/linux-vm');
const isRoot = process.getuid?.() === 0;
const NS_PER_SECOND = 1_000_000_000n;

interface ManifestEntry {
  path: string;
  type: string;
  kind?: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  links: number;
  sha256?: string;
  target?: string;
}
interface Manifest {
  vmx: { sparse: string; streamOptimized: string };
  disks: { sparse: string; streamOptimized: string }[];
  volumes: { id: string; entries: ManifestEntry[] }[];
}

let manifest: Manifest;
let work: string;
beforeAll(async () => {
  manifest = JSON.parse(await readFile(join(images, 'manifest.json'), 'utf8')) as Manifest;
  work = await mkdtemp(join(tmpdir(), 'grt-linux-vm-restore-'));
  for (const disk of manifest.disks) {
    for (const file of [disk.sparse, disk.streamOptimized]) await writeFile(join(work, file.replace(/\.gz$/, '')), gunzipSync(await readFile(join(images, file))));
  }
  for (const vmx of Object.values(manifest.vmx)) await copyFile(join(images, vmx), join(work, vmx));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

if (!isRoot) console.log('linux-vm restore: not running as root, owners are not checked (a restore as a user keeps its own)');

/** Restore the whole volume; nothing may fail, and the only warnings are sockets (none here). */
async function restoreVolume(fs: FileSystem, to: string): Promise<void> {
  const warnings: string[] = [];
  const summary = await restore({ fs, paths: ['/'], to, onEvent: (e) => (e.type === 'warning' || e.type === 'failure' ? warnings.push(`${e.path}: ${e.message}`) : undefined) });
  expect(summary.failed).toBe(0);
  expect(warnings).toEqual([]);
}

/** The restored tree against the manifest and the reader's entries (exact nanoseconds); gives how many files had several names. */
function check(tree: ReturnType<typeof describeTree>, want: ManifestEntry[], entries: Map<string, FileEntry>, label: string): number {
  for (const e of want) {
    const got = tree.get(e.path);
    const where = `${label} ${e.path}`;
    expect(got, where).toBeDefined();
    expect(got!.type, where).toBe(e.type === 'other' ? e.kind : e.type);
    if (e.type !== 'symlink') expect(got!.mode, where).toBe(e.mode);
    if (isRoot) expect([got!.uid, got!.gid], where).toEqual([e.uid, e.gid]);
    if (e.sha256 !== undefined) expect(got!.sha256, where).toBe(e.sha256);
    if (e.target !== undefined) expect(got!.target, where).toBe(e.target);
    const entry = entries.get(e.path)!;
    expect((got!.mtimeNs as bigint) / NS_PER_SECOND, where).toBe(BigInt(e.mtime));
    expect([got!.mtimeNs, got!.atimeNs], where).toEqual([entry.times.mtime, entry.times.atime]);
  }
  // Names of one inode (same reader id) are one restored file.
  const byInode = new Map<string, string[]>();
  for (const e of want.filter((x) => x.type === 'file' && x.links > 1)) {
    const key = JSON.stringify(entries.get(e.path)!.id);
    byInode.set(key, [...(byInode.get(key) ?? []), e.path]);
  }
  for (const paths of byInode.values()) expect(new Set(paths.map((p) => tree.get(p)!.sameAs)).size, `${label} ${paths.join(' ')}`).toBe(1);
  return byInode.size;
}

for (const flavour of ['sparse', 'streamOptimized'] as const) {
  describe(`linux-vm restore, ${flavour} VMDKs, through its .vmx`, () => {
    let image: Image;
    let catalog: Catalog;
    beforeAll(async () => {
      image = await openImage(join(work, manifest.vmx[flavour]));
      catalog = await openImageCatalog((await buildImageCatalog(image, undefined)).bytes!, image);
    });
    afterAll(async () => {
      await image?.close();
    });

    it('restores every file of every volume as the manifest has it, from the image and from the catalog alike', async () => {
      let hardLinked = 0;
      for (const volume of manifest.volumes) {
        const live = await image.openFileSystem(volume.id);
        const entries = await entriesOf(live);
        const label = `${flavour} ${volume.id}`;
        const to = join(work, flavour, volume.id.replace('/', '-'));
        await restoreVolume(live, to);
        const tree = describeTree(to);
        hardLinked += check(tree, volume.entries, entries, label);
        const viaCatalog = `${to}-catalog`;
        await restoreVolume(new CatalogFileSystem(catalog, chooseCatalogVolume(catalog, volume.id), catalogSourceOf(image)), viaCatalog);
        expect(describeTree(viaCatalog), `${label} catalog`).toEqual(tree);
      }
      expect(hardLinked).toBeGreaterThan(0);
    });
  });
}
