/**
 * The reader's cache of inflated FILES chunks stays within its byte budget (the chunk in use is
 * kept even past it), however the files are visited; entries read through a small cache are the
 * ones read through a large one.
 */
import { describe, expect, it } from 'vitest';
import { buildCatalog, CHUNK_ENTRIES, openCatalog, type Catalog } from '../../src/catalog/index.js';
import type { FileEntry, StreamLayout } from '../../src/fs/file-system.js';
import { xorshift32 } from '../helpers/random-bytes.js';
import { FakeFs, layoutKey, type FakeVolume } from '../helpers/fake-fs.js';

const FILES = 3 * CHUNK_ENTRIES + 500;
const times = { mtime: 133_500_000_000_000_000n, atime: 0n, ctime: 0n, btime: 0n };

function volume(): FakeVolume {
  const entries: FileEntry[] = [{ path: '/', name: '.', type: 'dir', size: 0, times, attributes: 0x10, streams: [], links: 1, id: { record: 5, sequence: 5 }, warnings: [] }];
  const layouts = new Map<string, StreamLayout>();
  for (let i = 0; i < FILES; i++) {
    const record = 64 + i;
    const size = (i * 7919) % 1_000_000 + 1;
    entries.push({ path: `/file-${i}.bin`, name: `file-${i}.bin`, type: 'file', size, times, attributes: 0x20, streams: [], links: 1, id: { record, sequence: 1 }, warnings: [] });
    layouts.set(layoutKey(record, ''), { name: '', size, initializedSize: size, encoding: 'raw', runs: [{ streamOffset: 0, sourceOffset: record * 4096 * 256, length: Math.ceil(size / 4096) * 4096 }] });
  }
  return { entries, layouts, metadata: new Set(), serial: '00000000000000AA' };
}

/** The cache's own account (private fields, read for the test only). */
const cache = (catalog: Catalog): { bytes: number; chunks: number } => ({ bytes: catalog['cachedBytes'], chunks: catalog['chunkCache'].size });

describe('FILES chunk cache budget', () => {
  it('holds at most the budget (or the one chunk in use), in any visiting order', async () => {
    const binding = { capacity: 1 << 30, cids: [], partitions: [{ index: 1, start: 0, size: 1 << 30, fs: 'ntfs' }] };
    const bytes = await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs: new FakeFs(volume()) }] });
    // Every chunk in turn, then a few random visits (each miss re-inflates a whole chunk).
    const order = Array.from({ length: 8 }, (_, i) => Math.floor((i * FILES) / 8));
    const next = xorshift32(77);
    for (let i = 0; i < 24; i++) order.push(next() % FILES);

    const large = await openCatalog(bytes);
    const sizes = new Map<number, number>();
    for (const i of order) sizes.set(i, (await large.stat(1, `/file-${i}.bin`)).size);
    const all = cache(large);
    expect(all.chunks).toBeGreaterThanOrEqual(3); // all fit the default budget: each chunk inflated once

    const oneChunk = all.bytes / all.chunks;
    for (const budget of [1, Math.floor(oneChunk * 2.5)]) {
      const small = await openCatalog(bytes, { filesCacheBytes: budget });
      let most = 0;
      for (const i of order) {
        expect((await small.stat(1, `/file-${i}.bin`)).size).toBe(sizes.get(i));
        const { bytes: held, chunks } = cache(small);
        expect(held <= budget || chunks === 1, `budget ${budget}: ${held} bytes in ${chunks} chunks`).toBe(true);
        most = Math.max(most, chunks);
      }
      // Not fewer chunks than fit: one for a tiny budget, two or more for 2.5 chunks' worth.
      if (budget === 1) expect(most).toBe(1);
      else expect(most).toBeGreaterThanOrEqual(2);
    }
  }, 60_000); // a property over many catalogs: slow on a loaded machine, bounded all the same
});
