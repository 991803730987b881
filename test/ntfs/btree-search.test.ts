/**
 * searchIndex over in-memory B-trees of random shape: it finds exactly the entries whose key
 * equals the name's (case variants spread over several nodes included), reads each node at most
 * once, and turns a cycle or an endless chain into BAD_INDEX.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { searchIndex, type IndexEntry, type IndexNode } from '../../src/fs/ntfs/directory-index.js';

/** A file-name index entry for synthetic trees. */
function entry(name: string, record: number): IndexEntry {
  return { file: { record, sequence: 1 }, key: { parent: { record: 5, sequence: 5 }, name, namespace: 0, flags: 0, dataSize: 0 } };
}

const asciiKey = (name: string): string => name.toUpperCase();
const collate = (a: string, b: string): number => {
  const ka = asciiKey(a);
  const kb = asciiKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : a < b ? -1 : a > b ? 1 : 0;
};

/** A random B-tree over sorted `items` (separators chosen by `rand`), its nodes stored by VCN. */
function randomTree(items: IndexEntry[], rand: () => number, nodes: Map<number, IndexNode>): IndexNode {
  if (items.length <= 2 || rand() < 0.25) return { entries: items, childVcns: items.map(() => undefined), lastChildVcn: undefined };
  const store = (node: IndexNode): number => {
    const vcn = nodes.size * 3 + 1;
    nodes.set(vcn, node);
    return vcn;
  };
  const separators = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => Math.floor(rand() * items.length)))].sort((a, b) => a - b);
  const node: IndexNode = { entries: [], childVcns: [], lastChildVcn: undefined };
  let start = 0;
  for (const s of separators) {
    node.childVcns.push(store(randomTree(items.slice(start, s), rand, nodes)));
    node.entries.push(items[s]!);
    start = s + 1;
  }
  node.lastChildVcn = store(randomTree(items.slice(start), rand, nodes));
  return node;
}

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('searchIndex on synthetic trees', () => {
  const shortName = fc.stringMatching(/^[abAB]{1,3}$/);

  it('finds exactly the entries equal under the key, case variants in several nodes included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(shortName, { maxLength: 40 }), shortName, fc.integer(), async (names, wanted, seed) => {
        const items = [...names].sort(collate).map((n, i) => entry(n, i + 16));
        const nodes = new Map<number, IndexNode>();
        const root = randomTree(items, mulberry(seed), nodes);
        const loaded: number[] = [];
        const found = await searchIndex(root, async (vcn) => (loaded.push(vcn), nodes.get(vcn)!), asciiKey, wanted, 'test');
        expect(found).toEqual(items.filter((e) => asciiKey(e.key.name) === asciiKey(wanted)));
        expect(new Set(loaded).size).toBe(loaded.length);
      }),
      { seed: 31337, numRuns: 300 },
    );
  });

  it('a cycle or an endless chain of sub-nodes is BAD_INDEX after a bounded number of reads', async () => {
    const self: IndexNode = { entries: [entry('B', 16)], childVcns: [7], lastChildVcn: undefined };
    await expect(searchIndex(self, async () => self, asciiKey, 'A', 'test')).rejects.toMatchObject({ code: 'BAD_INDEX', message: expect.stringContaining('cycle') });
    let reads = 0;
    const chain = async (vcn: number): Promise<IndexNode> => (reads++, { entries: [], childVcns: [], lastChildVcn: vcn + 1 });
    await expect(searchIndex(await chain(0), chain, asciiKey, 'A', 'test')).rejects.toMatchObject({ code: 'BAD_INDEX' });
    expect(reads).toBeLessThanOrEqual(70);
  });
});
