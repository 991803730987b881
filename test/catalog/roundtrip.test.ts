import fc from 'fast-check';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import type { ListOptions, StreamLayout } from '../../src/fs/file-system.js';
import { buildCatalog, openCatalog, writeCatalog, type Catalog, type CatalogBinding } from '../../src/catalog/index.js';
import { FakeFs, layoutKey, type FakeVolume } from '../helpers/fake-fs.js';
import { volumeArb } from './tree-gen.js';
import { collect } from './listing.js';

const START = [1_048_576, 5_000_000_000];

function bindingFor(volumes: FakeVolume[]): CatalogBinding {
  return {
    capacity: 10_000_000_000,
    cids: ['fffffffe', '1234abcd'],
    partitions: volumes.map((v, i) => ({ index: i + 1, start: START[i]!, size: 1_000_000, fs: 'ntfs', serial: v.serial })),
  };
}

function shifted(layout: StreamLayout, start: number): StreamLayout {
  return { ...layout, runs: layout.runs.map((r) => ({ ...r, sourceOffset: r.sourceOffset === null ? null : r.sourceOffset + start })) };
}

const OPTION_SETS: ListOptions[] = [{}, { all: true }, { deleted: true }, { all: true, deleted: true }];

/** Everything a catalog can say about a volume, compared with what the file system says. */
async function expectSameAsFs(catalog: Catalog, volume: number, fs: FakeFs, data: FakeVolume, start: number): Promise<void> {
  for (const options of OPTION_SETS) {
    expect(await collect(catalog.list(volume, '/', { ...options, recursive: true }))).toStrictEqual(await collect(fs.walk('/', options)));
  }
  for (const entry of data.entries) {
    expect(await catalog.stat(volume, entry.path)).toStrictEqual(entry);
    if (entry.type === 'dir') {
      for (const options of OPTION_SETS) {
        expect(await collect(catalog.list(volume, entry.path, options))).toStrictEqual(await fs.readDir(entry.path, options));
      }
    }
    const streams = [...(entry.type === 'dir' ? [] : ['']), ...entry.streams.map((s) => s.name)];
    const listed = await catalog.stat(volume, entry.path);
    for (const name of streams) {
      const want = data.layouts.get(layoutKey(entry.id.record, name))!;
      if (want instanceof GrtError) {
        expect(() => catalog.layout(volume, listed, name)).toThrow(new GrtError(want.code, want.message.slice(want.code.length + 2)));
      } else {
        expect(catalog.layout(volume, listed, name)).toStrictEqual(shifted(want, start));
        // An entry not handed out by the catalog is found by its path and id.
        expect(catalog.layout(volume, { ...entry }, name)).toStrictEqual(shifted(want, start));
      }
    }
  }
}

describe('catalog round trip', () => {
  it('gives back exactly what the file systems listed (property)', async () => {
    await fc.assert(
      fc.asyncProperty(volumeArb, volumeArb, async (a, b) => {
        const volumes = [a, b];
        const fss = volumes.map((v) => new FakeFs(v));
        const binding = bindingFor(volumes);
        const bytes = await buildCatalog({ binding, volumes: fss.map((fs, i) => ({ index: i + 1, start: START[i]!, fs })) });
        const catalog = await openCatalog(bytes);
        expect(catalog.binding).toStrictEqual(binding);
        expect(catalog.volumes.map((v) => v.names)).toStrictEqual(volumes.map((v) => v.entries.length));
        for (let i = 0; i < volumes.length; i++) await expectSameAsFs(catalog, i + 1, fss[i]!, volumes[i]!, START[i]!);
      }),
      { seed: 20261127, numRuns: 60 },
    );
  });

  it('streams to a file and opens it by path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grt-catalog-'));
    try {
      const [volume] = fc.sample(volumeArb, { seed: 7, numRuns: 1 });
      const fs = new FakeFs(volume!);
      const path = join(dir, 'backup.grtcat');
      let last = 0;
      await writeCatalog(path, { binding: bindingFor([volume!]), volumes: [{ index: 1, start: START[0]!, fs }] }, { onProgress: (p) => (last = p.entries) });
      expect(last).toBe(volume!.entries.length);
      const catalog = await openCatalog(path);
      await expectSameAsFs(catalog, 1, fs, volume!, START[0]!);
      await expect(openCatalog(join(dir, 'missing'))).rejects.toMatchObject({ code: 'IO_ERROR' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a failed write is an IO_ERROR and leaves neither the catalog nor its partial file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grt-catalog-'));
    try {
      const [volume] = fc.sample(volumeArb, { seed: 5, numRuns: 1 });
      const input = { binding: bindingFor([volume!]), volumes: [{ index: 1, start: 0, fs: new FakeFs(volume!) }] };
      await expect(writeCatalog(join(dir, 'no-such-folder', 'backup.grtcat'), input)).rejects.toMatchObject({ code: 'IO_ERROR' });
      const controller = new AbortController();
      controller.abort();
      await expect(writeCatalog(join(dir, 'backup.grtcat'), input, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops when aborted', async () => {
    const [volume] = fc.sample(volumeArb, { seed: 3, numRuns: 1 });
    const controller = new AbortController();
    controller.abort();
    await expect(
      buildCatalog({ binding: bindingFor([volume!]), volumes: [{ index: 1, start: 0, fs: new FakeFs(volume!) }] }, { signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
