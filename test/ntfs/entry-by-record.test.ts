/**
 * NtfsVolume.entryByRecord: a file by MFT record number, at the path its parent references give
 * (as a listing places it), the same entry a path lookup gives.
 */
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';
import { reparentRecord } from '../builders/ntfs/reparent.js';

const SPEC = {
  root: {
    kind: 'dir' as const,
    name: '',
    children: [
      { kind: 'dir' as const, name: 'a', children: [{ kind: 'dir' as const, name: 'b', children: [{ kind: 'file' as const, name: 'c.txt', data: new Uint8Array([1, 2, 3]) }] }] },
      { kind: 'file' as const, name: 'lost.txt', data: new Uint8Array([4]) },
    ],
  },
};

describe('entryByRecord', () => {
  it('gives the entry stat gives, at its path; the root is /', async () => {
    const built = buildNtfsVolume(SPEC);
    const volume = await openNtfs(new MemorySource(built.image));
    for (const path of ['/a', '/a/b', '/a/b/c.txt', '/lost.txt']) {
      const byRecord = await volume.entryByRecord(built.records.get(path)!);
      expect(byRecord).toEqual(await volume.stat(path));
    }
    expect((await volume.entryByRecord(5)).path).toBe('/');
    expect((await volume.entryByRecord(0)).name).toBe('$MFT');
    const error = await volume.entryByRecord(1e9).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrtError);
    expect((error as GrtError).code).toBe('NOT_FOUND');
  });

  it('places a name whose parent chain does not reach the root under /$Orphan, as walk does', async () => {
    const built = buildNtfsVolume(SPEC);
    const clean = await openNtfs(new MemorySource(built.image));
    const record = built.records.get('/lost.txt')!;
    await reparentRecord(clean, built.image, record, 900_000);
    const volume = await openNtfs(new MemorySource(built.image));
    const entry = await volume.entryByRecord(record);
    expect(entry.path).toBe('/$Orphan/lost.txt');
    const walked = [];
    for await (const e of volume.walk('/')) if (e.id.record === record) walked.push(e.path);
    expect(walked).toEqual([entry.path]);
  });
});
