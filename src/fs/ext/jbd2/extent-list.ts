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
 * Extent entries moved while replaying one volume's fast commits. Each range costs a pass over
 * the list it changes; 2^26 bounds a hostile area's ranges against a huge list to a second or so.
 */
export const MAX_EXTENT_LIST_WORK = 1 << 26;

export class ExtentLists {
  private work = 0;

  /** Remove `[logicalBlock, logicalBlock + count)` from `list`; with `added`, map it there. */
  change(list: Extent[], logicalBlock: number, count: number, added?: Extent): void {
    this.work += list.length + 1;
    if (this.work > MAX_EXTENT_LIST_WORK) {
      throw new GrtError('LIMIT_EXCEEDED', `fast-commit ranges past ${MAX_EXTENT_LIST_WORK} extent moves`, { structure: 'ext4 fast-commit area' });
    }
    const end = logicalBlock + count;
    const kept: Extent[] = [];
    for (const extent of list) {
      const extentEnd = extent.logicalBlock + extent.count;
      if (extentEnd <= logicalBlock || extent.logicalBlock >= end || count === 0) {
        kept.push(extent);
        continue;
      }
      if (extent.logicalBlock < logicalBlock) kept.push({ ...extent, count: logicalBlock - extent.logicalBlock });
      if (extentEnd > end) {
        const skip = end - extent.logicalBlock;
        kept.push({ ...extent, logicalBlock: end, physicalBlock: extent.physicalBlock + skip, count: extentEnd - end });
      }
    }
    if (added && added.count > 0) kept.push({ ...added });
    kept.sort((a, b) => a.logicalBlock - b.logicalBlock);
    list.length = 0;
    for (const extent of kept) {
      const last = list[list.length - 1];
      const contiguous = last !== undefined && last.logicalBlock + last.count === extent.logicalBlock
        && last.physicalBlock + last.count === extent.physicalBlock && last.unwritten === extent.unwritten;
      if (contiguous) last.count += extent.count;
      else list.push(extent);
    }
  }
}
