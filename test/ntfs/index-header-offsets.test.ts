/**
 * A directory's $I30 headers that cannot be used are errors located at the attribute's header on
 * the volume: an $INDEX_ROOT naming an index block size out of range, an $INDEX_ALLOCATION whose
 * (sparse) runs make it larger than the volume.
 */
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { searchIndex, type IndexEntry, type IndexNode } from '../../src/fs/ntfs/directory-index.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';

const BUILT = buildNtfsVolume({
  clusterSize: 4096,
  root: {
    kind: 'dir',
    name: '',
    children: [{ kind: 'dir', name: 'big', children: Array.from({ length: 120 }, (_, i) => ({ kind: 'file' as const, name: `entry-${i}.txt`, data: new Uint8Array(1) })) }],
  },
});

/** Volume offset of the header of /big's attribute of `type`. */
function attributeOf(image: Uint8Array, type: number): number {
  const view = new DataView(image.buffer);
  const record = BUILT.mftLcn * BUILT.clusterSize + BUILT.records.get('/big')! * BUILT.recordSize;
  for (let at = record + view.getUint16(record + 0x14, true); view.getUint32(at, true) !== 0xffffffff; at += view.getUint32(at + 4, true)) {
    if (view.getUint32(at, true) === type) return at;
  }
  throw new Error(`no attribute 0x${type.toString(16)}`);
}

async function listingError(image: Uint8Array): Promise<GrtError> {
  const volume = await openNtfs(new MemorySource(image));
  const error = await volume.readDir('/big').then(() => undefined, (e: unknown) => e);
  if (!(error instanceof GrtError)) throw new Error(`expected a GrtError, got ${String(error)}`);
  return error;
}

describe('$I30 header damage offsets', () => {
  it('index block size out of range: the $INDEX_ROOT header', async () => {
    const image = BUILT.image.slice();
    const view = new DataView(image.buffer);
    const root = attributeOf(image, 0x90);
    view.setUint32(root + view.getUint16(root + 0x14, true) + 8, 3000, true); // not a power of two
    expect(await listingError(image)).toMatchObject({ code: 'BAD_INDEX', offset: root, space: 'volume', actual: 3000 });
  });

  it('$INDEX_ALLOCATION larger than the volume: its header', async () => {
    const image = BUILT.image.slice();
    const view = new DataView(image.buffer);
    const allocation = attributeOf(image, 0xa0);
    // One sparse run of 2^24 − 1 clusters (64 GiB): runs are not bounded by the volume when sparse.
    const clusters = 0xffffff;
    image.set([0x03, 0xff, 0xff, 0xff, 0x00], allocation + view.getUint16(allocation + 0x20, true));
    view.setBigUint64(allocation + 0x18, BigInt(clusters - 1), true); // last VCN
    for (const field of [0x28, 0x30, 0x38]) view.setBigUint64(allocation + field, BigInt(clusters * BUILT.clusterSize), true);
    expect(await listingError(image)).toMatchObject({ code: 'BAD_INDEX', offset: allocation, space: 'volume' });
  });
});

/** Volume offset of the sub-node VCN of /big's $INDEX_ROOT last entry (the root of a two-level tree). */
function rootLastVcnField(image: Uint8Array): number {
  const view = new DataView(image.buffer);
  const root = attributeOf(image, 0x90);
  const value = root + view.getUint16(root + 0x14, true);
  const node = value + 16; // INDEX_ROOT_HEADER
  let at = node + view.getUint32(node, true);
  while ((view.getUint32(at + 12, true) & 2) === 0) at += view.getUint16(at + 8, true);
  return at + view.getUint16(at + 8, true) - 8;
}

/** A B-tree search of /big for `name`, as DirectoryReader does it before falling back to a listing. */
async function searchError(image: Uint8Array, name: string): Promise<GrtError> {
  const volume = await openNtfs(new MemorySource(image));
  const dir = await volume.mft.loadFile(BUILT.records.get('/big')!);
  const reader = (volume as unknown as { directories: { searchDirectory(d: unknown, n: string): Promise<unknown> } }).directories;
  const error = await reader.searchDirectory(dir, name).then(() => undefined, (e: unknown) => e);
  if (!(error instanceof GrtError)) throw new Error(`expected a GrtError, got ${String(error)}`);
  return error;
}

describe('$I30 sub-node VCN damage offsets: where the bad VCN is recorded', () => {
  it('a sub-node VCN outside the index allocation', async () => {
    const image = BUILT.image.slice();
    const field = rootLastVcnField(image);
    new DataView(image.buffer).setBigUint64(field, 999n, true);
    expect(await searchError(image, 'zzz')).toMatchObject({ code: 'BAD_INDEX', offset: field, space: 'volume', actual: 999 });
  });

  it('a sub-node VCN naming a block not in use', async () => {
    const image = BUILT.image.slice();
    const field = rootLastVcnField(image);
    const view = new DataView(image.buffer);
    const vcn = Number(view.getBigUint64(field, true));
    // Clear the block's bit in /big's $I30 $BITMAP (resident: its value holds one byte per 8 blocks).
    const bitmap = attributeOf(image, 0xb0);
    const value = bitmap + view.getUint16(bitmap + 0x14, true);
    const block = vcn; // 4 KiB clusters and INDX blocks: a VCN is a block number
    image[value + (block >> 3)]! &= ~(1 << (block & 7));
    expect(await searchError(image, 'zzz')).toMatchObject({ code: 'BAD_INDEX', offset: field, space: 'volume', actual: vcn });
  });

  it('a cycle and a tree too deep: the VCN that leads there', async () => {
    const entry = { file: { record: 5, sequence: 5 }, key: { name: 'B' } } as unknown as IndexEntry;
    const self: IndexNode = { entries: [entry], childVcns: [7], lastChildVcn: undefined, childVcnOffsets: [12_345, undefined] };
    const key = (n: string): string => n.toUpperCase();
    expect(await searchIndex(self, async () => self, key, 'A', 't').catch((e: unknown) => e)).toMatchObject({ code: 'BAD_INDEX', offset: 12_345, space: 'volume', actual: 7 });
    const chain = async (vcn: number): Promise<IndexNode> => ({ entries: [], childVcns: [], lastChildVcn: vcn + 1, childVcnOffsets: [vcn * 100] });
    expect(await searchIndex(await chain(0), chain, key, 'A', 't').catch((e: unknown) => e)).toMatchObject({ code: 'BAD_INDEX', offset: 6400, space: 'volume' });
  });
});
