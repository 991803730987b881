/**
 * A directory lists in index order (names upper-cased through $UpCase, then exact units) whether
 * it is read live — block by block an index is sorted only within each block — or from a catalog.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCatalog, CatalogFileSystem, openCatalog, type CatalogBinding } from '../../src/catalog/index.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { arbNtfsName, buildNtfsVolume, upcaseName } from '../builders/ntfs-builder.js';

// Enough names for several INDX blocks, unicode among them (one per upper-cased form: the builder
// writes Win32 names; names equal but for case are covered on the ntfs-3g images).
const NAMES = [...new Map(fc.sample(arbNtfsName, { seed: 7, numRuns: 600 }).map((n) => [upcaseName(n), n])).values()];

describe('directory listing order', () => {
  it('is index order, live and from a catalog alike, for a directory of many INDX blocks', async () => {
    const built = buildNtfsVolume({
      clusterSize: 4096,
      root: { kind: 'dir', name: '', children: [{ kind: 'dir', name: 'big', children: NAMES.map((name) => ({ kind: 'file' as const, name, data: new Uint8Array(1) })) }] },
    });
    const fs = await openNtfs(new MemorySource(built.image));
    const live = (await fs.readDir('/big')).map((e) => e.name);
    const expected = [...NAMES].sort((a, b) => {
      const ka = upcaseName(a);
      const kb = upcaseName(b);
      return ka < kb ? -1 : ka > kb ? 1 : a < b ? -1 : a > b ? 1 : 0;
    });
    expect(live).toEqual(expected);
    const binding: CatalogBinding = { capacity: built.image.length, cids: [], partitions: [] };
    const catalog = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs }] }));
    const fromCatalog = (await new CatalogFileSystem(catalog, 1).readDir('/big')).map((e) => e.name);
    expect(fromCatalog).toEqual(live);
  });
});
