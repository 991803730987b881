/**
 * What an add reads of a catalog: Catalog.folders (names grouped by directory, with file indexes)
 * and Catalog.fileRecords (every record once, file order) give exactly the entries a recursive
 * listing gives, deleted ones with `deleted`, for a real NTFS image's catalog and a tree with
 * deleted files; a catalog opened without layouts lists the same and refuses layout().
 */
import { describe, expect, it } from 'vitest';
import { openCatalog, type Catalog } from '../../src/catalog/index.js';
import { GrtError } from '../../src/errors.js';
import { catalogOf, day, imageCatalog } from './catalogs.js';

/** `volume:path size mtime deleted` of every entry a recursive listing gives. */
async function listed(catalog: Catalog, deleted: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const v of catalog.volumes) {
    for await (const e of catalog.list(v.index, '/', { recursive: true, deleted })) out.push(`${v.index}:${e.path} ${e.size} ${e.times.mtime} ${e.deleted === true}`);
  }
  return out.sort();
}

/** The same lines from folders() and fileRecords(). */
function grouped(catalog: Catalog, deleted: boolean): string[] {
  const out: string[] = [];
  for (const v of catalog.volumes) {
    const records = [...catalog.fileRecords(v.index)];
    expect(records.length).toBe(v.files);
    for (const f of catalog.folders(v.index, { deleted })) {
      for (const [k, name] of f.names.entries()) {
        const rec = records[f.files[k]!]!;
        out.push(`${v.index}:${f.path === '/' ? '' : f.path}/${name} ${rec.size} ${rec.times.mtime} ${f.deleted[k]}`);
      }
    }
  }
  return out.sort();
}

describe('Catalog.folders and fileRecords', () => {
  it('give what a recursive listing gives, on a real NTFS image and with deleted entries', async () => {
    const ntfs = await imageCatalog('test-images/ntfs/ntfs-mbr.vmdk');
    const tree = await catalogOf({
      '/a.txt': { data: 'a', time: day(1) }, '/d/b.txt': { data: 'bb', time: day(2) },
      '/d/gone.txt': { data: 'ccc', time: day(3), deleted: true }, '/d/e/f.bin': { data: '', time: day(4) },
    });
    for (const bytes of [ntfs, tree]) {
      for (const layouts of [true, false]) {
        const catalog = await openCatalog(bytes, { layouts });
        for (const deleted of [false, true]) expect(grouped(catalog, deleted)).toEqual(await listed(catalog, deleted));
      }
    }
    const lean = await openCatalog(tree, { layouts: false });
    const entry = await lean.stat(1, '/a.txt');
    expect(() => lean.layout(1, entry)).toThrow(GrtError);
    expect((await openCatalog(tree)).layout(1, await (await openCatalog(tree)).stat(1, '/a.txt')).size).toBe(1);
  }, 60_000);
});
