/**
 * Single-name lookups descend the $I30 B-tree (about log(n) INDX blocks) instead of reading the
 * whole $INDEX_ALLOCATION; a damaged node or a miss falls back to the full listing.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { ATTR_INDEX_ALLOCATION } from '../../src/fs/ntfs/attribute.js';
import * as directoryIndex from '../../src/fs/ntfs/directory-index.js';
import { parseIndexBlock, type IndexNode } from '../../src/fs/ntfs/directory-index.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { openNtfs, type NtfsVolume } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { SliceSource } from '../../src/io/slice-source.js';
import { arbNtfsName, buildNtfsVolume, upcaseName } from '../builders/ntfs-builder.js';
import { CountingSource } from '../helpers/counting-source.js';
import { fixturePath, loadGzImage } from './gz-image.js';

vi.mock('../../src/fs/ntfs/directory-index.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/fs/ntfs/directory-index.js')>();
  return { ...original, parseIndexAllocation: vi.fn(original.parseIndexAllocation) };
});
/** Called only by the full listing: not called means a lookup used the B-tree alone. */
const fullListing = vi.mocked(directoryIndex.parseIndexAllocation);

// A directory big enough for a three-level tree (root, inner INDX blocks, leaf INDX blocks):
// random unicode names, then plain ones.
const RANDOM_NAMES = [...new Map(fc.sample(arbNtfsName, { seed: 20261128, numRuns: 1500 }).map((n) => [upcaseName(n), n])).values()];
const NAMES = [...RANDOM_NAMES, ...Array.from({ length: 3000 - RANDOM_NAMES.length }, (_, i) => `file-${i}.dat`)];
const CLUSTER = 4096;
const BUILT = buildNtfsVolume({
  clusterSize: CLUSTER,
  root: {
    kind: 'dir',
    name: '',
    children: [
      { kind: 'dir', name: 'big', children: NAMES.map((name, i) => ({ kind: 'file' as const, name, data: new Uint8Array(i % 7) })) },
      { kind: 'file', name: 'top.txt', data: new Uint8Array(3) },
    ],
  },
});
const BIG_RECORD = BUILT.records.get('/big')!;

interface Block {
  /** Volume byte offset. */
  at: number;
  vcn: number;
  node: IndexNode;
}

/** The INDX blocks of /big as the builder wrote them (they start on clusters here). */
function bigDirBlocks(): Block[] {
  const blocks: Block[] = [];
  const image = BUILT.image;
  for (let at = 0; at + CLUSTER <= image.length; at += CLUSTER) {
    if (image[at] !== 0x49 || image[at + 1] !== 0x4e || image[at + 2] !== 0x44 || image[at + 3] !== 0x58) continue;
    const node = parseIndexBlock(image.slice(at, at + 4096), 'test', () => undefined);
    if (node.entries[0]?.key.parent.record !== BIG_RECORD) continue;
    blocks.push({ at, vcn: Number(new DataView(image.buffer, image.byteOffset + at + 16, 8).getBigUint64(0, true)), node });
  }
  return blocks;
}
const BLOCKS = bigDirBlocks();
const INNER = BLOCKS.filter((b) => b.node.lastChildVcn !== undefined);
const LEAVES = BLOCKS.filter((b) => b.node.lastChildVcn === undefined);

let expectedCache: Map<string, FileEntry> | undefined;
/** /big listed in full, by name: what a lookup must return. */
async function expected(): Promise<Map<string, FileEntry>> {
  if (expectedCache) return expectedCache;
  const volume = await openNtfs(new MemorySource(BUILT.image));
  expectedCache = new Map((await volume.readDir('/big')).map((e) => [e.name, e]));
  return expectedCache;
}

/** Each UTF-16 unit's case swapped where that keeps the name equal under the volume's $UpCase. */
function swapCase(name: string): string {
  let out = '';
  for (const c of name) {
    const swapped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
    out += swapped.length === c.length && upcaseName(swapped) === upcaseName(c) ? swapped : c;
  }
  return out;
}

async function statOrCode(volume: NtfsVolume, path: string): Promise<FileEntry | string> {
  try {
    return await volume.stat(path);
  } catch (error) {
    expect(error).toBeInstanceOf(GrtError);
    return (error as GrtError).code;
  }
}

describe('B-tree lookup in a large synthetic directory', () => {
  it('the directory is a tree of more than two levels', () => {
    expect(NAMES.length).toBe(3000);
    expect(INNER.length).toBeGreaterThan(0);
    expect(LEAVES.length).toBeGreaterThan(20);
  });

  it('stat of any name or a case variant equals the full listing, without reading the listing', async () => {
    const want = await expected();
    expect(want.size).toBe(NAMES.length);
    const volume = await openNtfs(new MemorySource(BUILT.image));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...NAMES), fc.constantFrom('exact', 'upper', 'swap'), async (name, variant) => {
        const asked = variant === 'exact' ? name : variant === 'upper' ? upcaseName(name) : swapCase(name);
        fullListing.mockClear();
        expect(await volume.stat(`/big/${asked}`)).toEqual(want.get(name));
        expect(fullListing).not.toHaveBeenCalled();
      }),
      { seed: 4242, numRuns: 200 },
    );
  });

  it('a name not in the directory is NOT_FOUND', async () => {
    const present = new Set(NAMES.map(upcaseName));
    const volume = await openNtfs(new MemorySource(BUILT.image));
    await fc.assert(
      fc.asyncProperty(arbNtfsName, async (name) => {
        fc.pre(!present.has(upcaseName(name)));
        await expect(volume.stat(`/big/${name}`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      }),
      { seed: 99, numRuns: 40 },
    );
  });

  it('a lookup reads far fewer bytes than the $INDEX_ALLOCATION', async () => {
    const allocationBytes = BLOCKS.length * 4096;
    const counting = new CountingSource(new MemorySource(BUILT.image));
    const volume = await openNtfs(counting, { cache: { blockSize: 4096 } });
    for (const name of [NAMES[0]!, NAMES[1234]!, NAMES[2999]!]) {
      counting.reads = [];
      await volume.stat(`/big/${name}`);
      // Root record, /big's record, <= 3 INDX blocks, the file's record: a few 4 KiB blocks.
      expect(counting.bytesRead).toBeLessThanOrEqual(8 * 4096);
      expect(counting.bytesRead * 10).toBeLessThan(allocationBytes);
    }
    counting.reads = [];
    await volume.readDir('/big'); // the full listing does read it all: the bound above means something
    expect(counting.bytesRead).toBeGreaterThanOrEqual(allocationBytes);
  });
});

describe('VCN units', () => {
  // Clusters up to the block size: VCNs count clusters; larger clusters: VCNs count 512 bytes.
  for (const clusterSize of [512, 1024, 8192, 65536]) {
    it(`${clusterSize}-byte clusters: every name resolves through the B-tree`, async () => {
      const names = Array.from({ length: 400 }, (_, i) => `entry ${i} of a mid-size directory.txt`);
      const built = buildNtfsVolume({ clusterSize, root: { kind: 'dir', name: '', children: [{ kind: 'dir', name: 'd', children: names.map((name) => ({ kind: 'file' as const, name, data: new Uint8Array(1) })) }] } });
      const volume = await openNtfs(new MemorySource(built.image));
      fullListing.mockClear();
      for (const name of names) expect((await volume.stat(`/d/${name.toUpperCase()}`)).path).toBe(`/d/${name}`);
      expect(fullListing).not.toHaveBeenCalled();
    });
  }
});

describe('damaged B-trees fall back to the full listing', () => {
  const leafNames = (block: Block): Set<string> => new Set(block.node.entries.map((e) => e.key.name));

  it('random damage to an inner block: names in other blocks still resolve; only GrtErrors escape', async () => {
    const want = await expected();
    const damagedBlock = INNER[0]!;
    const lost = leafNames(damagedBlock);
    const kept = NAMES.filter((n) => !lost.has(n));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 24 }),
        fc.array(fc.constantFrom(...kept), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(...lost),
        async (damage, names, lostName) => {
          const image = BUILT.image.slice();
          for (const [at, value] of damage) image[damagedBlock.at + at] = value;
          const volume = await openNtfs(new MemorySource(image));
          for (const name of names) expect(await statOrCode(volume, `/big/${name}`)).toEqual(want.get(name));
          const result = await statOrCode(volume, `/big/${lostName}`);
          if (typeof result === 'string') expect(result).toBe('NOT_FOUND');
        },
      ),
      { seed: 777, numRuns: 25 },
    );
  });

  it('a sub-node VCN pointing at its own block: no hang, the name is found by the listing', async () => {
    const want = await expected();
    const image = BUILT.image.slice();
    const view = new DataView(image.buffer);
    const inner = INNER[0]!;
    // The first entry's sub-node VCN: its last 8 bytes (block header 24 + entries offset).
    const first = inner.at + 24 + view.getUint32(inner.at + 24, true);
    const vcnAt = first + view.getUint16(first + 8, true) - 8;
    expect((vcnAt - inner.at) % 512).toBeLessThan(510 - 8); // not over a fixup
    const child = BLOCKS.find((b) => b.vcn === inner.node.childVcns[0])!;
    view.setBigUint64(vcnAt, BigInt(inner.vcn), true);
    const volume = await openNtfs(new MemorySource(image));
    // The smallest name under that entry: the search must take the self-pointing sub-node.
    let leaf = child;
    while (leaf.node.childVcns[0] !== undefined) leaf = BLOCKS.find((b) => b.vcn === leaf.node.childVcns[0])!;
    const name = leaf.node.entries[0]!.key.name;
    fullListing.mockClear();
    expect(await volume.stat(`/big/${name}`)).toEqual(want.get(name));
    expect(fullListing).toHaveBeenCalled();
  });
});

describe('real ntfs-3g volumes (test-images/ntfs-unit)', () => {
  for (const name of ['n512', 'n4k']) {
    it(`${name}: every name of /big and of / resolves through the B-tree as listed`, async () => {
      const image = gunzipSync(readFileSync(new URL(`../../test-images/ntfs-unit/${name}.img.gz`, import.meta.url)));
      const source = new MemorySource(new Uint8Array(image.buffer, image.byteOffset, image.length));
      const listed = await openNtfs(source);
      const big = await listed.readDir('/big');
      const top = await listed.readDir('/', { all: true });
      expect(big.length).toBeGreaterThanOrEqual(1200);
      const volume = await openNtfs(source);
      fullListing.mockClear();
      for (const e of [...big, ...top]) expect(await volume.stat(e.path)).toEqual(e);
      expect((await volume.stat('/BIG/FILE00042.TXT')).path).toBe('/big/file00042.txt');
      expect(fullListing).not.toHaveBeenCalled();
      // POSIX names differing only in case: the exact spelling wins, another spelling finds one.
      expect((await volume.stat('/Case.txt')).path).toBe('/Case.txt');
      expect((await volume.stat('/case.txt')).path).toBe('/case.txt');
      expect(['/Case.txt', '/case.txt']).toContain((await volume.stat('/CASE.TXT')).path);
    });
  }
});

describe('real Windows 10 volumes (shared fixtures)', () => {
  /** The fixtures' NTFS partition starts at sector 128. */
  const PARTITION_OFFSET = 65536;
  for (const name of ['ntfs-ptrn', 'ntfs-2m']) {
    it.skipIf(!fixturePath(name))(`${name}: every name of the root (an INDX tree) resolves through the B-tree`, async () => {
      const image = loadGzImage(fixturePath(name)!);
      const source = new SliceSource(image, PARTITION_OFFSET, image.size - PARTITION_OFFSET);
      const listed = await openNtfs(source);
      const root = await listed.mft.loadFile(5);
      expect(root.attributes.some((a) => a.type === ATTR_INDEX_ALLOCATION && a.name === '$I30')).toBe(true); // INDX blocks
      const top = await listed.readDir('/', { all: true });
      const volume = await openNtfs(source);
      fullListing.mockClear();
      for (const e of top) {
        expect(await volume.stat(e.path)).toEqual(e);
        expect((await volume.stat(e.path.toLowerCase())).path).toBe(e.path);
      }
      expect(fullListing).not.toHaveBeenCalled();
    });
  }
});
