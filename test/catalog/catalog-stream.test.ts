/**
 * CatalogStream (the estate index's reader) against Catalog: the same binding, volumes, file
 * records and listed names, folder by folder once a directory's parts are joined, for a real NTFS
 * image's catalog, a tree whose walk interleaves folders, a folder past FOLDER_NAMES and random
 * trees; damage to the structure or a CRC refused when opening, other damage only a GrtError.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CatalogStream } from '../../src/catalog/catalog-stream.js';
import { openCatalog } from '../../src/catalog/index.js';
import { GrtError } from '../../src/errors.js';
import { catalogOf, day, imageCatalog, type Tree } from '../index/catalogs.js';

/** Each folder's `name file deleted` lines by `volume:path`, parts of one directory joined in order. */
function joined(folders: Iterable<{ volume: number; path: string; names: string[]; files: number[]; deleted: boolean[] }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of folders) {
    const key = `${f.volume}:${f.path}`;
    const lines = out.get(key) ?? [];
    lines.push(...f.names.map((name, k) => `${name} ${f.files[k]} ${f.deleted[k]}`));
    out.set(key, lines);
  }
  return out;
}

const json = (value: unknown) => JSON.stringify(value, (_k, x) => (typeof x === 'bigint' ? String(x) : x instanceof Uint8Array ? [...x] : x));

/** Fails unless the stream of `bytes` reads as openCatalog reads them; returns how many folders came apart. */
async function expectSame(bytes: Uint8Array): Promise<number> {
  const catalog = await openCatalog(bytes, { layouts: false });
  const stream = await CatalogStream.open(bytes);
  expect(stream.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  expect(json(stream.binding)).toBe(json(catalog.binding));
  expect(json(stream.volumes)).toBe(json(catalog.volumes));
  let apart = 0;
  for (const v of catalog.volumes) {
    const records: string[] = [];
    for await (const chunk of stream.fileChunks(v.index)) for (const rec of chunk) records.push(json(rec));
    expect(records).toEqual([...catalog.fileRecords(v.index)].map(json));
  }
  for (const deleted of [false, true]) {
    const streamed = [];
    for await (const f of stream.folders({ deleted })) streamed.push(f);
    const whole = catalog.volumes.flatMap((v) => [...catalog.folders(v.index, { deleted })].map((f) => ({ ...f, volume: v.index })));
    expect(joined(streamed)).toEqual(joined(whole));
    apart = streamed.length - whole.length;
  }
  await stream.close();
  return apart;
}

const treeArb = fc
  .array(fc.record({ dir: fc.constantFrom('', '/a', '/a/b', '/c', '/a/b/d'), name: fc.constantFrom('x', 'y', 'Z', 'long name.txt', 'ü'), n: fc.nat({ max: 3 }), deleted: fc.boolean(), hidden: fc.nat({ max: 9 }) }), { minLength: 1, maxLength: 15 })
  .map((files) => {
    const tree: Tree = {};
    for (const f of files) tree[`${f.dir}/${f.name}${f.n}`.toLowerCase()] = { data: 'x'.repeat(f.n), time: day(f.n), ...(f.deleted ? { deleted: true } : {}) };
    return tree;
  });

describe('CatalogStream', () => {
  it('reads what openCatalog reads: a real NTFS image, interleaved folders, a folder of 5,000 names', async () => {
    const ntfs = await imageCatalog('test-images/ntfs/ntfs-mbr.vmdk');
    await expectSame(ntfs);
    // The fake walk goes depth first: '/' and '/d' come apart around their subfolders.
    const interleaved = await catalogOf({
      '/a.txt': { data: 'a', time: day(1) }, '/d/b.txt': { data: 'bb', time: day(2) }, '/d/e/f.bin': { data: '', time: day(4) },
      '/d/gone.txt': { data: 'ccc', time: day(3), deleted: true }, '/z.txt': { data: 'z', time: day(5) },
    });
    expect(await expectSame(interleaved)).toBeGreaterThan(0);
    const big: Tree = {};
    for (let i = 0; i < 5000; i++) big[`/big/f${i}`] = { data: '', time: day(i % 7) };
    expect(await expectSame(await catalogOf(big))).toBeGreaterThan(0);
  }, 120_000);

  it('reads what openCatalog reads for random trees', async () => {
    await fc.assert(fc.asyncProperty(treeArb, async (tree) => void (await expectSame(await catalogOf(tree)))), { numRuns: 30 });
  }, 120_000);

  it('refuses a truncated catalog or a bad CRC when opening, and damage gives only GrtErrors', async () => {
    const bytes = await catalogOf({ '/a/b.txt': { data: 'b', time: day(1) }, '/c.txt': { data: 'cc', time: day(2) } });
    for (const cut of [0, 10, 16, 40, bytes.length - 1]) {
      await expect(CatalogStream.open(bytes.subarray(0, cut))).rejects.toThrow(GrtError);
    }
    const flipped = bytes.slice();
    flipped[bytes.length - 40]! ^= 0x10;
    await expect(CatalogStream.open(flipped)).rejects.toMatchObject({ code: 'BAD_CHECKSUM' });
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, mask) => {
        const damaged = bytes.slice();
        damaged[at]! ^= mask;
        try {
          const stream = await CatalogStream.open(damaged);
          for (const v of stream.volumes) for await (const chunk of stream.fileChunks(v.index)) for (const _ of chunk);
          for await (const _ of stream.folders({ deleted: true }));
        } catch (error) {
          expect(error).toBeInstanceOf(GrtError);
        }
      }),
      { numRuns: 200 },
    );
  });
});
