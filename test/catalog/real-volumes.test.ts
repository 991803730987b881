/**
 * Catalogs of the real Windows 10 volumes in ../shared/fixtures/ntfs-samples (skipped where that
 * folder is absent): each builds (these hold files whose FILE_ATTRIBUTE_* value has bit 31 set)
 * and lists every entry, deleted and metadata files included, as the live volume does.
 */
import { describe, expect, it } from 'vitest';
import { buildCatalog, openCatalog } from '../../src/catalog/index.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { SliceSource } from '../../src/io/slice-source.js';
import { fixturePath, loadGzImage } from '../ntfs/gz-image.js';
import { collect, sortByPath } from './listing.js';

/** The fixtures' NTFS partition starts at sector 128. */
const PARTITION_OFFSET = 65536;
const NAMES = ['ntfs-2m', 'ntfs-lastaccess', 'ntfs-ptrn', 'ntfs-ramslack', 'ntfs-si-vs-fn'];


for (const name of NAMES) {
  describe.skipIf(!fixturePath(name))(`catalog of fixture ${name}`, () => {
    it('lists as the live volume', { timeout: 30_000 }, async () => {
      const source = loadGzImage(fixturePath(name)!, name === 'ntfs-lastaccess' ? 256 * 1024 * 1024 : undefined);
      const fs = await openNtfs(new SliceSource(source, PARTITION_OFFSET, source.size - PARTITION_OFFSET));
      const binding = { capacity: source.size, cids: [], partitions: [{ index: 1, start: PARTITION_OFFSET, size: source.size - PARTITION_OFFSET, fs: 'ntfs', serial: fs.info.serial }] };
      const catalog = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 1, start: PARTITION_OFFSET, fs }] }));
      const options = { all: true, deleted: true };
      const live = await collect(fs.walk('/', options));
      expect(live.length).toBeGreaterThan(20);
      expect(live.some((e) => (e.attributes ?? 0) >= 0x8000_0000)).toBe(true);
      expect(sortByPath(await collect(catalog.list(1, '/', { ...options, recursive: true })))).toEqual(sortByPath(live));
    });
  });
}
