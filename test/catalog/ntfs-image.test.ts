/**
 * End to end over the committed NTFS test images (test-images/ntfs): VMDK → partitions → NTFS →
 * catalog → open → every listing equals the live walk, and every raw/resident stream rebuilt from
 * the catalog's disk offsets alone equals what the NTFS reader returns.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildCatalog, openCatalog, type CatalogBinding } from '../../src/catalog/index.js';
import type { FileSystem, ListOptions, StreamLayout } from '../../src/fs/file-system.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { openDisk, type VirtualDisk } from '../../src/vmdk/index.js';
import { listVolumes } from '../../src/volume/index.js';
import { collect } from './listing.js';

const IMAGES = fileURLToPath(new URL('../../test-images/ntfs/', import.meta.url));
const BASE = `${IMAGES}ntfs-mbr.vmdk`;
const CHILD = `${IMAGES}ntfs-mbr-child2.vmdk`;

async function catalogue(disk: VirtualDisk) {
  const layout = await listVolumes(disk);
  const volumes: { index: number; start: number; fs: FileSystem }[] = [];
  for (const v of layout.volumes) if (v.fs === 'ntfs') volumes.push({ index: v.index, start: v.start, fs: await openNtfs(v.source) });
  const binding: CatalogBinding = {
    capacity: disk.info.capacity,
    cids: disk.info.chain.map((c) => c.cid ?? ''),
    partitions: layout.volumes.map((v) => {
      const fs = volumes.find((x) => x.index === v.index)?.fs;
      return { index: v.index, start: v.start, size: v.size, fs: v.fs, ...(fs ? { serial: fs.info.serial } : {}) };
    }),
  };
  return { binding, volumes, bytes: await buildCatalog({ binding, volumes }) };
}

/** A stream's bytes from the disk, using only a catalog layout (raw or resident). */
async function readByLayout(disk: ByteSource, layout: StreamLayout): Promise<Uint8Array> {
  if (layout.encoding === 'resident') return layout.resident!.subarray(0, layout.size);
  const out = new Uint8Array(layout.size);
  for (const run of layout.runs) {
    if (run.sourceOffset === null || run.streamOffset >= layout.initializedSize) continue;
    const length = Math.min(run.length, layout.initializedSize - run.streamOffset);
    out.set(await disk.read(run.sourceOffset, length), run.streamOffset);
  }
  return out;
}

describe.skipIf(!existsSync(BASE))('catalog of a real NTFS image', () => {
  it('lists, stats and locates streams as the live file system does', { timeout: 60_000 }, async () => {
    const disk = await openDisk(BASE);
    try {
      const { bytes, volumes, binding } = await catalogue(disk);
      const catalog = await openCatalog(bytes);
      catalog.checkBinding(binding);
      expect(volumes.length).toBeGreaterThan(0);
      console.log(`catalog of ${BASE}: ${bytes.length} bytes for ${catalog.volumes.map((v) => v.names).join('+')} names`);
      for (const { index, fs } of volumes) {
        for (const options of [{}, { all: true }, { all: true, deleted: true }] as ListOptions[]) {
          expect(await collect(catalog.list(index, '/', { ...options, recursive: true }))).toStrictEqual(await collect(fs.walk('/', options)));
        }
        expect(await collect(catalog.list(index, '/'))).toStrictEqual(await fs.readDir('/'));
        let checked = 0;
        for await (const entry of fs.walk('/')) {
          expect(await catalog.stat(index, entry.path)).toStrictEqual(await fs.stat(entry.path));
          if (entry.type !== 'file' || entry.undecodable) continue;
          for (const name of ['', ...entry.streams.map((s) => s.name)]) {
            const layout = catalog.layout(index, entry, name);
            if (layout.encoding === 'lznt1') continue;
            const live = await fs.openStream(entry, name);
            // NOTE: Buffer.compare, not toEqual: vitest's deep equality crawls over big byte arrays.
            expect(Buffer.compare(await readByLayout(disk, layout), await live.read(0, live.size))).toBe(0);
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(10);
      }
    } finally {
      await disk.close?.();
    }
  });

  it('is bound to its image: another chain level is a CATALOG_MISMATCH', { timeout: 60_000 }, async () => {
    const base = await openDisk(BASE);
    const child = await openDisk(CHILD);
    try {
      const { bytes } = await catalogue(child);
      const catalog = await openCatalog(bytes);
      expect(catalog.binding.cids.length).toBe(3);
      const baseBinding = (await catalogue(base)).binding;
      expect(() => catalog.checkBinding(baseBinding)).toThrow(/CATALOG_MISMATCH: catalog binding: VMDK chain CIDs differ/);
      const found = await collect(catalog.find(undefined, '/chain/*.txt'));
      expect(found.map((e) => e.path)).toContain('/chain/story.txt');
      expect(found.find((e) => e.path === '/chain/story.txt')!.size).toBe(3000);
    } finally {
      await base.close?.();
      await child.close?.();
    }
  });
});
