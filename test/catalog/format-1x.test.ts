/**
 * A catalog of format 1.1 (test-images/catalog/ntfs-mbr-1.1.grtc, written by an older grt) still
 * opens with the current reader: its listings equal the live volume's field by field, and every
 * stream restores through it with the live volume's bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CatalogFileSystem, openImageCatalog, type Catalog } from '../../src/catalog/index.js';
import type { FileSystem } from '../../src/fs/file-system.js';
import { openImage, type Image } from '../../src/image.js';
import { expectSameStreams } from './same-streams.js';
import { collect, view, sortByPath } from './listing.js';

const CATALOGS = resolve(__dirname, '../../test-images/catalog');
const OLD = join(CATALOGS, 'ntfs-mbr-1.1.grtc');
const IMAGE = resolve(__dirname, '../../test-images/ntfs/ntfs-mbr.vmdk');


describe.skipIf(!existsSync(OLD) || !existsSync(IMAGE))('a format 1.1 catalog', () => {
  let image: Image;
  let live: FileSystem;
  let catalog: Catalog;
  const bytes = existsSync(OLD) ? new Uint8Array(readFileSync(OLD)) : new Uint8Array(0);

  beforeAll(async () => {
    image = await openImage(IMAGE);
    live = await image.openFileSystem(1);
    catalog = await openImageCatalog(bytes, image);
  }, 30_000);
  afterAll(async () => {
    await image?.close();
  });

  it('is the committed file (manifest sha256) of format 1.1', () => {
    const manifest = JSON.parse(readFileSync(join(CATALOGS, 'manifest.json'), 'utf8')) as { images: { file: string; sha256: string }[] };
    const entry = manifest.images.find((i) => i.file === 'ntfs-mbr-1.1.grtc')!;
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.sha256);
    expect([bytes[8], bytes[9], bytes[10], bytes[11]]).toEqual([1, 0, 1, 0]);
  });

  it('lists every entry as the live volume does', async () => {
    const fs = new CatalogFileSystem(catalog, 1, image.disk);
    for (const options of [{}, { all: true, deleted: true }]) {
      const walked = await collect(fs.walk('/', options));
      expect(walked.length).toBeGreaterThan(1000);
      expect(sortByPath(walked)).toEqual(sortByPath(await collect(live.walk('/', options))));
    }
    for (const path of ['/', '/frag/a.txt', '/LINKS/HARDLINK.TXT']) expect(view(await fs.stat(path))).toEqual(view(await live.stat(path)));
  });

  it('restores every stream with the live bytes', async () => {
    const fs = new CatalogFileSystem(catalog, 1, image.disk);
    expect(await expectSameStreams(fs, live)).toBeGreaterThan(1000);
  }, 30_000);
});
