/**
 * NAMES chunks of format 2.0 (docs/catalog-format.md §5): a name may refer to any file, earlier or
 * later, as a zigzag delta from the previous name's file index. Random name lists are written in
 * chunks and read back; out-of-range indexes and bit 0 (1.x new-file, 2.0 virtual) on the root are refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { decodeNames, newNameTable, readNamesHeader } from '../../src/catalog/decode.js';
import { NameFlag, NamesChunkWriter, type NameRecord } from '../../src/catalog/encode.js';
import { ByteReader, ByteWriter } from '../../src/catalog/varint.js';

/** A valid name list: name 0 is the root, each parent an earlier directory, files anywhere below `files`. */
const namesArb = fc.integer({ min: 1, max: 5000 }).chain((files) =>
  fc
    .array(fc.record({ parentPick: fc.nat(), file: fc.nat({ max: files - 1 }), dir: fc.boolean(), name: fc.string({ unit: 'binary', maxLength: 12 }), deleted: fc.boolean() }), { maxLength: 200 })
    .chain((rows) => fc.record({ files: fc.constant(files), rows: fc.constant(rows), chunk: fc.integer({ min: 1, max: 64 }) })),
);

function build(files: number, rows: { parentPick: number; file: number; dir: boolean; name: string; deleted: boolean }[]): NameRecord[] {
  const dirs = [0];
  const out: NameRecord[] = [{ parent: -1, file: 0, name: '', parentId: 'none', hidden: false, dir: true }];
  rows.forEach((row, k) => {
    const rec: NameRecord = { parent: dirs[row.parentPick % dirs.length]!, file: row.file % files, name: row.name, parentId: 'derived', hidden: false, dir: row.dir };
    if (row.deleted) rec.deleted = true;
    if (row.dir) dirs.push(k + 1);
    out.push(rec);
  });
  return out;
}

function encode(names: NameRecord[], chunk: number): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  for (let first = 0; first < names.length; first += chunk) {
    const w = new NamesChunkWriter(1, first);
    for (const rec of names.slice(first, first + chunk)) w.add(rec);
    payloads.push(w.finish().slice());
  }
  return payloads;
}

function decode(payloads: Uint8Array[], count: number, files: number) {
  const table = newNameTable(count);
  for (const p of payloads) {
    const r = new ByteReader(p, 0, 'test NAMES');
    decodeNames(r, readNamesHeader(r, 2), table, files, 2);
  }
  return table;
}

describe('NAMES 2.0', () => {
  it('gives back every name, parent and file index, forward references included (property)', () => {
    fc.assert(
      fc.property(namesArb, ({ files, rows, chunk }) => {
        const names = build(files, rows);
        const table = decode(encode(names, chunk), names.length, files);
        expect([...table.parent]).toEqual(names.map((n) => n.parent));
        expect([...table.file]).toEqual(names.map((n) => n.file));
        expect(table.name).toEqual(names.map((n) => n.name));
        expect([...table.flags].map((f) => (f & NameFlag.dir) !== 0)).toEqual(names.map((n) => n.dir));
        expect([...table.flags].map((f) => (f >> NameFlag.deletedShift) & 3)).toEqual(names.map((n) => (n.deleted ? 2 : 0)));
      }),
      { seed: 2024, numRuns: 150 },
    );
  });

  it('the virtual bit reads back on a directory directly under the root, and is BAD_CATALOG anywhere else (property)', () => {
    fc.assert(
      fc.property(namesArb, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), ({ files, rows, chunk }, picks) => {
        const names = build(files, rows);
        for (const pick of picks) names[pick % names.length]!.virtual = true;
        const valid = names.every((n, k) => !n.virtual || (n.dir && k > 0 && n.parent === 0));
        let error: unknown;
        try {
          const table = decode(encode(names, chunk), names.length, files);
          expect([...table.flags].map((f) => (f & NameFlag.virtual) !== 0)).toEqual(names.map((n) => n.virtual === true));
        } catch (e) {
          error = e;
        }
        if (valid) expect(error).toBeUndefined();
        else expect(error).toMatchObject({ code: 'BAD_CATALOG' });
        if (error !== undefined) expect(error).toBeInstanceOf(GrtError);
      }),
      { seed: 2025, numRuns: 150 },
    );
  });

  it('a consecutive file index costs one byte', () => {
    const names = build(1000, Array.from({ length: 999 }, (_, k) => ({ parentPick: 0, file: k + 1, dir: false, name: 'x', deleted: false })));
    const sequential = encode(names, 1000)[0]!.length;
    const scattered = encode(names.map((n, k) => ({ ...n, file: (k * 389) % 1000 })), 1000)[0]!.length;
    expect(scattered - sequential).toBeGreaterThan(900);
  });

  it('refuses a file index outside the volume and bit 0 on the root (1.x new file, 2.0 virtual)', () => {
    const fails = (payload: Uint8Array, files: number): void => {
      let error: unknown;
      try {
        decode([payload], 1, files);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GrtError);
      expect((error as GrtError).code).toBe('BAD_CATALOG');
    };
    const root = (flags: number, fileDelta: number): Uint8Array => {
      const w = new ByteWriter();
      for (const v of [1, 0, 1]) w.u(v); // volume, first name, count
      w.u(flags);
      w.u(0); // parent distance: the root
      w.s(fileDelta);
      w.u(0);
      w.str('');
      return w.bytes().slice();
    };
    expect(decode([root(NameFlag.dir, 3)], 1, 5).file[0]).toBe(2);
    fails(root(NameFlag.dir, 5), 4); // file 4 of 4
    fails(root(NameFlag.dir, -1), 4); // file -2
    fails(root(NameFlag.dir | NameFlag.newFile, 1), 4);
  });
});
