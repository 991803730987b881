/**
 * The in-memory structures fast-commit replay changes: extent lists (ADD_RANGE/DEL_RANGE against
 * a per-block model) and directory entry changes (UNLINK/LINK/CREAT).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DirEntry } from '../../src/fs/ext/directory.js';
import type { Extent } from '../../src/fs/ext/extent-tree.js';
import { DirectoryChanges } from '../../src/fs/ext/jbd2/directory-changes.js';
import { ExtentLists, MAX_EXTENT_LIST_WORK, MAX_LOADED_EXTENTS } from '../../src/fs/ext/jbd2/extent-list.js';

type Mapping = Map<number, { physicalBlock: number; unwritten: boolean }>;

function blocksOf(list: readonly Extent[]): Mapping {
  const model: Mapping = new Map();
  for (const e of list) for (let i = 0; i < e.count; i++) model.set(e.logicalBlock + i, { physicalBlock: e.physicalBlock + i, unwritten: e.unwritten });
  return model;
}

const range = fc.record({ logicalBlock: fc.integer({ min: 0, max: 60 }), count: fc.integer({ min: 0, max: 12 }), physicalBlock: fc.integer({ min: 1, max: 500 }), unwritten: fc.boolean() });

describe('fast-commit extent lists', () => {
  it('ADD_RANGE and DEL_RANGE map blocks as a per-block model does; the list stays sorted, disjoint and merged (property)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), range), { maxLength: 30 }), (ops) => {
      const list: Extent[] = [];
      const model: Mapping = new Map();
      const lists = new ExtentLists();
      for (const [add, extent] of ops) {
        lists.change(list, extent.logicalBlock, extent.count, add ? extent : undefined);
        for (let i = 0; i < extent.count; i++) {
          if (add) model.set(extent.logicalBlock + i, { physicalBlock: extent.physicalBlock + i, unwritten: extent.unwritten });
          else model.delete(extent.logicalBlock + i);
        }
      }
      expect(blocksOf(list)).toEqual(model);
      for (let i = 1; i < list.length; i++) {
        const [a, b] = [list[i - 1]!, list[i]!];
        expect(a.logicalBlock + a.count).toBeLessThanOrEqual(b.logicalBlock);
        const mergeable = a.logicalBlock + a.count === b.logicalBlock && a.physicalBlock + a.count === b.physicalBlock && a.unwritten === b.unwritten;
        expect(mergeable).toBe(false);
      }
    }));
  });

  it('bounds the work a hostile area of ranges costs (LIMIT_EXCEEDED)', () => {
    const list: Extent[] = Array.from({ length: 1 << 16 }, (_, i) => ({ logicalBlock: 2 * i, physicalBlock: 10 + 2 * i, count: 1, unwritten: false }));
    const lists = new ExtentLists();
    const started = Date.now();
    expect(() => {
      for (let i = 0; i <= MAX_EXTENT_LIST_WORK / list.length; i++) lists.change(list, 1 << 20, 1);
    }).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('bounds the extents read from the trees of the files ranges change (LIMIT_EXCEEDED)', () => {
    const lists = new ExtentLists();
    const tree = Array.from({ length: MAX_LOADED_EXTENTS / 2 }, (_, i) => ({ logicalBlock: i, physicalBlock: 10 + 2 * i, count: 1, unwritten: false }));
    expect(lists.fromTree(tree)).toHaveLength(tree.length);
    expect(lists.fromTree(tree)).toHaveLength(tree.length);
    expect(() => lists.fromTree(tree.slice(0, 1))).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
  });
});

describe('fast-commit directory changes', () => {
  const entries = (): DirEntry[] => [
    { inode: 12, name: 'a', fileType: 1 },
    { inode: 13, name: 'b', fileType: 1 },
    { inode: 14, name: 'old', fileType: 1, removed: true },
  ];

  it('UNLINK removes the name only for its inode; LINK replaces a name; removed names stay as read', () => {
    const changes = new DirectoryChanges();
    changes.add(2, { kind: 'unlink', name: 'a', inode: 99 });
    changes.add(2, { kind: 'unlink', name: 'b', inode: 13 });
    changes.add(2, { kind: 'link', name: 'a', inode: 20, fileType: 2 });
    changes.add(2, { kind: 'link', name: 'c', inode: 21, fileType: 1 });
    changes.add(2, { kind: 'unlink', name: 'c', inode: 21 });
    changes.add(2, { kind: 'unlink', name: 'gone', inode: 5 });
    expect(changes.apply(2, entries())).toEqual([{ inode: 20, name: 'a', fileType: 2 }, { inode: 14, name: 'old', fileType: 1, removed: true }]);
    expect(changes.apply(3, entries())).toEqual(entries());
    // Asked for removed names too: those the changes took from the blocks' live entries (unlinked, or replaced by a link) are among them.
    expect(changes.apply(2, entries(), true)).toEqual([
      { inode: 20, name: 'a', fileType: 2 }, { inode: 14, name: 'old', fileType: 1, removed: true },
      { inode: 12, name: 'a', fileType: 1, removed: true }, { inode: 13, name: 'b', fileType: 1, removed: true },
    ]);
  });

  it('a directory CREAT made starts empty: only the names linked into it after', () => {
    const changes = new DirectoryChanges();
    changes.markCreated(30);
    changes.add(30, { kind: 'link', name: 'inside', inode: 31, fileType: 1 });
    expect(changes.created(30)).toBe(true);
    expect(changes.apply(30, [])).toEqual([{ inode: 31, name: 'inside', fileType: 1 }]);
  });
});
