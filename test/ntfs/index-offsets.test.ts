/**
 * A damaged INDX block is a warning whose offset is where the bad byte is on the volume (not
 * its place in the chunk of the index stream that was read).
 */
import { describe, expect, it } from 'vitest';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';

const BUILT = buildNtfsVolume({
  clusterSize: 4096,
  root: {
    kind: 'dir',
    name: '',
    children: [
      { kind: 'file', name: 'a.txt', data: new Uint8Array(3) },
      { kind: 'dir', name: 'big', children: Array.from({ length: 120 }, (_, i) => ({ kind: 'file' as const, name: `entry-${i}.txt`, data: new Uint8Array(i % 5) })) },
    ],
  },
});

/** Volume offsets of every INDX block (blocks start on a cluster here). */
function indxBlocks(image: Uint8Array): number[] {
  const found: number[] = [];
  for (let at = 0; at + 4 <= image.length; at += BUILT.clusterSize) {
    if (image[at] === 0x49 && image[at + 1] === 0x4e && image[at + 2] === 0x44 && image[at + 3] === 0x58) found.push(at);
  }
  return found;
}

async function warningsAfterListing(image: Uint8Array): Promise<{ code: string; offset?: number }[]> {
  const volume = await openNtfs(new MemorySource(image));
  const before = volume.warnings.length;
  const children = await volume.readDir('/big');
  expect(children.length).toBeLessThan(120); // the damaged block's entries are lost, the others kept
  expect(children.length).toBeGreaterThan(0);
  await volume.readDir('/big'); // listed again: the warning is not repeated
  return volume.warnings.slice(before);
}

describe('INDX damage offsets', () => {
  const blocks = indxBlocks(BUILT.image);

  it('the test volume has several index blocks, none at the start of the volume', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(blocks[0]).toBeGreaterThan(BUILT.clusterSize);
  });

  it('entries offset out of the node: offset of the node header field', async () => {
    const block = blocks[1]!;
    const image = BUILT.image.slice();
    new DataView(image.buffer).setUint32(block + 24, 0xfff0, true);
    const warnings = await warningsAfterListing(image);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'BAD_INDEX', offset: block + 24 });
  });

  it('torn write (fixup mismatch): offset of the stride end', async () => {
    const block = blocks[blocks.length - 1]!;
    const image = BUILT.image.slice();
    image[block + 1022]! ^= 0x5a;
    const warnings = await warningsAfterListing(image);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'BAD_INDEX', offset: block + 1022 });
  });

  it('$INDEX_ROOT damage: offset of the field in the record on the volume', async () => {
    const volume = await openNtfs(new MemorySource(BUILT.image));
    const recordOffset = volume.mft.recordOffset((await volume.stat('/big')).id.record);
    const view = new DataView(BUILT.image.buffer, BUILT.image.byteOffset, BUILT.image.byteLength);
    // Walk the record's attributes to the $INDEX_ROOT (type 0x90) value.
    let at = recordOffset + view.getUint16(recordOffset + 20, true);
    while (view.getUint32(at, true) !== 0x90) at += view.getUint32(at + 4, true);
    const nodeHeader = at + view.getUint16(at + 20, true) + 16;
    expect((nodeHeader - recordOffset) % 512).toBeLessThan(508); // not under a fixup
    const image = BUILT.image.slice();
    new DataView(image.buffer).setUint32(nodeHeader, 0xfff0, true);
    const damaged = await openNtfs(new MemorySource(image));
    await expect(damaged.readDir('/big')).rejects.toMatchObject({ code: 'BAD_INDEX', offset: nodeHeader });
  });
});
