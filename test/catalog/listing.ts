/** Listing helpers shared by the catalog tests: gather an async listing, compare listings by value. */
import type { FileEntry } from '../../src/fs/file-system.js';

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** What a listing shows of an entry, without the object identity (bigints as strings). */
export const view = (e: FileEntry) => JSON.parse(JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));

/** Entries as views, by path, then record (a deleted name may share its path with a live one). */
export const sortByPath = (list: FileEntry[]) => list.map(view).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.id.record - b.id.record));
