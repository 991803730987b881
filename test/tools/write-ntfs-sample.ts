/**
 * Writes a few synthetic NTFS images and a manifest (path → sha256 of every file and stream) for
 * check-ntfs-builder.sh, which runs the real tools over them.
 * Usage: npx vite-node test/tools/write-ntfs-sample.ts <output directory>
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { arbNtfsSpec, buildNtfs, expectedEntries, type NodeSpec, type NtfsSpec } from '../builders/ntfs-builder.js';
import { randomBytes } from '../helpers/random-bytes.js';

const bytes = (length: number, seed: number): Uint8Array => randomBytes(length, seed);

function text(length: number, seed: number): Uint8Array {
  const words = ['alpha ', 'beta ', 'gamma ', 'delta ', 'ntfs ', 'grt ', 'restore\n'];
  let s = '';
  for (let i = 0; s.length < length; i++) s += words[(i * 7 + seed) % words.length];
  return new TextEncoder().encode(s.slice(0, length));
}

function sparseData(clusterSize: number): Uint8Array {
  const out = bytes(clusterSize * 10, 77);
  out.fill(0, clusterSize * 2, clusterSize * 6);
  return out;
}

const bigDir = (count: number): NodeSpec[] =>
  Array.from({ length: count }, (_, i) => ({ kind: 'file' as const, name: `file-${String(i).padStart(4, '0')}-with-a-longer-name.txt`, data: text(50 + (i % 300), i) }));

function features(clusterSize: number, withCompression: boolean): NtfsSpec {
  const children: NodeSpec[] = [
    { kind: 'file', name: 'with-streams.txt', data: text(300, 4), streams: [{ name: 'Zone.Identifier', data: text(40, 5) }, { name: 'big', data: bytes(20000, 6) }] },
    { kind: 'file', name: 'Long File Name.txt', dosName: 'LONGFI~1.TXT', data: text(1000, 7) },
    { kind: 'file', name: 'linked.txt', data: text(2000, 8), hardLinks: ['second-name.txt', '/sub/third-name.txt'] },
    { kind: 'file', name: 'Ünïcödé-文件-😀.txt', data: text(123, 9) },
    { kind: 'dir', name: 'sub', children: [{ kind: 'file', name: 'x', data: bytes(10, 10) }] },
    { kind: 'file', name: 'sparse.bin', data: sparseData(clusterSize), sparseRanges: [[clusterSize * 2, clusterSize * 4]] },
    { kind: 'file', name: 'fragmented.bin', data: bytes(clusterSize * 9 + 100, 11), fragmented: true },
    { kind: 'file', name: 'uninitialized.bin', data: (() => { const d = bytes(20000, 14); d.fill(0, 7000); return d; })(), initializedSize: 7000 },
    { kind: 'file', name: 'with-list.txt', data: text(9000, 15), attributeList: true, streams: [{ name: 'alt', data: text(50, 16) }] },
  ];
  if (withCompression) {
    children.push(
      { kind: 'file', name: 'compressed.txt', data: text(200_000, 12), compressed: true },
      { kind: 'file', name: 'compressed-random.bin', data: bytes(70_000, 13), compressed: true },
      { kind: 'file', name: 'compressed-sparse.bin', data: (() => { const d = text(300_000, 17); d.fill(0, 70_000, 200_000); return d; })(), compressed: true },
    );
  }
  return { volumeLabel: 'FEATURES', clusterSize, root: { kind: 'dir', name: '', children } };
}

export const SAMPLES: Record<string, NtfsSpec> = {
  minimal: {
    volumeLabel: 'MINIMAL',
    root: {
      kind: 'dir',
      name: '',
      children: [
        { kind: 'file', name: 'hello.txt', data: new TextEncoder().encode('hello, world\n') },
        { kind: 'file', name: 'empty.bin', data: new Uint8Array(0) },
        { kind: 'file', name: 'random.bin', data: bytes(100_000, 1) },
        { kind: 'file', name: 'notes.txt', data: text(5000, 3) },
      ],
    },
  },
  tree: {
    volumeLabel: 'TREE',
    root: {
      kind: 'dir',
      name: '',
      children: [
        { kind: 'dir', name: 'Documents', children: [{ kind: 'file', name: 'a.txt', data: text(700, 1) }, { kind: 'dir', name: 'deep', children: [{ kind: 'file', name: 'b.bin', data: bytes(9000, 2) }] }] },
        { kind: 'dir', name: 'big', children: bigDir(400) },
        { kind: 'dir', name: 'empty', children: [] },
      ],
    },
  },
  features: features(4096, true),
};

if (process.argv[2]) {
  const outDir = process.argv[2];
  mkdirSync(outDir, { recursive: true });
  const variants: Record<string, NtfsSpec> = {
    ...SAMPLES,
    'features-512': features(512, true),
    'features-64k': features(65536, false),
    'tree-4kn': { ...SAMPLES.tree, sectorSize: 4096, recordSize: 4096 },
    'tree-2m': { ...SAMPLES.tree, clusterSize: 2 * 1024 * 1024, freeClusters: 2 },
    'mft-list': { ...SAMPLES.tree, mftAttributeList: true },
    // 200-character names: few entries per INDX block, so the B-tree gets several levels.
    'deep-index': {
      root: { kind: 'dir', name: '', children: Array.from({ length: 700 }, (_, i) => ({ kind: 'file' as const, name: `${String(i).padStart(5, '0')}-${'x'.repeat(194)}`, data: text(i % 50, i) })) },
    },
  };
  fc.sample(arbNtfsSpec(), { seed: 20261127, numRuns: 8 }).forEach((spec, i) => (variants[`random-${i}`] = spec));
  for (const [name, spec] of Object.entries(variants)) {
    writeFileSync(join(outDir, `${name}.img`), buildNtfs(spec));
    const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
    const lines: string[] = [];
    for (const e of expectedEntries(spec)) {
      if (e.kind !== 'file') continue;
      lines.push(`${sha(e.data!)}  ${e.path}`);
      for (const s of e.streams) lines.push(`${sha(s.data)}  ${e.path}:${s.name}`);
    }
    writeFileSync(join(outDir, `${name}.sha256`), lines.map((l) => `${l}\n`).join(''));
  }
}
