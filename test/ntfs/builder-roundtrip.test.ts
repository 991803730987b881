/**
 * Synthetic volumes from the test NTFS writer (random geometry incl. 4096-byte sectors/records,
 * $MFT with an attribute list, fragmented/sparse/compressed/uninitialized data, ADS, DOS names,
 * hard links, INDX directories): every file reads back exactly as specified.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { openNtfs, type NtfsVolume } from '../../src/fs/ntfs/volume.js';
import { arbNtfsSpec, buildNtfsVolume, type NodeSpec, type NtfsSpec } from '../builders/ntfs-builder.js';
import { filetimeToNs } from '../../src/util/time.js';

async function readAll(volume: NtfsVolume, target: string | FileEntry, stream = ''): Promise<Uint8Array> {
  const source = await volume.openStream(target, stream);
  return source.read(0, source.size);
}

async function checkVolume(spec: NtfsSpec): Promise<void> {
  const built = buildNtfsVolume(spec);
  const volume = await openNtfs(new MemorySource(built.image));
  expect(volume.info.clusterSize).toBe(built.clusterSize);
  expect(volume.info.recordSize).toBe(built.recordSize);
  expect(volume.warnings).toEqual([]);
  const walked = new Map<string, FileEntry>();
  for await (const entry of volume.walk('/')) walked.set(entry.path, entry);
  const expectedPaths = new Set<string>();

  const visit = async (node: NodeSpec, path: string): Promise<void> => {
    expectedPaths.add(path);
    const entry = await volume.stat(path);
    if (path !== '/') expect(walked.get(path)?.id, path).toEqual(entry.id);
    expect(entry.type).toBe(node.kind === 'dir' ? 'dir' : 'file');
    if (node.dosName) expect(entry.dosName).toBe(node.dosName);
    if (node.times?.mtime !== undefined) expect(entry.times.mtime).toBe(filetimeToNs(node.times.mtime));
    if (node.kind === 'dir') {
      const listed = await volume.readDir(path);
      expect(listed.map((e) => e.name).sort()).toEqual(
        [...node.children.map((c) => c.name), ...extraLinksInto(spec, path)].sort(),
      );
      for (const child of node.children) await visit(child, path === '/' ? `/${child.name}` : `${path}/${child.name}`);
      return;
    }
    expect(entry.size).toBe(node.data.length);
    expect(Buffer.from(await readAll(volume, path)).equals(Buffer.from(node.data)), path).toBe(true);
    expect(Buffer.from(await readAll(volume, entry)).equals(Buffer.from(node.data)), path).toBe(true);
    expect(entry.links).toBe(1 + (node.hardLinks?.length ?? 0));
    for (const stream of node.streams ?? []) {
      expect(entry.streams.find((s) => s.name === stream.name)?.size).toBe(stream.data.length);
      expect(Buffer.from(await readAll(volume, path, stream.name)).equals(Buffer.from(stream.data))).toBe(true);
    }
    for (const link of node.hardLinks ?? []) {
      const linkPath = link.startsWith('/') ? link : `${path.slice(0, path.lastIndexOf('/')) || ''}/${link}`;
      expectedPaths.add(linkPath);
      expect((await volume.stat(linkPath)).id).toEqual(entry.id);
    }
  };
  await visit(spec.root, '/');
  expectedPaths.delete('/');
  expect(new Set(walked.keys())).toEqual(expectedPaths);
}

/** Names that hard links of files elsewhere add to directory `dir`. */
function extraLinksInto(spec: NtfsSpec, dir: string): string[] {
  const out: string[] = [];
  const visit = (node: NodeSpec, path: string): void => {
    if (node.kind === 'dir') {
      for (const child of node.children) visit(child, path === '/' ? `/${child.name}` : `${path}/${child.name}`);
      return;
    }
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    for (const link of node.hardLinks ?? []) {
      const linkPath = link.startsWith('/') ? link : `${parent === '/' ? '' : parent}/${link}`;
      const linkDir = linkPath.slice(0, linkPath.lastIndexOf('/')) || '/';
      if (linkDir === dir) out.push(linkPath.slice(linkPath.lastIndexOf('/') + 1));
    }
  };
  visit(spec.root, '/');
  return out;
}

const text = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => 97 + ((i * 7 + seed + (i >> 9)) % 26));

describe('synthetic NTFS volumes', () => {
  it('4096-byte sectors and records, $MFT with an attribute list, initialized size < data size', async () => {
    const data = text(50_000);
    data.fill(0, 20_000);
    await checkVolume({
      sectorSize: 4096,
      clusterSize: 4096,
      mftAttributeList: true,
      volumeLabel: 'Synth',
      root: {
        kind: 'dir',
        name: '',
        children: [
          { kind: 'file', name: 'uninit.bin', data, initializedSize: 20_000 },
          { kind: 'file', name: 'compressed.txt', data: text(200_000, 3), compressed: true },
          { kind: 'file', name: 'frag.bin', data: text(80_000, 5), fragmented: true, attributeList: true, streams: [{ name: 'ads', data: text(9000, 1) }] },
          { kind: 'file', name: 'sparse.bin', data: new Uint8Array(65536 * 3), sparseRanges: [[0, 65536 * 3]] },
          { kind: 'dir', name: 'dir', children: Array.from({ length: 200 }, (_, i) => ({ kind: 'file' as const, name: `name-${i}-😀`, data: text(i) })) },
        ],
      },
    });
  });

  it('random volumes read back exactly', async () => {
    await fc.assert(fc.asyncProperty(arbNtfsSpec(), checkVolume), { seed: 4242, numRuns: 15, endOnFailure: true, reporter: (r) => { if (r.failed) throw new Error(`${String(r.errorInstance)} seed ${r.seed} path ${r.counterexamplePath}`); } });
  }, 60_000);
});
