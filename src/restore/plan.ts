/**
 * Planning: the selected entries, then the walk of each selected directory, cut into batches of
 * children of one directory met in a row. A directory's children are written once the walk has
 * listed them (files of up to one chunk several at a time, larger ones alone): memory follows the
 * directories the walk is inside (their children) plus one small record per directory (its times)
 * and per multiply-linked file, never a list of every entry.
 */
import type { Selected } from './select.js';
import { splitPath } from './select.js';
import { reserve, streamBytes, type PlanItem, type RestoreContext } from './context.js';
import { InFlight } from './in-flight.js';
import { restoreItem } from './restore-item.js';
import { CHUNK_BYTES, FILES_IN_FLIGHT, throwIfAborted } from './write.js';

/**
 * A directory met by the walk of a selected directory. Only directories whose subtree the walk is
 * still in are kept (a walk lists each subtree contiguously, parents before children), so memory
 * follows the depth and width of the tree, not its size.
 */
interface WalkDir {
  path: string;
  relative: string[];
  parent: WalkDir | undefined;
  depth: number;
  /** Paths of the child directories met so far, forgotten when this one is finished. */
  childDirs: string[];
}

function isAncestorOrSelf(ancestor: WalkDir, dir: WalkDir): boolean {
  let node: WalkDir | undefined = dir;
  while (node && node.depth > ancestor.depth) node = node.parent;
  return node === ancestor;
}

/** Totals for progress: a first walk that only counts (no entry is kept). */
export async function countTotals(ctx: RestoreContext, selectedEntries: readonly Selected[]): Promise<void> {
  for (const selected of selectedEntries) {
    throwIfAborted(ctx.signal);
    ctx.reporter.count(selected.entry, streamBytes(ctx, selected.entry), selected.stream);
    if (selected.entry.type !== 'dir' || selected.stream !== undefined) continue;
    for await (const entry of ctx.fs.walk(selected.entry.path)) {
      throwIfAborted(ctx.signal);
      ctx.reporter.count(entry, streamBytes(ctx, entry));
    }
  }
}

/**
 * Names are allocated before anything is written into a directory, so that entries of the image
 * get their own names and sidecar files (allocated as they are written) take the suffixed ones:
 * the selected entries' names now, the names in a walked directory as the walk lists them, and
 * a sibling named like a sidecar just before the sidecar is written (writers/stream.ts).
 */
export function reserveSelected(ctx: RestoreContext, selectedEntries: readonly Selected[]): void {
  for (const item of selectedEntries) if (item.stream === undefined) reserve(ctx, item.relative, item.entry.type === 'dir');
  for (const item of selectedEntries) for (let n = 0; n <= item.relative.length; n++) ctx.pinned.add(JSON.stringify(item.relative.slice(0, n)));
}

/** Restore every selected entry, and everything below the selected directories. */
export async function restoreSelected(ctx: RestoreContext, selectedEntries: readonly Selected[]): Promise<void> {
  const inFlight = new InFlight(FILES_IN_FLIGHT);
  for (const selected of selectedEntries) {
    await restoreItem(ctx, selected);
    if (selected.entry.type !== 'dir' || selected.stream !== undefined) continue;
    await restoreWalk(ctx, selected, inFlight);
  }
}

/**
 * Restore children of one directory met in a row by the walk: their names are all reserved before
 * any is written (so sidecars take the suffixed names), then small files go several at a time,
 * larger ones alone.
 */
async function restoreBatch(ctx: RestoreContext, items: PlanItem[], inFlight: InFlight): Promise<void> {
  for (const item of items) reserve(ctx, item.relative, item.entry.type === 'dir');
  for (const item of items) {
    if (item.entry.type === 'file' && item.entry.size + streamBytes(ctx, item.entry) > CHUNK_BYTES) {
      await inFlight.drain();
      await restoreItem(ctx, item);
    } else await inFlight.run(() => restoreItem(ctx, item));
  }
  await inFlight.drain();
}

/** The walk leaves `dir`: its children are forgotten, and its output names unless pinned. */
function leave(ctx: RestoreContext, dir: WalkDir, known: Map<string, WalkDir>): void {
  for (const path of dir.childDirs) known.delete(path);
  if (!ctx.pinned.has(JSON.stringify(dir.relative))) ctx.tree.release(dir.relative);
}

/** Everything below the selected directory `selected`, batch by batch as the walk lists it. */
async function restoreWalk(ctx: RestoreContext, selected: Selected, inFlight: InFlight): Promise<void> {
  const baseDepth = splitPath(selected.entry.path).length;
  // Output components come from each entry's own name under its parent's, not from splitting its
  // path: a hostile name ('.', or one holding '/') must stay one component, made safe later.
  const top: WalkDir = { path: selected.entry.path, relative: selected.relative, parent: undefined, depth: 0, childDirs: [] };
  const known = new Map<string, WalkDir>([[top.path, top]]);
  /** Directories whose children the walk is listing: each one's parent below it. */
  const open: WalkDir[] = [];
  /**
   * Entries met in a row with the same parent: all of a directory's children in a breadth-first
   * walk (NTFS below the root), the runs between its subdirectories in a depth-first one.
   */
  let batch: PlanItem[] = [];
  let batchParent: WalkDir | undefined;
  for await (const entry of ctx.fs.walk(selected.entry.path)) {
    throwIfAborted(ctx.signal);
    const suffix = `/${entry.name}`;
    const parent = entry.path.endsWith(suffix) ? known.get(entry.path.slice(0, -suffix.length) || '/') : undefined;
    if (batch.length > 0 && (parent === undefined || parent !== batchParent)) {
      await restoreBatch(ctx, batch, inFlight);
      batch = [];
    }
    let relative: string[];
    if (parent) {
      // The walk left the subtrees of the open directories that are not above this entry: finished.
      while (open.length > 0 && !isAncestorOrSelf(open[open.length - 1]!, parent)) leave(ctx, open.pop()!, known);
      if (open[open.length - 1] !== parent) open.push(parent);
      relative = [...parent.relative, entry.name];
      if (entry.type === 'dir') {
        known.set(entry.path, { path: entry.path, relative, parent, depth: parent.depth + 1, childDirs: [] });
        parent.childDirs.push(entry.path);
      }
    } else {
      // NOTE: an entry its parent's path cannot name (a hostile name holding '/') goes alone.
      relative = [...selected.relative, ...splitPath(entry.path).slice(baseDepth)];
    }
    batch.push({ entry, relative, walked: true });
    batchParent = parent;
  }
  await restoreBatch(ctx, batch, inFlight);
  while (open.length > 0) leave(ctx, open.pop()!, known);
}
