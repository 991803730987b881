/**
 * The data read path: contiguous clusters are one source read, a fragmented file one read per
 * extent, compressed units decoded once however small the reads, file data never cached.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';
import { CountingSource } from '../helpers/counting-source.js';

const text = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => 97 + ((i * 7 + seed + (i >> 9)) % 26));

const BUILT = buildNtfsVolume({
  clusterSize: 4096,
  root: {
    kind: 'dir',
    name: '',
    children: [
      { kind: 'file', name: 'contiguous.bin', data: text(1024 * 1024) },
      { kind: 'file', name: 'frag.bin', data: text(300_000, 1), fragmented: true },
      { kind: 'file', name: 'compressed.txt', data: text(200_000, 2), compressed: true },
    ],
  },
});

describe('read path', () => {
  it('a contiguous file is one read; a fragmented one a read per extent', async () => {
    const counting = new CountingSource(new MemorySource(BUILT.image));
    const volume = await openNtfs(counting);
    const contiguous = await volume.openStream('/contiguous.bin');
    counting.reads = [];
    expect((await contiguous.read(0, contiguous.size)).length).toBe(1024 * 1024);
    expect(counting.reads).toHaveLength(1);

    const layout = await volume.streamLayout('/frag.bin');
    const frag = await volume.openStream('/frag.bin');
    counting.reads = [];
    await frag.read(0, frag.size);
    expect(counting.reads.length).toBe(layout.runs.filter((r) => r.sourceOffset !== null).length);
    expect(counting.reads.length).toBeGreaterThan(1);
  });

  it('small sequential reads of a compressed file decode each unit once', async () => {
    const counting = new CountingSource(new MemorySource(BUILT.image));
    const volume = await openNtfs(counting);
    const stream = await volume.openStream('/compressed.txt');
    const layout = await volume.streamLayout('/compressed.txt');
    expect(layout.encoding).toBe('lznt1');
    counting.reads = [];
    const whole = new Uint8Array(stream.size);
    for (let at = 0; at < stream.size; at += 1000) whole.set(await stream.read(at, Math.min(1000, stream.size - at)), at);
    expect(Buffer.from(whole).equals(Buffer.from(text(200_000, 2)))).toBe(true);
    const units = Math.ceil(stream.size / layout.compressionUnit!);
    const runsPerUnit = layout.runs.filter((r) => r.sourceOffset !== null).length;
    expect(counting.reads.length).toBeLessThanOrEqual(Math.max(units, runsPerUnit));
  });

  it('createReadStream delivers the data in large chunks', async () => {
    const volume = await openNtfs(new MemorySource(BUILT.image));
    const sizes: number[] = [];
    for await (const chunk of volume.createReadStream('/contiguous.bin')) sizes.push((chunk as Buffer).length);
    expect(sizes).toEqual([1024 * 1024]);
    const failing = volume.createReadStream('/missing');
    await expect((async () => { for await (const _ of failing) void _; })()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
