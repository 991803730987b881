/**
 * Progress of a one-pass (scan) catalog build: reported while the MFT is scanned, not only once
 * the names are written, and never going backwards.
 */
import { describe, expect, it } from 'vitest';
import { buildCatalog, type CatalogBinding } from '../../src/catalog/index.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';

/** Enough files for two progress reports (every 4096 entries) during the scan. */
const FILES = 9000;

describe('catalog build progress', () => {
  it('reports during the scan, in increasing order, ending at the name count', async () => {
    const built = buildNtfsVolume({
      clusterSize: 4096,
      root: {
        kind: 'dir',
        name: '',
        children: [{ kind: 'dir', name: 'many', children: Array.from({ length: FILES }, (_, i) => ({ kind: 'file' as const, name: `f${i}.txt`, data: new Uint8Array(0) })) }],
      },
    });
    const fs = await openNtfs(new MemorySource(built.image));
    const binding: CatalogBinding = { capacity: built.image.length, cids: [], partitions: [] };
    const seen: number[] = [];
    let scanned = false;
    const scanRecords = fs.scanRecords.bind(fs);
    // Marks when the scan has ended, so reports made during it can be told apart.
    fs.scanRecords = async (options, onRecord) => {
      const tree = await scanRecords(options, onRecord);
      scanned = true;
      return tree;
    };
    const duringScan: number[] = [];
    await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs }] }, {
      onProgress: (p) => {
        seen.push(p.entries);
        if (!scanned) duringScan.push(p.entries);
      },
    });
    expect(duringScan.length).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBeGreaterThanOrEqual(FILES + 2);
  }, 60_000);
});
