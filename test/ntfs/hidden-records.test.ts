/**
 * A record is an extension only when its base claims it. An in-use file record whose base-reference
 * field is non-zero, but whose named base does not list it, is a file: walks, scans, catalogs and
 * restores of '/' must show it (a direct path reaches it through the directory index anyway).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCatalog, CatalogFileSystem, openCatalog } from '../../src/catalog/index.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { openNtfs, type NtfsVolume } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { restore } from '../../src/restore/restore.js';
import { buildNtfsVolume, type NtfsSpec } from '../builders/ntfs-builder.js';

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

const SPEC: NtfsSpec = {
  root: {
    kind: 'dir',
    name: '',
    children: [
      { kind: 'file', name: 'visible.txt', data: bytes(100, 1) },
      { kind: 'file', name: 'hidden.bin', data: bytes(9000, 2) },
      { kind: 'dir', name: 'd', children: [{ kind: 'file', name: 'also-hidden.txt', data: bytes(40, 3) }, { kind: 'file', name: 'listed.bin', data: bytes(50, 4), attributeList: true }] },
    ],
  },
};

/** Byte 32 of a record: the base reference (outside any fixup stride end, so no fixup to redo). */
const BASE_REFERENCE = 32;

/** A volume whose `hidden.bin` names record 7 ($Boot) as base and `also-hidden.txt` names itself. */
async function hiddenVolume(): Promise<{ volume: NtfsVolume; image: Uint8Array; hidden: number[] }> {
  const built = buildNtfsVolume(SPEC);
  const clean = await openNtfs(new MemorySource(built.image));
  const view = new DataView(built.image.buffer, built.image.byteOffset, built.image.byteLength);
  const hidden = [built.records.get('/hidden.bin')!, built.records.get('/d/also-hidden.txt')!];
  view.setUint32(clean.mft.recordOffset(hidden[0]!) + BASE_REFERENCE, 7, true);
  view.setUint32(clean.mft.recordOffset(hidden[1]!) + BASE_REFERENCE, hidden[1]!, true);
  return { volume: await openNtfs(new MemorySource(built.image)), image: built.image, hidden };
}

/** Every entry below '/', found through the directory indexes only (readDir, no MFT scan). */
async function indexWalk(volume: NtfsVolume, path = '/'): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  for (const child of await volume.readDir(path)) {
    out.push(child);
    if (child.type === 'dir') out.push(...(await indexWalk(volume, child.path)));
  }
  return out;
}

const paths = (entries: FileEntry[]): string[] => entries.map((e) => e.path).sort();

describe('records with a base reference nobody claims', () => {
  const temps: string[] = [];
  afterAll(async () => {
    for (const dir of temps) await rm(dir, { recursive: true, force: true });
  });

  it('are listed by walk and scan, with a warning, as the directory index shows them', async () => {
    const { volume, hidden } = await hiddenVolume();
    const byIndex = await indexWalk(volume);
    expect(paths(byIndex)).toEqual(['/d', '/d/also-hidden.txt', '/d/listed.bin', '/hidden.bin', '/visible.txt']);
    const walked: FileEntry[] = [];
    for await (const entry of volume.walk('/')) walked.push(entry);
    expect(paths(walked)).toEqual(paths(byIndex));
    const scanned: FileEntry[] = [];
    for await (const entry of volume.scan()) scanned.push(entry);
    expect(paths(scanned)).toEqual(paths(byIndex));
    for (const record of hidden) {
      const entry = walked.find((e) => e.id.record === record)!;
      expect(entry.warnings.map((w) => w.message).join('\n')).toMatch(/does not claim it; listed as a file/);
    }
    // A real extension record (listed.bin's, claimed by its attribute list) stays one.
    expect(walked.filter((e) => e.path === '/d/listed.bin')).toHaveLength(1);
    expect(walked.find((e) => e.path === '/d/listed.bin')!.warnings).toEqual([]);
    const data = await volume.openStream(walked.find((e) => e.path === '/hidden.bin')!);
    expect(await data.read(0, data.size)).toEqual(bytes(9000, 2));
  });

  it('are in a catalog and in a restore of "/": one file or directory per in-use record listed', async () => {
    const { volume, image } = await hiddenVolume();
    const listed = await indexWalk(volume);
    const binding = { capacity: image.length, cids: [], partitions: [{ index: 1, start: 0, size: image.length, fs: 'ntfs', serial: volume.info.serial }] };
    const catalog = new CatalogFileSystem(await openCatalog(await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs: volume }] })), 1);
    const catalogued: FileEntry[] = [];
    for await (const entry of catalog.walk('/')) catalogued.push(entry);
    expect(paths(catalogued)).toEqual(paths(listed));

    const to = await mkdtemp(join(tmpdir(), 'grt-hidden-'));
    temps.push(to);
    const summary = await restore({ fs: volume, paths: ['/'], to });
    expect(summary.failed).toBe(0);
    expect(summary.files).toBe(listed.filter((e) => e.type === 'file').length);
    expect((await readdir(to, { recursive: true })).sort()).toEqual(paths(listed).map((p) => p.slice(1)));
  });
});
