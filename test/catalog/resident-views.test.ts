/**
 * A scan hands resident stream bytes over as views into its read buffer (not copies), and that
 * buffer is refilled chunk after chunk (4096 records of 1 KiB each). Every file's resident bytes
 * must still be its own once the scan has moved on: in a listing (which copies what it keeps) and
 * in a catalog (which encodes them during the call). More files than one chunk, each its own data.
 */
import { describe, expect, it } from 'vitest';
import { buildCatalog, openCatalog, type CatalogBinding } from '../../src/catalog/index.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';

/** Past one scan chunk (4 MiB of 1 KiB records) and into a second one. */
const FILES = 5000;
const contentOf = (i: number): Uint8Array => new TextEncoder().encode(`file ${i} ${'x'.repeat(i % 37)}`);

describe('resident bytes handed over as views during a scan', () => {
  it('stay each file’s own in a listing and in a catalog, across scan chunks', async () => {
    const built = buildNtfsVolume({
      clusterSize: 4096,
      root: {
        kind: 'dir',
        name: '',
        children: [{ kind: 'dir', name: 'many', children: Array.from({ length: FILES }, (_, i) => ({ kind: 'file' as const, name: `f${i}.txt`, data: contentOf(i) })) }],
      },
    });
    const fs = await openNtfs(new MemorySource(built.image));
    let checked = 0;
    for await (const entry of fs.scan({ layouts: true })) {
      const match = /^\/many\/f(\d+)\.txt$/.exec(entry.path);
      if (!match) continue;
      const layout = entry.layouts!.find((l) => l.name === '')!;
      expect(layout.encoding).toBe('resident');
      expect(layout.resident).toEqual(contentOf(Number(match[1])));
      checked++;
    }
    expect(checked).toBe(FILES);

    const binding: CatalogBinding = { capacity: built.image.length, cids: [], partitions: [] };
    const catalog = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs }] }));
    checked = 0;
    for await (const entry of catalog.list(1, '/many')) {
      const layout = catalog.layout(1, entry);
      expect(layout.resident).toEqual(contentOf(Number(/^f(\d+)\.txt$/.exec(entry.name)![1])));
      checked++;
    }
    expect(checked).toBe(FILES);
  }, 60_000);
});
