/**
 * A file's block mapping as fast-commit replay changes it: an in-memory list of extents, sorted by
 * logical block and not overlapping, instead of new extent tree blocks (nothing is written).
 *
 * Source: e2fsck's journal.c (ext4_modify_extent_list, ex_sort_and_merge): ADD_RANGE first
 * punches the range out of every extent it overlaps (splitting one that spans it), then inserts
 * the new extent; DEL_RANGE only punches; neighbours contiguous both logically and physically,
 * and alike in being unwritten, merge. The kernel's ext4_fc_replay_add_range/del_range give the
 * same mapping through the extent tree.
 */
import { GrtError } from '../../../errors.js';
import type { Extent } from '../extent-tree.js';

/**
 * Extent entries shifted while replaying one volume's fast commits: each range splices the list
 * it changes; 2^26 bounds a hostile area's ranges against a huge list to well under a second.
 */
export const MAX_EXTENT_LIST_WORK = 1 << 26;
/**
 * Extents read from the trees of the files the ranges change, all files together: a file may have
 * up to MAX_RUNS (2^20) of its own, and hostile inodes may share one huge tree; this keeps the
 * lists' memory to tens of MiB.
 */
export const MAX_LOADED_EXTENTS = 1 << 20;

function contiguous(a: Extent, b: Extent): boolean {
  return a.logicalBlock + a.count === b.logicalBlock && a.physicalBlock + a.count === b.physicalBlock && a.unwritten === b.unwritten;
}

/** The first extent of sorted, disjoint `list` that ends after `logicalBlock`. */
function firstEndingAfter(list: readonly Extent[], logicalBlock: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const extent = list[middle]!;
    if (extent.logicalBlock + extent.count > logicalBlock) high = middle;
    else low = middle + 1;
  }
  return low;
}

export class ExtentLists {
  private work = 0;
  private loaded = 0;

  /** An extent tree's leaves (sorted by logical block) as a list replay can change: empty and overlapping extents dropped. */
  fromTree(extents: readonly Extent[]): Extent[] {
    this.loaded += extents.length;
    if (this.loaded > MAX_LOADED_EXTENTS) {
      throw new GrtError('LIMIT_EXCEEDED', `fast-commit ranges change files of more than ${MAX_LOADED_EXTENTS} extents`, { structure: 'ext4 fast-commit area' });
    }
    const list: Extent[] = [];
    for (const extent of extents) {
      const last = list[list.length - 1];
      if (extent.count > 0 && (!last || last.logicalBlock + last.count <= extent.logicalBlock)) list.push({ ...extent });
    }
    return list;
  }

  /** Remove `[logicalBlock, logicalBlock + count)` from `list`; with `added` (of that range), map it there. */
  change(list: Extent[], logicalBlock: number, count: number, added?: Extent): void {
    if (count === 0) return;
    this.work += list.length + 1;
    if (this.work > MAX_EXTENT_LIST_WORK) {
      throw new GrtError('LIMIT_EXCEEDED', `fast-commit ranges past ${MAX_EXTENT_LIST_WORK} extent moves`, { structure: 'ext4 fast-commit area' });
    }
    const end = logicalBlock + count;
    const first = firstEndingAfter(list, logicalBlock);
    let last = first;
    while (last < list.length && list[last]!.logicalBlock < end) last++;
    const before: Extent[] = [];
    const after: Extent[] = [];
    for (const extent of list.slice(first, last)) {
      const extentEnd = extent.logicalBlock + extent.count;
      if (extent.logicalBlock < logicalBlock) before.push({ ...extent, count: logicalBlock - extent.logicalBlock });
      if (extentEnd > end) after.push({ ...extent, logicalBlock: end, physicalBlock: extent.physicalBlock + end - extent.logicalBlock, count: extentEnd - end });
    }
    const replacement = [...before, ...(added ? [{ ...added }] : []), ...after];
    list.splice(first, last - first, ...replacement);
    // Only the extents around the changed window can have become contiguous.
    for (let i = Math.max(first - 1, 0); i < Math.min(first + replacement.length, list.length - 1);) {
      if (contiguous(list[i]!, list[i + 1]!)) {
        list[i] = { ...list[i]!, count: list[i]!.count + list[i + 1]!.count };
        list.splice(i + 1, 1);
      } else {
        i++;
      }
    }
  }
}
