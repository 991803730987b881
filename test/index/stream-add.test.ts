/**
 * An add reads its catalog as a stream (catalog/catalog-stream.ts): a folder whose names come
 * apart (the walk goes depth first, a folder past a batch) is still one folder row with every name,
 * and damage that only decoding finds, past the first batch written, rolls the add back with the
 * error opening the catalog gives.
 */
import { describe, expect, it } from 'vitest';
import { openCatalog } from '../../src/catalog/index.js';
import { encodeSection, readSectionHeaders, readSectionPayload, SectionType } from '../../src/catalog/format.js';
import { GrtError } from '../../src/errors.js';
import { openIndex } from '../../src/index/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { catalogOf, catalogRows, day, type Tree } from './catalogs.js';

/** 5,000 names in /big (more than a batch), with subfolders between them in the walk. */
function bigTree(): Tree {
  const tree: Tree = { '/a.txt': { data: 'a', time: day(1) } };
  for (let i = 0; i < 5000; i++) tree[`/big/f${String(i).padStart(4, '0')}`] = { data: 'x'.repeat(i % 3), time: day(i % 5) };
  for (let i = 0; i < 3; i++) tree[`/big/sub${i}/g.txt`] = { data: 'g', time: day(i) };
  tree['/z/last.txt'] = { data: 'z', time: day(9) };
  return tree;
}

/**
 * The catalog with the last byte of its NAMES payload given the continuation bit (the last name
 * then runs past its chunk), re-encoded under a valid CRC at the same stored length (so no offset
 * the END section holds moves): damage only decoding the names finds.
 */
function namesDamaged(bytes: Uint8Array): Uint8Array {
  const h = readSectionHeaders(bytes).find((s) => s.type === SectionType.names)!;
  const payload = readSectionPayload(bytes, h).slice();
  for (let value = 0x80; value <= 0xff; value++) {
    payload[payload.length - 1] = value;
    const section = encodeSection(h.type, payload);
    if (section.length !== 20 + h.storedLength) continue;
    const out = bytes.slice();
    out.set(section, h.offset);
    return out;
  }
  throw new Error('no damage of the same stored length');
}

for (const backend of BACKENDS) {
  describe(backend, () => {
    const newUrl = useBackend(backend);

    it('a folder whose names come apart is one folder with every name', async () => {
      const bytes = await catalogOf(bigTree());
      const index = await openIndex(await newUrl());
      try {
        await index.add(bytes, { backup: 'b1', vm: 'vm', time: new Date(Date.UTC(2024, 0, 1)) });
        const found: string[] = [];
        for await (const row of index.find('*')) found.push(`${row.volume}:${row.path}`);
        expect(found.sort()).toEqual([...(await catalogRows(bytes)).keys()].sort());
        const stats = await index.stats();
        expect(stats.rows.folders).toBe(6);
        // The second add of the VM looks its folders up: the same rows, no new version.
        await index.add(bytes, { backup: 'b2', vm: 'vm', time: new Date(Date.UTC(2024, 0, 2)) });
        expect((await index.stats()).rows).toMatchObject({ folders: 6, versions: stats.rows.versions });
      } finally {
        await index.close();
      }
    }, 120_000);

    it('damage met after a batch was written rolls the add back, with the error opening gives', async () => {
      const good = await catalogOf(bigTree());
      const damaged = namesDamaged(good);
      const opened = await openCatalog(damaged).then(() => expect.fail('opened'), (e: unknown) => e as GrtError);
      const index = await openIndex(await newUrl());
      try {
        const added = await index.add(damaged, { backup: 'b1', vm: 'vm', time: new Date(0) }).then(() => expect.fail('added'), (e: unknown) => e as GrtError);
        expect(added).toBeInstanceOf(GrtError);
        expect(added).toMatchObject({ code: opened.code, offset: opened.offset });
        expect((await index.stats()).rows).toEqual({ backups: 0, versions: 0, folders: 0, owners: 0 });
        expect((await index.add(good, { backup: 'b1', vm: 'vm', time: new Date(0) })).files).toBe(5005);
      } finally {
        await index.close();
      }
    }, 120_000);
  });
}
