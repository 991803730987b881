/**
 * The done-when VM of issues 16 and 17 (test-images/linux-vm/make.sh): two disks, /boot on a
 * partition, LVM2 over a partition of disk 1 and the whole of disk 2, with ext4 (linear across
 * both PVs), ext3, an ext4 whose last transaction is only in its journal, and XFS striped over both
 * PVs. Every file is listed and read through the .vmx and through a catalog of it, from sparse and
 * streamOptimized VMDKs, and compared with the manifest (debugfs / e2fsck -fy, the XFS protofile).
 *
 * Follow-up: restored files' metadata (modes, owners, links on disk) is the restore helper's; here
 * the listing's metadata and the restored content are checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openImage, type Image } from '../../src/image.js';
import { buildImageCatalog, CatalogFileSystem, catalogSourceOf, chooseCatalogVolume, openImageCatalog, type Catalog } from '../../src/catalog/index.js';
import type { FileEntry, FileSystem } from '../../src/fs/file-system.js';
import { CountingSource } from '../helpers/counting-source.js';

const dir = join(import.meta.dirname, '../../test-images/linux-vm');

interface ManifestEntry {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size?: number;
  sha256?: string;
  target?: string;
  kind?: string;
}
interface Manifest {
  vmx: { sparse: string; streamOptimized: string };
  disks: { sparse: string; streamOptimized: string }[];
  logicalVolumes: Record<string, { size: number; sha256: string }>;
  volumes: { id: string; fs: string; label: string; entries: ManifestEntry[]; journalOnly?: string[]; removedByJournal?: string[] }[];
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
let manifest: Manifest;
let work: string;

beforeAll(async () => {
  manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  work = await mkdtemp(join(tmpdir(), 'grt-linux-vm-'));
  for (const disk of manifest.disks) {
    for (const file of [disk.sparse, disk.streamOptimized]) await writeFile(join(work, file.replace(/\.gz$/, '')), gunzipSync(await readFile(join(dir, file))));
  }
  for (const vmx of Object.values(manifest.vmx)) await copyFile(join(dir, vmx), join(work, vmx));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** An entry as the manifest describes it. */
function described(entry: FileEntry, path: string): ManifestEntry {
  const out: ManifestEntry = { path, type: entry.type, mode: entry.mode!, uid: entry.uid!, gid: entry.gid!, mtime: Number(entry.times.mtime / 1_000_000_000n) };
  if (entry.type === 'file') out.size = entry.size;
  if (entry.target !== undefined) out.target = entry.target;
  if (entry.kind !== undefined) out.kind = entry.kind;
  return out;
}

/** Every entry below the root but lost+found, with each regular file's content hashed. */
async function listing(fs: FileSystem): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  for await (const entry of fs.walk('/')) {
    if (entry.path === '/lost+found' || entry.path.startsWith('/lost+found/')) continue;
    const row = described(entry, entry.path);
    if (entry.type === 'file') {
      const stream = await fs.openStream(entry);
      row.sha256 = sha(await stream.read(0, stream.size));
    }
    out.push(row);
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** The manifest's entries in the fields `described` gives. */
function expected(entries: ManifestEntry[]): ManifestEntry[] {
  return entries.map(({ path, type, mode, uid, gid, mtime, size, sha256, target, kind }) => ({
    path, type, mode, uid, gid, mtime, ...(size !== undefined ? { size } : {}), ...(target !== undefined ? { target } : {}), ...(kind !== undefined ? { kind } : {}), ...(sha256 !== undefined ? { sha256 } : {}),
  }));
}

for (const flavour of ['sparse', 'streamOptimized'] as const) {
  describe(`linux-vm, ${flavour} VMDKs, through its .vmx`, () => {
    let image: Image;
    let catalog: Catalog;

    beforeAll(async () => {
      image = await openImage(join(work, manifest.vmx[flavour]));
      const built = await buildImageCatalog(image, undefined);
      // The only warning: the journal volume's last transaction was replayed (in memory).
      expect(built.warnings.map((w) => w.code)).toEqual(['JOURNAL_REPLAYED']);
      catalog = await openImageCatalog(built.bytes!, image);
    });
    afterAll(async () => {
      await image?.close();
    });

    it('lists every volume as a tree: disk → partition (PV) → VG → LV', () => {
      const byId = new Map(image.layout.volumes.map((v) => [v.id, v]));
      expect([...byId.keys()]).toEqual(['1', '2', '2:0', 'linuxvg/root', 'linuxvg/legacy', 'linuxvg/journal', 'linuxvg/xfs']);
      expect(byId.get('2')).toMatchObject({ parent: 'disk:1', vg: 'vg:linuxvg', fs: 'lvm2' });
      expect(byId.get('2:0')).toMatchObject({ parent: 'disk:2', vg: 'vg:linuxvg', disk: 2 });
      expect(byId.get('linuxvg/xfs')).toMatchObject({ parent: 'vg:linuxvg', fs: 'xfs', segmentTypes: ['striped'] });
      expect(image.layout.groups).toEqual([{ id: 'vg:linuxvg', name: 'linuxvg', uuid: expect.any(String), pvs: ['2', '2:0'], lvs: ['linuxvg/root', 'linuxvg/legacy', 'linuxvg/journal', 'linuxvg/xfs'] }]);
      for (const [id, lv] of Object.entries(manifest.logicalVolumes)) expect(byId.get(id)!.size).toBe(lv.size);
    });

    it('reads each LV as the bytes its file system was made of', async () => {
      for (const [id, lv] of Object.entries(manifest.logicalVolumes)) {
        if (id === 'linuxvg/journal') continue; // its journal was written after the hash (make.sh)
        const source = image.layout.volumes.find((v) => v.id === id)!.source;
        expect(sha(await source.read(0, source.size)), id).toBe(lv.sha256);
      }
    });

    it('catalogs every volume of both disks and every LV, each by its id', () => {
      expect(catalog.volumes.map((v) => [v.id, v.fs])).toEqual(manifest.volumes.map((v) => [v.id, v.fs]));
      expect(catalog.binding.disks).toHaveLength(1);
    });

    it('lists and reads every file of every volume as the manifest has it, live and through the catalog', async () => {
      for (const volume of manifest.volumes) {
        const want = expected(volume.entries);
        const live = await image.openFileSystem(volume.id);
        expect(await listing(live), `${volume.id} live`).toEqual(want);
        const fromCatalog = new CatalogFileSystem(catalog, chooseCatalogVolume(catalog, volume.id), catalogSourceOf(image));
        expect(await listing(fromCatalog), `${volume.id} catalog`).toEqual(want);
        for (const path of volume.journalOnly ?? []) expect(want.some((e) => e.path === path)).toBe(true);
        for (const path of volume.removedByJournal ?? []) await expect(live.stat(path)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      }
    });

    it('restores through the catalog reading only the file’s own blocks', async () => {
      for (const [id, path] of [['linuxvg/root', '/var/lib/big.db'], ['linuxvg/xfs', '/srv/www/big.bin']] as const) {
        const counting = new CountingSource(catalogSourceOf(image));
        const fs = new CatalogFileSystem(catalog, chooseCatalogVolume(catalog, id), counting);
        const entry = await fs.stat(path);
        const layout = await fs.streamLayout(entry);
        // A run crossing a PV or stripe boundary became several: the file spans both disks.
        expect(new Set(layout.runs.map((r) => (r.sourceOffset! < image.disks[0]!.size ? 1 : 2))), `${id} ${path}`).toEqual(new Set([1, 2]));
        const stream = await fs.openStream(entry);
        const want = manifest.volumes.find((v) => v.id === id)!.entries.find((e) => e.path === path)!.sha256;
        expect(sha(await stream.read(0, stream.size))).toBe(want);
        const allocated = layout.runs.reduce((n, r) => n + (r.sourceOffset === null ? 0 : r.length), 0);
        expect(counting.bytesRead).toBeLessThanOrEqual(allocated);
        expect(counting.bytesRead).toBeGreaterThanOrEqual(entry.size);
      }
    });
  });
}

describe('linux-vm catalog binding', () => {
  it('refuses the catalog against disk 1 alone and against another VM', async () => {
    const image = await openImage(join(work, manifest.vmx.sparse));
    let bytes: Uint8Array;
    try {
      bytes = (await buildImageCatalog(image, undefined)).bytes!;
    } finally {
      await image.close();
    }
    const alone = await openImage(join(work, 'disk1.vmdk'));
    try {
      await expect(openImageCatalog(bytes, alone)).rejects.toMatchObject({ code: 'CATALOG_MISMATCH', message: expect.stringMatching(/disk 2 is missing/) });
    } finally {
      await alone.close();
    }
    const other = await openImage(join(work, manifest.vmx.streamOptimized));
    try {
      // The same bytes in other VMDK files: other CIDs, so another backup.
      await expect(openImageCatalog(bytes, other)).rejects.toMatchObject({ code: 'CATALOG_MISMATCH' });
    } finally {
      await other.close();
    }
  });
});
