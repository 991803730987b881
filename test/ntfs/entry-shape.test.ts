/**
 * Every way of listing an NTFS file gives entries of one shape, keys in one order (a caller's
 * JSON.stringify of an entry reads the same whichever call produced it).
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';

const BUILT = buildNtfsVolume({
  clusterSize: 4096,
  root: { kind: 'dir', name: '', children: [{ kind: 'dir', name: 'd', children: [{ kind: 'file', name: 'f.txt', data: new TextEncoder().encode('x') }] }] },
});

const KEYS = ['type', 'size', 'times', 'attributes', 'streams', 'links', 'id', 'warnings', 'path', 'name', 'parent'];

describe('NTFS entry shape', () => {
  it('readDir, stat, a walk below the root and a walk from the root agree on keys and their order', async () => {
    const volume = await openNtfs(new MemorySource(BUILT.image));
    const fromReadDir = (await volume.readDir('/d')).find((e) => e.name === 'f.txt')!;
    const fromStat = await volume.stat('/d/f.txt');
    const below: string[][] = [];
    for await (const e of volume.walk('/d')) below.push(Object.keys(e));
    const fromRoot: string[][] = [];
    for await (const e of volume.walk('/')) if (e.path === '/d/f.txt') fromRoot.push(Object.keys(e));
    expect(Object.keys(fromReadDir)).toEqual(KEYS);
    expect(Object.keys(fromStat)).toEqual(KEYS);
    expect(below).toEqual([KEYS]);
    expect(fromRoot).toEqual([KEYS]);
    expect(Object.keys(await volume.stat('/'))).toEqual(KEYS.filter((k) => k !== 'parent'));
    expect(fromReadDir).toEqual(fromStat);
  });
});
