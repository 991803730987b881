/**
 * Catalogs for the index tests, built with the library from in-memory trees: a "VM" is a tree of
 * paths, and its next backup is the same tree with a few files changed, added or removed.
 */
import { buildCatalog, buildImageCatalog, openCatalog, type CatalogBinding } from '../../src/catalog/index.js';
import { openImage } from '../../src/image.js';
import { rowOf } from '../../src/index/index.js';
import { FakeFs, type FakeSpec } from '../helpers/fake-fs.js';

export type Tree = Record<string, FakeSpec>;

export function bindingFor(serial: string): CatalogBinding {
  return { capacity: 1 << 30, cids: [], partitions: [{ index: 1, start: 1_048_576, size: 1 << 29, fs: 'ntfs', serial }] };
}

/** A catalog of one NTFS-like volume (partition 1) holding `tree`. */
export function catalogOf(tree: Tree, serial = '00000000000000AA'): Promise<Uint8Array> {
  return buildCatalog({ binding: bindingFor(serial), volumes: [{ index: 1, start: 1_048_576, fs: new FakeFs(tree) }] });
}

/** The catalog grt builds of a committed test image (a path from the project root). */
export async function imageCatalog(path: string): Promise<Uint8Array> {
  const image = await openImage(path);
  try {
    return (await buildImageCatalog(image, undefined)).bytes!;
  } finally {
    await image.close();
  }
}

/** Nanoseconds since 1970 of a day after 2024-01-01, for readable times in trees. */
export function day(n: number): bigint {
  return 1_704_067_200_000_000_000n + BigInt(n) * 86_400_000_000_000n;
}

/** Every `volume:path` of a catalog with its version fields as the index would store them (JSON). */
export async function catalogRows(bytes: Uint8Array): Promise<Map<string, string>> {
  const catalog = await openCatalog(bytes);
  const rows = new Map<string, string>();
  for (const v of catalog.volumes) {
    for await (const entry of catalog.list(v.index, '/', { recursive: true })) {
      const { dir, name, fkey, ...fields } = rowOf(v.index, entry);
      rows.set(`${v.index}:${entry.path}`, JSON.stringify(fields, (_k, x) => (typeof x === 'bigint' ? String(x) : x)));
    }
  }
  return rows;
}

/** What changed from catalog rows `before` to `after`, as `change volume:path` lines, sorted. */
export function expectedDiff(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [key, row] of after) {
    if (!before.has(key)) out.push(`added ${key}`);
    else if (before.get(key) !== row) out.push(`changed ${key}`);
  }
  for (const key of before.keys()) if (!after.has(key)) out.push(`removed ${key}`);
  return out.sort();
}
