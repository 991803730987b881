/**
 * A catalog of format 3.0 (test-images/catalog/linux-vm-3.0.grtc: grt before catalogs held every
 * volume of a VM wrote it, with disk 1's partitions only) still opens with the 3.1 reader against
 * the VM it was made from, lists and restores its volume as the live one, and names no LV.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CatalogFileSystem, catalogSourceOf, chooseCatalogVolume, openImageCatalog, type Catalog } from '../../src/catalog/index.js';
import { openImage, type Image } from '../../src/image.js';
import { expectSameStreams } from './same-streams.js';
import { collect, sortByPath } from './listing.js';

const CATALOG = resolve(__dirname, '../../test-images/catalog/linux-vm-3.0.grtc');
const VM = resolve(__dirname, '../../test-images/linux-vm');

describe('a format 3.0 catalog of a two-disk VM', () => {
  let work: string;
  let image: Image;
  let catalog: Catalog;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'grt-catalog-30-'));
    for (const d of ['disk1', 'disk2']) await writeFile(join(work, `${d}.vmdk`), gunzipSync(await readFile(join(VM, `${d}.vmdk.gz`))));
    await copyFile(join(VM, 'vm.vmx'), join(work, 'vm.vmx'));
    image = await openImage(join(work, 'vm.vmx'));
    const bytes = new Uint8Array(await readFile(CATALOG));
    expect([bytes[8], bytes[9], bytes[10], bytes[11]]).toEqual([3, 0, 0, 0]);
    catalog = await openImageCatalog(bytes, image);
  });
  afterAll(async () => {
    await image?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('binds disk 1 only and holds partition 1, by its number and its id', () => {
    expect(catalog.binding.disks).toBeUndefined();
    expect(catalog.volumes.map((v) => [v.index, v.id, v.fs])).toEqual([[1, '1', 'ext4']]);
    expect(chooseCatalogVolume(catalog, '1')).toBe(1);
    expect(() => chooseCatalogVolume(catalog, 'linuxvg/root')).toThrow(/no volume linuxvg\/root in the catalog; volumes: 1 \(ext4 "boot"\)/);
  });

  it('lists and restores as the live volume', async () => {
    const live = await image.openFileSystem('1');
    const fs = new CatalogFileSystem(catalog, 1, catalogSourceOf(image));
    expect(sortByPath(await collect(fs.walk('/', { all: true })))).toEqual(sortByPath(await collect(live.walk('/', { all: true }))));
    expect(await expectSameStreams(fs, live)).toBeGreaterThan(3);
  });
});
