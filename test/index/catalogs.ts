/**
 * Catalogs for the index tests, built with the library from in-memory trees: a "VM" is a tree of
 * paths, and its next backup is the same tree with a few files changed, added or removed.
 */
import { buildCatalog, type CatalogBinding } from '../../src/catalog/index.js';
import { FakeFs, type FakeSpec } from '../helpers/fake-fs.js';

export type Tree = Record<string, FakeSpec>;

export function bindingFor(serial: string): CatalogBinding {
  return { capacity: 1 << 30, cids: [], partitions: [{ index: 1, start: 1_048_576, size: 1 << 29, fs: 'ntfs', serial }] };
}

/** A catalog of one NTFS-like volume (partition 1) holding `tree`. */
export function catalogOf(tree: Tree, serial = '00000000000000AA'): Promise<Uint8Array> {
  return buildCatalog({ binding: bindingFor(serial), volumes: [{ index: 1, start: 1_048_576, fs: new FakeFs(tree) }] });
}

/** Nanoseconds since 1970 of a day after 2024-01-01, for readable times in trees. */
export function day(n: number): bigint {
  return 1_704_067_200_000_000_000n + BigInt(n) * 86_400_000_000_000n;
}
