/**
 * A restore finds each stream's layout once and opens the stream from it (FileSystem.openLayout):
 * the file's record is not looked up and parsed a second time by openStream.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { restore } from '../../src/restore/index.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';
import { randomBytes } from '../helpers/random-bytes.js';

const BIG = randomBytes(300_000, 3);
const BUILT = buildNtfsVolume({
  clusterSize: 4096,
  root: { kind: 'dir', name: '', children: [{ kind: 'file', name: 'big.bin', data: BIG }, { kind: 'file', name: 'small.txt', data: new TextEncoder().encode('small') }] },
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-open-layout-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('restore opens streams from their layouts', () => {
  it('one streamLayout per stream, no openStream, same bytes', async () => {
    const fs = await openNtfs(new MemorySource(BUILT.image));
    const layouts = vi.spyOn(fs, 'streamLayout');
    const opens = vi.spyOn(fs, 'openStream');
    const summary = await restore({ fs, paths: ['/big.bin', '/small.txt'], to: dir });
    expect(summary.failed).toBe(0);
    expect(layouts).toHaveBeenCalledTimes(2);
    expect(opens).not.toHaveBeenCalled();
    expect(Buffer.compare(await readFile(join(dir, 'big.bin')), BIG)).toBe(0);
    expect(await readFile(join(dir, 'small.txt'), 'utf8')).toBe('small');
  });
});
