/**
 * CatalogFileSystem over the committed NTFS image: the same entries as the live volume, restores
 * that read only the file's own grains (counted under the sparse extent), the binding check of
 * openImageCatalog, and a one-pass build byte-identical to the walk + streamLayout build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GrtError } from '../../src/errors.js';
import {
  buildCatalog, buildImageCatalog, CatalogFileSystem, catalogBindingOf, chooseCatalogVolume, mountVolumes, openCatalog, openImageCatalog, serialsOf, type Catalog,
} from '../../src/catalog/index.js';
import type { FileEntry, FileSystem } from '../../src/fs/file-system.js';
import { openImage, type Image } from '../../src/image.js';
import { expectSameStreams } from './same-streams.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { FileSource } from '../../src/io/file-source.js';
import { restore } from '../../src/restore/index.js';
import { openSparseExtent } from '../../src/vmdk/index.js';
import { CountingSource } from '../helpers/counting-source.js';
import { collect, view, sortByPath } from './listing.js';

const IMAGES = resolve(__dirname, '../../test-images/ntfs');
const BASE = join(IMAGES, 'ntfs-mbr.vmdk');
const CHILD = join(IMAGES, 'ntfs-mbr-child2.vmdk');
/** Grain size of the qemu-img monolithicSparse image, and its grain table (512 entries × 4 bytes). */
const GRAIN_BYTES = 64 * 1024;
const GRAIN_TABLE_BYTES = 2048;


async function expectGrtError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(GrtError);
  expect((error as GrtError).code).toBe(code);
}

describe.skipIf(!existsSync(BASE))('CatalogFileSystem on ntfs-mbr.vmdk', () => {
  let image: Image;
  let live: FileSystem;
  let catalog: Catalog;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grt-catalog-fs-'));
    image = await openImage(BASE);
    const built = await buildImageCatalog(image, undefined);
    expect(built.volumes.map((v) => v.index)).toEqual([1]);
    catalog = await openImageCatalog(built.bytes!, image);
    live = await image.openFileSystem(1);
  }, 60_000);
  afterAll(async () => {
    await image?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stat, readDir and walk give the live volume entries', async () => {
    const fs = new CatalogFileSystem(catalog, 1, image.disk);
    expect(fs.info.serial).toBe(live.info.serial);
    for (const path of ['/', '/frag/a.txt', '/LINKS/HARDLINK.TXT', '/streams/file-with-streams.txt']) expect(view(await fs.stat(path))).toEqual(view(await live.stat(path)));
    for (const options of [{}, { all: true, deleted: true }]) {
      for (const path of ['/', '/links', '/streams', '/deleted']) {
        expect(sortByPath(await fs.readDir(path, options))).toEqual(sortByPath(await live.readDir(path, options)));
      }
      const walked = await collect(fs.walk('/', options));
      expect(walked.length).toBeGreaterThan(1000);
      expect(sortByPath(walked)).toEqual(sortByPath(await collect(live.walk('/', options))));
    }
  });

  it('reads every stream as the live volume does, and refuses what the live volume refuses', async () => {
    const fs = new CatalogFileSystem(catalog, 1, image.disk);
    expect(await expectSameStreams(fs, live)).toBeGreaterThan(1000);
    await expectGrtError(fs.openStream('/frag'), 'IS_A_DIRECTORY');
    await expectGrtError(fs.readDir('/frag/a.txt'), 'NOT_A_DIRECTORY');
    await expectGrtError(fs.stat('/no/such'), 'NOT_FOUND');
    await expectGrtError(new CatalogFileSystem(catalog, 1).openStream('/frag/a.txt'), 'USAGE');
    const withoutDisk = new CatalogFileSystem(catalog, 1);
    const layout = await withoutDisk.streamLayout('/frag/a.txt');
    expect(() => withoutDisk.openLayout(layout)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => new CatalogFileSystem(catalog, 7, image.disk)).toThrow(/no volume 7/);
    expect(chooseCatalogVolume(catalog, undefined)).toBe(1);
    expect(() => chooseCatalogVolume(catalog, 2)).toThrow(GrtError);
  }, 30_000);

  it('a restore reads one grain (plus its grain table) for a small file, about the size of a large one', async () => {
    // The disk under the catalog is the sparse extent itself, over a counting file source.
    const file = await FileSource.open(BASE);
    try {
      const counting = new CountingSource(file);
      const { extent } = await openSparseExtent(counting, { path: BASE });
      const disk: ByteSource = {
        size: extent.size,
        async read(offset, length) {
          const out = new Uint8Array(length);
          await extent.read(offset, out, async (o) => void o.fill(0));
          return out;
        },
      };
      expect(disk.size).toBe(image.disk.size);
      const cases = [
        // First: the grain table is read too (the extent keeps it for the later cases).
        { path: '/links/original.txt', size: 5000, limit: GRAIN_BYTES + GRAIN_TABLE_BYTES, reads: 2 },
        { path: '/frag/a.txt', size: 50800, limit: Math.ceil(50800 * 1.1) },
        { path: '/compressed/text.txt', size: 300000, limit: Math.ceil(300000 * 1.1) },
      ];
      for (const c of cases) {
        counting.reads = [];
        const fs = new CatalogFileSystem(await openCatalog(await buildCatalogBytes()), 1, disk);
        const to = join(dir, `minimal-${c.path.replace(/\//g, '_')}`);
        const summary = await restore({ fs, paths: [c.path], to });
        expect(summary.failed).toBe(0);
        expect(summary.bytes).toBe(c.size);
        const out = await readFile(join(to, c.path.slice(c.path.lastIndexOf('/') + 1)));
        expect(Buffer.from(out).equals(Buffer.from(await (await live.openStream(c.path)).read(0, c.size)))).toBe(true);
        expect(counting.bytesRead, c.path).toBeGreaterThan(0);
        expect(counting.bytesRead, c.path).toBeLessThanOrEqual(c.limit);
        if (c.reads !== undefined) expect(counting.reads.length).toBeLessThanOrEqual(c.reads);
      }
    } finally {
      await file.close();
    }
  }, 30_000);

  /** The catalog as bytes again (a fresh Catalog object: nothing cached from other tests). */
  async function buildCatalogBytes(): Promise<Uint8Array> {
    const { volumes } = await mountVolumes(image);
    return buildCatalog({ binding: catalogBindingOf(image, serialsOf(volumes)), volumes });
  }

  it('builds the same catalog in one MFT pass as by walking and asking each layout', async () => {
    const { volumes } = await mountVolumes(image);
    const binding = catalogBindingOf(image, serialsOf(volumes));
    const onePass = await buildCatalog({ binding, volumes });
    // The same volume seen through only the FileSystem contract (no scan): the walk path.
    const walkOnly = volumes.map((v) => {
      const fs = v.fs;
      const plain: FileSystem = {
        kind: fs.kind, info: fs.info,
        stat: (p) => fs.stat(p), readDir: (p, o) => fs.readDir(p, o), walk: (p, o) => fs.walk(p, o),
        openStream: (t, s) => fs.openStream(t, s), streamLayout: (t, s) => fs.streamLayout(t, s),
        nameRule: () => fs.nameRule(),
      };
      return { ...v, fs: plain };
    });
    const walked = await buildCatalog({ binding, volumes: walkOnly });
    // Files are in MFT order in one, in walk order in the other: the same entries and layouts.
    const [a, b] = [await openCatalog(onePass), await openCatalog(walked)];
    const options = { all: true, deleted: true, recursive: true };
    const listA = await collect(a.list(1, '/', options));
    const listB = await collect(b.list(1, '/', options));
    expect(listA.map(view)).toEqual(listB.map(view));
    expect(listA.length).toBeGreaterThan(1000);
    // A kept error names no path in the one-pass catalog (a file may have several).
    const outcome = (c: Catalog, e: FileEntry, name: string): unknown => {
      try {
        return c.layout(1, e, name);
      } catch (error) {
        return { code: (error as GrtError).code, message: (error as GrtError).message.replace(/ in \/.*$/, '') };
      }
    };
    let errors = 0;
    for (let i = 0; i < listA.length; i++) {
      const e = listA[i]!;
      for (const name of e.type === 'dir' ? e.streams.map((s) => s.name) : ['', ...e.streams.map((s) => s.name)]) {
        const want = outcome(b, listB[i]!, name);
        expect(outcome(a, e, name), `${e.path}:${name}`).toEqual(want);
        if ('code' in (want as object)) errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
  }, 30_000);

  it('openImageCatalog reads each catalogued volume serial (boot sector) and refuses another serial', async () => {
    const { volumes } = await mountVolumes(image);
    const binding = catalogBindingOf(image, serialsOf(volumes));
    expect(binding.partitions.find((p) => p.index === 1)?.serial).toBe(live.info.serial);
    const forged = { ...binding, partitions: binding.partitions.map((p) => (p.index === 1 ? { ...p, serial: '0123456789ABCDEF' } : p)) };
    const bytes = await buildCatalog({ binding: forged, volumes });
    const error = await openImageCatalog(bytes, image).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(GrtError);
    expect((error as GrtError).code).toBe('CATALOG_MISMATCH');
    expect((error as GrtError).message).toMatch(/serial/);
  });

  it('openImageCatalog refuses a catalog of another chain level with CATALOG_MISMATCH', async () => {
    const child = await openImage(CHILD);
    try {
      const other = await buildImageCatalog(child, undefined);
      await expectGrtError(openImageCatalog(other.bytes!, image), 'CATALOG_MISMATCH');
      // Without an image (listing only) it opens.
      expect((await openImageCatalog(other.bytes!)).volumes).toHaveLength(1);
    } finally {
      await child.close();
    }
  });
});
