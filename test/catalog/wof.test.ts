/**
 * WOF (Compact OS) files through a catalog (test-images/wof): the catalog keeps each file's WOF
 * layout (format, compressed stream's runs), so a catalog restore gives the plaintext without the
 * MFT, and a small read decodes only the chunks it needs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCatalog, CatalogFileSystem, openCatalog, type CatalogBinding } from '../../src/catalog/index.js';
import { readSectionHeaders, SectionType } from '../../src/catalog/format.js';
import { GrtError } from '../../src/errors.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { CountingSource } from '../helpers/counting-source.js';
import { withPayload } from './with-payload.js';
import { openImage } from '../../src/image.js';
import { inflateInline } from '../../src/vmdk/inflate-pool.js';
import type { GrainInflation } from '../../src/vmdk/inflation.js';

const DIR = new URL('../../test-images/wof/', import.meta.url).pathname;
interface WofFile { path: string; format: string; chunkSize: number; size: number; sha256: string; streamBytes: number; damaged: boolean }
const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { files: WofFile[]; large: WofFile };
const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** A catalog of the one NTFS volume `source` (at disk offset 0), and the volume. */
async function catalogOf(source: ByteSource) {
  const fs = await openNtfs(source);
  const binding: CatalogBinding = { capacity: source.size, cids: [''], partitions: [{ index: 0, start: 0, size: source.size, fs: 'ntfs', serial: fs.info.serial }] };
  const catalog = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 0, start: 0, fs }] }));
  return { fs, catalog };
}

describe('WOF files through a catalog', () => {
  for (const image of ['wof.vmdk', 'wof-stream.vmdk']) {
    it(`${image}: a catalog restore of every format equals the image's plaintext; damage fails typed`, async () => {
      const opened = await openImage(`${DIR}${image}`);
      try {
        const volume = opened.layout.volumes[0]!;
        expect(volume.start).toBe(0);
        const { fs, catalog } = await catalogOf(volume.source);
        const fromCatalog = new CatalogFileSystem(catalog, 0, volume.source);
        for (const f of manifest.files) {
          const entry = await fromCatalog.stat(f.path);
          expect(entry.size).toBe(f.size);
          const layout = await fromCatalog.streamLayout(entry);
          expect(layout.encoding).toBe('wof');
          expect(layout.wof?.algorithm).toBe(f.format);
          const stream = fromCatalog.openLayout(layout);
          if (f.damaged) {
            await expect(stream.read(0, f.size)).rejects.toMatchObject({ name: 'GrtError' });
            continue;
          }
          const plain = await stream.read(0, f.size);
          expect(sha(plain)).toBe(f.sha256);
          expect(plain).toEqual(await (await fs.openStream(f.path)).read(0, f.size));
        }
      } finally {
        await opened.close();
      }
    });
  }

  it('a large read through the catalog decodes its chunks in batches through the given GrainInflation', async () => {
    const volume = new MemorySource(new Uint8Array(gunzipSync(readFileSync(`${DIR}wof-large.img.gz`))));
    const { catalog } = await catalogOf(volume);
    let batches = 0;
    const counting: GrainInflation = { batch: (jobs) => (batches++, Promise.resolve(inflateInline(jobs))) };
    const large = manifest.large;
    const plain = await (await new CatalogFileSystem(catalog, 0, volume).openStream(large.path)).read(0, 4 << 20);
    expect(batches).toBe(0);
    const batched = await (await new CatalogFileSystem(catalog, 0, volume, counting).openStream(large.path)).read(0, 4 << 20);
    expect(batches).toBeGreaterThan(0);
    expect(Buffer.from(batched).equals(Buffer.from(plain))).toBe(true);
  });

  it('a 4 KiB read from the middle of a 4 GiB WOF file reads one chunk and its table entries', { timeout: 60_000 }, async () => {
    const volume = new MemorySource(new Uint8Array(gunzipSync(readFileSync(`${DIR}wof-large.img.gz`))));
    const { catalog } = await catalogOf(volume);
    const disk = new CountingSource(volume);
    const fromCatalog = new CatalogFileSystem(catalog, 0, disk);
    const large = manifest.large;
    const stream = await fromCatalog.openStream(large.path);
    expect(stream.size).toBe(large.size);
    const middle = Math.floor(large.size / 2 / 4096) * 4096;
    disk.reads = [];
    const bytes = await stream.read(middle, 4096);
    expect(bytes.length).toBe(4096);
    // One LZX chunk (≤ 32 KiB stored) and the chunk table pages (32 KiB each) holding its start
    // and end entries: two when they straddle a page, as here. Not the 11 MB compressed stream.
    expect(disk.bytesRead).toBeGreaterThan(0);
    expect(disk.bytesRead).toBeLessThanOrEqual(32768 + 2 * 32768);
    // The same bytes as the image reads.
    const live = await openNtfs(volume);
    expect(bytes).toEqual(await (await live.openStream(large.path)).read(middle, 4096));
  });
});

describe('damaged catalogs of WOF files and owners', () => {
  it('give only GrtError when their FILES records are damaged, on listing, owners, layouts and reads', { timeout: 120_000 }, async () => {
    const opened = await openImage(`${DIR}wof.vmdk`);
    try {
      const volume = opened.layout.volumes[0]!;
      const fs = await openNtfs(volume.source);
      const binding: CatalogBinding = { capacity: volume.source.size, cids: [''], partitions: [{ index: 0, start: 0, size: volume.source.size, fs: 'ntfs', serial: fs.info.serial }] };
      const good = await buildCatalog({ binding, volumes: [{ index: 0, start: 0, fs }] });
      const files = readSectionHeaders(good).findIndex((h) => h.type === SectionType.files);
      await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), async (edits) => {
        const damaged = withPayload(good, files, (payload) => {
          for (const [at, value] of edits) payload[at % payload.length] = value;
          return payload;
        });
        try {
          const fromCatalog = new CatalogFileSystem(await openCatalog(damaged), 0, volume.source);
          for await (const entry of fromCatalog.walk('/')) {
            await fromCatalog.readSecurity(entry).catch(typedOnly);
            if (entry.type !== 'file') continue;
            const layout = await fromCatalog.streamLayout(entry).catch(typedOnly);
            if (layout) await Promise.resolve().then(() => fromCatalog.openLayout(layout).read(0, Math.min(layout.size, 1 << 16))).catch(typedOnly);
          }
        } catch (error) {
          typedOnly(error);
        }
      }), { numRuns: 60, seed: 18 });
    } finally {
      await opened.close();
    }
  });
});

function typedOnly(error: unknown): undefined {
  if (!(error instanceof GrtError)) throw error;
  return undefined;
}
