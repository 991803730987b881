/**
 * Reading single records of a FILES chunk (format 2.0 readers reach them in any order): from
 * checkpoints and from the cursor of the previous read, every record equals the one a full decode
 * gives, whatever the order of the reads (property).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFileAt, FILES_CHECKPOINT, indexFiles, readFilesHeader } from '../../src/catalog/decode.js';
import { FilesChunkWriter, type FileFields } from '../../src/catalog/encode.js';
import type { StreamLayout } from '../../src/fs/file-system.js';
import { ByteReader } from '../../src/catalog/varint.js';

const fileArb = fc.record({
  record: fc.nat({ max: 1_000_000 }),
  mtime: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  size: fc.nat({ max: 1 << 30 }),
  stream: fc.option(fc.constantFrom('Zone.Identifier', 'a', 'b'), { nil: undefined }),
  warning: fc.option(fc.constantFrom('BAD_RECORD', 'ORPHAN'), { nil: undefined }),
  lcn: fc.nat({ max: 1 << 20 }),
});

function fileOf(f: typeof fileArb extends fc.Arbitrary<infer T> ? T : never): { fields: FileFields; layouts: StreamLayout[] } {
  const fields: FileFields = {
    type: 'file', size: f.size, times: { mtime: f.mtime, atime: f.mtime + 1n, ctime: f.mtime, btime: 7n }, attributes: 32,
    streams: f.stream ? [{ name: f.stream, size: 10 }] : [], links: 1, id: { record: f.record, sequence: 1 },
    warnings: f.warning ? [{ code: f.warning, message: `record ${f.record}` }] : [],
  };
  const layouts: StreamLayout[] = [{ name: '', size: f.size, initializedSize: f.size, encoding: 'raw', runs: f.size ? [{ streamOffset: 0, length: f.size, sourceOffset: f.lcn * 4096 }] : [] }];
  if (f.stream) layouts.push({ name: f.stream, size: 10, initializedSize: 10, encoding: 'resident', runs: [], resident: new Uint8Array(10).fill(3) });
  return { fields, layouts };
}

describe('FILES chunk index', () => {
  it('gives every record as a full decode does, in any read order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fileArb, { minLength: 1, maxLength: 5 * FILES_CHECKPOINT, size: "max" }).chain((files) =>
          fc.record({ files: fc.constant(files), reads: fc.array(fc.nat({ max: files.length - 1 }), { maxLength: 60 }) }),
        ),
        ({ files, reads }) => {
          const w = new FilesChunkWriter(1, 0);
          for (const f of files) {
            const { fields, layouts } = fileOf(f);
            w.add(fields, layouts, 1_048_576);
          }
          const payload = w.finish().slice();
          const open = () => {
            const r = new ByteReader(payload, 0, 'test FILES');
            return indexFiles(r, readFilesHeader(r), 3);
          };
          const full = open();
          const all = full.decoded!;
          expect(all).toHaveLength(files.length);
          const single = open();
          single.decoded = undefined;
          for (const k of [...reads, ...reads.map((k) => Math.min(k + 1, files.length - 1))]) expect(decodeFileAt(single, k)).toEqual(all[k]);
          files.forEach((f, k) => {
            expect(all[k]!.id.record).toBe(f.record);
            expect(all[k]!.times.mtime).toBe(f.mtime);
          });
        },
      ),
      { seed: 77, numRuns: 100 },
    );
  });
});
