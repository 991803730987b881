import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrtError } from '../../src/errors.js';
import { buildCatalog, openCatalog, type Catalog } from '../../src/catalog/index.js';
import { encodeSection, readSectionHeaders, SectionType } from '../../src/catalog/format.js';
import { withPayload } from './with-payload.js';
import { FakeFs } from '../helpers/fake-fs.js';
import { volumeArbOf } from './tree-gen.js';

const [volume] = fc.sample(volumeArbOf(30, 40), { seed: 11, numRuns: 1 });
const binding = { capacity: 1 << 30, cids: ['abcd0123'], partitions: [{ index: 1, start: 65536, size: 1 << 29, fs: 'ntfs', serial: volume!.serial }] };
const good = await buildCatalog({ binding, volumes: [{ index: 1, start: 65536, fs: new FakeFs(volume!) }] });

/** Opens and uses every query; only GrtError may come out. */
async function useAll(bytes: Uint8Array): Promise<void> {
  try {
    const catalog: Catalog = await openCatalog(bytes);
    for (const v of catalog.volumes) {
      for await (const e of catalog.list(v.index, '/', { recursive: true, all: true, deleted: true })) {
        await catalog.stat(v.index, e.path);
        for (const s of ['', ...e.streams.map((x) => x.name)]) {
          try {
            catalog.layout(v.index, e, s);
          } catch (error) {
            if (!(error instanceof GrtError)) throw error;
          }
        }
      }
      for await (const _ of catalog.find(undefined, '**/*a*', { all: true, deleted: true })) void _;
    }
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
  }
}

describe('damaged catalogs', () => {
  it('undamaged opens', async () => {
    const catalog = await openCatalog(good);
    expect(catalog.volumes[0]!.names).toBe(volume!.entries.length);
  });

  it('random byte damage gives only GrtError (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), async (flips) => {
        const bytes = good.slice();
        for (const [at, xor] of flips) bytes[at % bytes.length]! ^= xor;
        await useAll(bytes);
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('a flipped payload byte is a BAD_CHECKSUM naming the section offset', async () => {
    const headers = readSectionHeaders(good);
    const names = headers.find((h) => h.type === SectionType.names)!;
    const bytes = good.slice();
    bytes[names.payloadOffset + 3]! ^= 0x40;
    await expect(openCatalog(bytes)).rejects.toMatchObject({ code: 'BAD_CHECKSUM', offset: names.offset });
  });

  it('truncation is refused', async () => {
    for (const length of [0, 5, 16, 40, good.length >> 1, good.length - 1]) {
      await expect(openCatalog(good.subarray(0, length))).rejects.toBeInstanceOf(GrtError);
    }
  });

  it('damage under a valid CRC gives only GrtError (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 3 }), fc.nat(), async (section, edits, cut) => {
        const bytes = withPayload(good, section, (payload) => {
          for (const [at, value] of edits) if (payload.length > 0) payload[at % payload.length] = value;
          return cut % 3 === 0 ? payload.subarray(0, cut % (payload.length + 1)) : payload;
        });
        await useAll(bytes);
      }),
      { seed: 43, numRuns: 200 },
    );
  });

  it('a damaged catalog file names its path once, keeping the section and offset', async () => {
    const headers = readSectionHeaders(good);
    const names = headers.find((h) => h.type === SectionType.names)!;
    const bytes = good.slice();
    bytes[names.payloadOffset + 3]! ^= 0x40;
    const dir = await mkdtemp(join(tmpdir(), 'grt-catalog-'));
    const path = join(dir, 'damaged.cat');
    try {
      await writeFile(path, bytes);
      const error: GrtError = await openCatalog(path).then(() => expect.fail('opened'), (e: unknown) => e as GrtError);
      const unwrapped: GrtError = await openCatalog(bytes).then(() => expect.fail('opened'), (e: unknown) => e as GrtError);
      expect(error).toMatchObject({ code: 'BAD_CHECKSUM', structure: 'catalog section', offset: names.offset, path });
      expect(error.message).toBe(`${unwrapped.message} in ${path}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a newer major version and foreign files', async () => {
    for (const major of [0, 5, 0x100]) {
      const other = good.slice();
      other[8] = major & 0xff;
      other[9] = major >> 8;
      await expect(openCatalog(other)).rejects.toMatchObject({ code: 'BAD_CATALOG', offset: 8 });
    }
    await expect(openCatalog(new TextEncoder().encode('not a catalog at all'))).rejects.toMatchObject({ code: 'BAD_MAGIC' });
  });

  it('skips unknown section types', async () => {
    const headers = readSectionHeaders(good);
    const at = headers[1]!.offset;
    const extra = encodeSection(0x1234, new Uint8Array([1, 2, 3]));
    const bytes = new Uint8Array(good.length + extra.length);
    bytes.set(good.subarray(0, at));
    bytes.set(extra, at);
    bytes.set(good.subarray(at), at + extra.length);
    // FILES chunk references in END are absolute offsets, so inserting before them must be refused...
    await expect(openCatalog(bytes)).rejects.toBeInstanceOf(GrtError);
    // ...while an unknown section just before END is skipped.
    const endAt = headers[headers.length - 1]!.offset;
    const tail = new Uint8Array(good.length + extra.length);
    tail.set(good.subarray(0, endAt));
    tail.set(extra, endAt);
    tail.set(good.subarray(endAt), endAt + extra.length);
    const catalog = await openCatalog(tail);
    expect(catalog.volumes[0]!.names).toBe(volume!.entries.length);
  });
});
