/**
 * JSON.stringify(entry) on the entries every reader and the catalog give: bigint times would make
 * it throw, so `times` carries a non-enumerable toJSON writing nsToIso strings.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCatalog, catalogBindingOf, mountVolumes, openCatalog, serialsOf } from '../../src/catalog/index.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { openExt } from '../../src/fs/ext/volume.js';
import { openXfs } from '../../src/fs/xfs/volume.js';
import { openImage } from '../../src/image.js';
import { nsToIso } from '../../src/util/time.js';
import { manifest as extManifest, volumeSource as extSource } from '../ext/ext-images.js';
import { manifest as xfsManifest, volumeSource as xfsSource } from '../xfs/xfs-images.js';

const NTFS_IMAGE = resolve(__dirname, '../../test-images/ntfs/ntfs-mbr.vmdk');

async function collect(entries: AsyncIterable<FileEntry>): Promise<FileEntry[]> {
  const all: FileEntry[] = [];
  for await (const e of entries) all.push(e);
  return all;
}

/** Every entry stringifies, its times as the ISO strings of its bigints, and nothing else added. */
function expectIsoTimes(entries: FileEntry[]): void {
  expect(entries.length).toBeGreaterThan(3);
  for (const entry of entries) {
    const row = JSON.parse(JSON.stringify(entry));
    const expected = Object.fromEntries(Object.entries(entry.times).map(([k, ns]) => [k, nsToIso(ns as bigint)]));
    expect(row.times).toEqual(expected);
    expect(row.times.mtime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(Object.keys(entry.times).sort()).toEqual(Object.keys(expected).sort());
  }
}

describe('JSON.stringify(entry)', () => {
  it('NTFS (walk, stat and readDir) and its catalog', async () => {
    const image = await openImage(NTFS_IMAGE);
    try {
      const fs = await image.openFileSystem();
      const walked = await collect(fs.walk('/', { all: true, deleted: true }));
      expectIsoTimes(walked);
      expectIsoTimes([...(await fs.readDir('/', { all: true })), await fs.stat('/')]);
      const { volumes } = await mountVolumes(image);
      const catalog = await openCatalog(await buildCatalog({ binding: catalogBindingOf(image, serialsOf(volumes)), volumes }));
      expectIsoTimes(await collect(catalog.list(volumes[0]!.index, '/', { all: true, recursive: true })));
    } finally {
      await image.close();
    }
  });

  it('ext volumes', async () => {
    for (const volume of extManifest.volumes) {
      const fs = await openExt(extSource(volume.file));
      expectIsoTimes(await collect(fs.walk('/')));
    }
  });

  it('XFS volumes and a catalog of one', async () => {
    for (const volume of xfsManifest.volumes) {
      const fs = await openXfs(xfsSource(volume.file));
      expectIsoTimes(await collect(fs.walk('/')));
    }
    const fs = await openXfs(xfsSource(xfsManifest.volumes[0]!.file));
    const binding = { capacity: 1, cids: [], partitions: [{ index: 1, start: 0, size: 1, fs: fs.kind, serial: '' }] };
    const catalog = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs }] }));
    expectIsoTimes(await collect(catalog.list(1, '/', { recursive: true })));
  });
});
