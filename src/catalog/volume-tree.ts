/**
 * The name tree of one open catalogued volume (open.ts VolumeState, docs/catalog-format.md §5):
 * which names a listing shows, each directory's children, paths, and the names grouped by folder
 * for bulk readers. Names are stored in tree order (a parent before its children), so one pass
 * marking the shown directories finds every shown name.
 */
import type { ListOptions } from '../fs/file-system.js';
import { NameFlag } from './encode.js';
import type { VolumeState } from './open.js';

/** One directory's listed children (Catalog.folders). */
export interface CatalogFolder {
  path: string;
  names: string[];
  deleted: boolean[];
  /** Each name's file index in its volume (the order of Catalog.fileRecords). */
  files: number[];
}

/** Whether a listing with `options` shows name `i`: hidden ones only with `all`, deleted ones only with `deleted`. */
export function isVisible(v: VolumeState, i: number, options: ListOptions): boolean {
  return isShown(v.names.flags[i]!, options);
}

/** Whether a listing with `options` shows a name with NameFlag bits `flags`. */
export function isShown(flags: number, options: ListOptions): boolean {
  if (flags & NameFlag.hidden && !options.all) return false;
  return options.deleted === true || ((flags >> NameFlag.deletedShift) & 3) !== 2;
}

/** Names below `start` that a listing with `options` shows, parents before children. */
export function* visibleBelow(v: VolumeState, start: number, options: ListOptions): Generator<number> {
  const included = new Uint8Array(v.info.names);
  included[start] = 1;
  for (let i = start + 1; i < v.info.names; i++) {
    if (!included[v.names.parent[i]!] || !isVisible(v, i, options)) continue;
    included[i] = 1;
    // A virtual folder is not listed, its names are (as a live walk lists /$Orphan/x only).
    if (!(v.names.flags[i]! & NameFlag.virtual)) yield i;
  }
}

/** Child lists (CSR), made on first use: the children of name i are childList[childStart[i] .. childStart[i+1]). */
export function childLists(v: VolumeState): { childStart: Int32Array; childList: Int32Array } {
  if (!v.childStart || !v.childList) {
    const n = v.info.names;
    const start = new Int32Array(n + 1);
    for (let i = 1; i < n; i++) start[v.names.parent[i]! + 1]!++;
    for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
    const fill = start.slice(0, n);
    const list = new Int32Array(Math.max(0, n - 1));
    for (let i = 1; i < n; i++) list[fill[v.names.parent[i]!]!++] = i;
    v.childStart = start;
    v.childList = list;
  }
  return { childStart: v.childStart, childList: v.childList };
}

/** The path of name `i`; directories' paths are kept as they are met. */
export function pathOf(v: VolumeState, i: number): string {
  if (i === 0) return '/';
  const parent = v.names.parent[i]!;
  let dir = v.dirPaths[parent];
  if (dir === undefined) {
    dir = pathOf(v, parent);
    v.dirPaths[parent] = dir;
  }
  return dir === '/' ? `/${v.names.name[i]}` : `${dir}/${v.names.name[i]}`;
}

/**
 * Every shown name grouped by directory: a directory's path and its children's names, deleted
 * flags and file indexes, without an entry object per name. Directories come parents first.
 */
export function* foldersOf(v: VolumeState, options: ListOptions): Generator<CatalogFolder> {
  const { childStart, childList } = childLists(v);
  const shown = new Uint8Array(v.info.names);
  shown[0] = 1;
  for (let i = 1; i < v.info.names; i++) if (shown[v.names.parent[i]!] && isVisible(v, i, options)) shown[i] = 1;
  for (let d = 0; d < v.info.names; d++) {
    if (!shown[d] || !(v.names.flags[d]! & NameFlag.dir)) continue;
    const folder: CatalogFolder = { path: pathOf(v, d), names: [], deleted: [], files: [] };
    for (let k = childStart[d]!; k < childStart[d + 1]!; k++) {
      const i = childList[k]!;
      // A virtual folder is not listed, its names are (under its path, as a live walk lists /$Orphan/x).
      if (!shown[i] || v.names.flags[i]! & NameFlag.virtual) continue;
      folder.names.push(v.names.name[i]!);
      folder.deleted.push(((v.names.flags[i]! >> NameFlag.deletedShift) & 3) === 2);
      folder.files.push(v.names.file[i]!);
    }
    if (folder.names.length > 0) yield folder;
  }
}
