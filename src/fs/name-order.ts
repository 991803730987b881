import type { FileEntry } from './entry.js';

/**
 * Entries in the order of an NTFS directory index (COLLATION_FILE_NAME, libfsntfs "Index" notes):
 * names upper-cased through the volume's $UpCase (`key`), then names equal but for case by their
 * exact UTF-16 units. The live volume and a catalog list a directory alike with it — an index
 * read block by block is sorted only within each block, and a catalog keeps the build's order.
 */
export function inIndexOrder(entries: readonly FileEntry[], key: (name: string) => string): FileEntry[] {
  const keyed = entries.map((entry) => ({ entry, key: key(entry.name) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.entry.name < b.entry.name ? -1 : a.entry.name > b.entry.name ? 1 : 0));
  return keyed.map((k) => k.entry);
}
