import { describe, expect, it } from 'vitest';
import type { FileEntry, StreamLayout } from '../../src/fs/file-system.js';
import { buildCatalog, openCatalog } from '../../src/catalog/index.js';
import { FakeFs, layoutKey, type FakeVolume } from '../helpers/fake-fs.js';
import { xorshift32 } from '../helpers/random-bytes.js';

/** A deterministic pseudo-random source in [0, 1), so sizes are the same on every run. */
function rng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 0x1_0000_0000;
}

const WORDS = ['report', 'invoice', 'setup', 'readme', 'photo', 'data', 'backup', 'config', 'notes', 'draft', 'library', 'module', 'resource', 'index', 'style'];
const EXTENSIONS = ['.txt', '.dll', '.exe', '.jpg', '.docx', '.xml', '.json', '.log', '.pdf', '.png'];
const BASE_TIME = 133_500_000_000_000_000n; // 2024 in FILETIME ticks

/** A Windows-like tree: ~5% directories, ~20 entries a directory, names from words and numbers. */
export function typicalVolume(files: number): FakeVolume {
  const random = rng(12345);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const root: FileEntry = {
    path: '/', name: '.', type: 'dir', size: 0, attributes: 0x16, streams: [], links: 1,
    times: { mtime: BASE_TIME, atime: BASE_TIME, ctime: BASE_TIME, btime: BASE_TIME }, id: { record: 5, sequence: 5 }, parent: { record: 5, sequence: 5 }, warnings: [],
  };
  const entries: FileEntry[] = [root];
  const layouts = new Map<string, StreamLayout>();
  let record = 64;
  let cluster = 10_000;
  const queue: FileEntry[] = [root];
  while (entries.length < files && queue.length > 0) {
    const dir = queue.shift()!;
    const children = 10 + Math.floor(random() * 20);
    const names = new Set<string>();
    for (let i = 0; i < children && entries.length < files; i++) {
      const isDir = random() < 0.06 || (queue.length === 0 && i === 0);
      const name = isDir ? `${pick(WORDS)}${Math.floor(random() * 100)}` : `${pick(WORDS)}_${Math.floor(random() * 10_000)}${pick(EXTENSIONS)}`;
      if (names.has(name.toUpperCase())) continue;
      names.add(name.toUpperCase());
      const time = BASE_TIME + BigInt(Math.floor(random() * 3e14));
      const size = isDir ? 0 : Math.floor(random() ** 3 * 50_000_000);
      const entry: FileEntry = {
        path: dir.path === '/' ? `/${name}` : `${dir.path}/${name}`, name, type: isDir ? 'dir' : 'file', size, attributes: isDir ? 0x10 : 0x20,
        times: { mtime: time, atime: time + BigInt(Math.floor(random() * 1e12)), ctime: time, btime: time - BigInt(Math.floor(random() * 1e12)) },
        streams: [], links: 1, id: { record: record++, sequence: 1 + Math.floor(random() * 3) }, parent: { ...dir.id }, warnings: [],
      };
      entries.push(entry);
      if (isDir) queue.push(entry);
      else if (size < 700) {
        layouts.set(layoutKey(entry.id.record, ''), { name: '', size, initializedSize: size, encoding: 'resident', resident: new Uint8Array(0), runs: [] });
      } else {
        const clusters = Math.ceil(size / 4096);
        const runs = random() < 0.9 ? [clusters] : [clusters >> 1, clusters - (clusters >> 1)];
        let streamOffset = 0;
        const layout: StreamLayout = { name: '', size, initializedSize: size, encoding: 'raw', runs: [] };
        for (const count of runs) {
          layout.runs.push({ streamOffset, sourceOffset: cluster * 4096, length: count * 4096 });
          streamOffset += count * 4096;
          cluster += count + (random() < 0.3 ? Math.floor(random() * 1000) : 0);
        }
        layouts.set(layoutKey(entry.id.record, ''), layout);
      }
    }
  }
  return { entries, layouts, metadata: new Set(), serial: '0123456789ABCDEF' };
}

describe('catalog size and speed', () => {
  it('100,000 files: well under 50 bytes a file, opened in well under 2 s', async () => {
    const volume = typicalVolume(100_000);
    const fs = new FakeFs(volume);
    const binding = { capacity: 1 << 40, cids: ['12345678'], partitions: [{ index: 1, start: 1_048_576, size: 1 << 39, fs: 'ntfs', serial: volume.serial }] };
    const bytes = await buildCatalog({ binding, volumes: [{ index: 1, start: 1_048_576, fs }] });
    const perFile = bytes.length / volume.entries.length;
    const started = performance.now();
    const catalog = await openCatalog(bytes);
    const openMs = performance.now() - started;
    const statStarted = performance.now();
    const sample = volume.entries[77_777]!;
    expect(await catalog.stat(1, sample.path.toUpperCase())).toStrictEqual(sample);
    const statMs = performance.now() - statStarted;
    let found = 0;
    const findStarted = performance.now();
    for await (const _ of catalog.find(1, '**/report*.pdf')) found++;
    const findMs = performance.now() - findStarted;
    console.log(
      `catalog: ${volume.entries.length} entries, ${bytes.length} bytes, ${perFile.toFixed(1)} bytes/file; ` +
        `open ${openMs.toFixed(0)} ms, first stat ${statMs.toFixed(0)} ms, find ${found} in ${findMs.toFixed(0)} ms`,
    );
    expect(perFile).toBeLessThan(50);
    expect(openMs).toBeLessThan(2000);
    expect(found).toBe(volume.entries.filter((e) => /^report.*\.pdf$/i.test(e.name)).length);
  });
});
