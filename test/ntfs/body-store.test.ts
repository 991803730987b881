import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BodyStore } from '../../src/fs/ntfs/body-store.js';
import type { EntryBody } from '../../src/fs/ntfs/file-entry.js';
import type { StreamLayout } from '../../src/fs/file-system.js';
import { filetimeToNs } from '../../src/util/time.js';

/** Times as NTFS gives them: any FILETIME, in nanoseconds since 1970. */
const filetime = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(filetimeToNs);

/** Bodies shaped as describeFile makes them (optional keys only when present). */
const body = (record: number): fc.Arbitrary<EntryBody> =>
  fc
    .record({
      type: fc.constantFrom('file', 'dir', 'symlink', 'junction', 'other' as const),
      size: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      times: fc.record({ btime: filetime, mtime: filetime, ctime: filetime, atime: filetime }),
      attributes: fc.nat({ max: 0xffff_ffff }),
      streams: fc.array(fc.record({ name: fc.string({ minLength: 1 }), size: fc.nat() }), { maxLength: 2 }),
      links: fc.nat({ max: 1024 }),
      sequence: fc.nat({ max: 0xffff }),
      warnings: fc.array(fc.record({ code: fc.constant('BAD_ATTRIBUTE'), message: fc.string() }), { maxLength: 2 }),
      target: fc.option(fc.string(), { nil: undefined }),
      undecodable: fc.option(fc.constantFrom('wof', 'efs'), { nil: undefined }),
      deleted: fc.boolean(),
    })
    .map(({ sequence, target, undecodable, deleted, ...rest }) => {
      const out: EntryBody = {
        type: rest.type,
        size: rest.size,
        times: rest.times,
        attributes: rest.attributes,
        streams: rest.streams,
        links: rest.links,
        id: { record, sequence },
        warnings: rest.warnings,
      };
      if (target !== undefined) out.target = target;
      if (undecodable !== undefined) out.undecodable = undecodable;
      if (deleted) out.deleted = true;
      return out;
    });

const layout: StreamLayout = { name: '', size: 3, initializedSize: 3, encoding: 'resident', runs: [], resident: new Uint8Array([1, 2, 3]) };

describe('BodyStore', () => {
  it('gives back every body as it was set, keys in the same order, whatever the record numbers', () => {
    const entries = fc
      .uniqueArray(fc.nat({ max: 5000 }), { maxLength: 40 })
      .chain((records) => fc.tuple(...records.map((record) => body(record).map((b) => [record, b] as const))));
    fc.assert(
      fc.property(entries, (pairs) => {
        const store = new BodyStore();
        for (const [record, b] of pairs) store.set(record, b);
        for (const [record, b] of pairs) {
          const { body: back, layouts } = store.get(record);
          expect(back).toEqual(b);
          expect(Object.keys(back)).toEqual(Object.keys(b));
          expect(Object.keys(back.times)).toEqual(['btime', 'mtime', 'ctime', 'atime']);
          expect(layouts).toBeUndefined();
        }
      }),
      { seed: 11, numRuns: 150 },
    );
  });

  it('keeps layouts, an id of another record, and a later set replacing an earlier one', () => {
    const store = new BodyStore();
    const first: EntryBody = { type: 'file', size: 3, times: { btime: 100n, mtime: 200n, ctime: 300n, atime: 400n }, attributes: 32, streams: [], links: 1, id: { record: 9, sequence: 2 }, warnings: [] };
    store.set(7, first, [layout]);
    expect(store.get(7)).toEqual({ body: first, layouts: [layout] });
    const second: EntryBody = { ...first, type: 'dir', size: 0, id: { record: 7, sequence: 3 } };
    store.set(7, second);
    expect(store.get(7)).toEqual({ body: second });
  });
});
