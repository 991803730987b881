/**
 * The catalog binding of a VM (format 3.1, src/catalog/binding.ts): every disk and every volume
 * past the first disk round-trip; damage gives only GrtErrors; a binding of one disk is the 3.0
 * encoding, which a 3.0 reader reads to its end.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { checkBinding, decodeBinding, encodeBinding, type CatalogBinding } from '../../src/catalog/binding.js';
import { ByteReader, ByteWriter } from '../../src/catalog/varint.js';

const segment = fc.record({
  start: fc.nat(),
  size: fc.nat(),
  stripeSize: fc.nat(),
  stripes: fc.array(fc.record({ disk: fc.integer({ min: 1, max: 4 }), byteOffset: fc.nat() }), { minLength: 1, maxLength: 3 }),
});
const binding: fc.Arbitrary<CatalogBinding> = fc
  .record({
    capacity: fc.nat(),
    cids: fc.array(fc.stringMatching(/^[0-9a-f]{8}$/), { maxLength: 3 }),
    disks: fc.array(fc.record({ capacity: fc.nat(), cids: fc.array(fc.stringMatching(/^[0-9a-f]{8}$/), { maxLength: 2 }) }), { minLength: 1, maxLength: 3 }),
    volumes: fc.uniqueArray(
      fc.record({ id: fc.stringMatching(/^[a-z]{1,4}\/[a-z]{1,4}$/), disk: fc.nat({ max: 4 }), start: fc.nat(), size: fc.nat(), fs: fc.constantFrom('ext4', 'xfs'), segments: fc.array(segment, { maxLength: 3 }) }),
      { selector: (v) => v.id, maxLength: 4 },
    ),
  })
  .map(({ volumes, ...rest }) => ({ ...rest, partitions: [{ index: 1, start: 1048576, size: 4096, fs: 'ext4' }], volumes: volumes.map((v, i) => ({ ...v, number: 65536 + i })) }));

const encode = (b: CatalogBinding) => {
  const w = new ByteWriter();
  encodeBinding(w, b);
  return w.bytes();
};
const decode = (bytes: Uint8Array) => decodeBinding(new ByteReader(bytes, 0, 'catalog binding'));

describe('catalog binding of a VM', () => {
  it('round-trips every disk and volume, and checks equal against itself (property)', () => {
    fc.assert(
      fc.property(binding, (b) => {
        const back = decode(encode(b));
        expect(back).toEqual(b);
        checkBinding(back, b);
      }),
    );
  });

  it('refuses another disk 2, a missing LV or other extents of it', () => {
    const [b] = fc.sample(binding.filter((x) => x.volumes!.some((v) => v.segments.length > 0)), { seed: 3, numRuns: 1 });
    const lv = b!.volumes!.find((v) => v.segments.length > 0)!;
    const code = (actual: CatalogBinding) => {
      try {
        checkBinding(b!, actual);
        return 'none';
      } catch (error) {
        return (error as GrtError).code;
      }
    };
    expect(code({ ...b!, disks: b!.disks!.map((d) => ({ ...d, capacity: d.capacity + 1 })) })).toBe('CATALOG_MISMATCH');
    expect(code({ ...b!, disks: [] })).toBe('CATALOG_MISMATCH');
    expect(code({ ...b!, volumes: b!.volumes!.filter((v) => v !== lv) })).toBe('CATALOG_MISMATCH');
    const moved = { ...lv, segments: lv.segments.map((s) => ({ ...s, stripes: s.stripes.map((t) => ({ ...t, byteOffset: t.byteOffset + 512 })) })) };
    expect(code({ ...b!, volumes: b!.volumes!.map((v) => (v === lv ? moved : v)) })).toBe('CATALOG_MISMATCH');
  });

  it('writes a binding of one disk as format 3.0 did: nothing after the partitions', () => {
    const one: CatalogBinding = { capacity: 1 << 20, cids: ['12345678'], partitions: [{ index: 1, start: 512, size: 1024, fs: 'ext4' }] };
    const bytes = encode(one);
    const r = new ByteReader(bytes, 0, 'catalog binding');
    expect(decodeBinding(r)).toEqual(one);
    expect(r.remaining).toBe(0);
  });

  it('refuses two volumes with one id or number', () => {
    const b: CatalogBinding = { capacity: 1, cids: [], partitions: [{ index: 1, start: 0, size: 1, fs: 'ext4' }], disks: [], volumes: [{ id: '1', number: 65536, disk: 2, start: 0, size: 1, fs: 'ext4', segments: [] }] };
    expect(() => decode(encode(b))).toThrow(/share a number or an id/);
    expect(() => decode(encode({ ...b, volumes: [{ ...b.volumes![0]!, id: 'a/b', number: 1 }] }))).toThrow(GrtError);
  });

  it('damage gives only GrtErrors (property)', () => {
    fc.assert(
      fc.property(binding, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (b, flips, cut) => {
        const bytes = encode(b).slice();
        for (const [at, x] of flips) bytes[at % bytes.length] ^= x;
        for (const damaged of [bytes, bytes.subarray(0, cut % (bytes.length + 1))]) {
          try {
            checkBinding(decode(damaged), b);
          } catch (error) {
            if (!(error instanceof GrtError)) throw error;
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
