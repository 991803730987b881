import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GrtError } from '../../src/errors.js';
import { parseConfigText, MAX_SECTION_DEPTH, MAX_LIST_LENGTH } from '../../src/volume/lvm/config-text.js';
import { parseVgMetadata } from '../../src/volume/lvm/metadata.js';
import { vgText } from './pv-writer.js';

const PV_A = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const PV_B = 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

describe('LVM config text', () => {
  it('reads sections, strings with escapes, integers, lists and comments', () => {
    const top = parseConfigText('a { b = "x\\"y\\\\z" # note\n c = [1, "two", -3] d = 2.5 e = [] }\nf = 9007199254740991');
    const a = top.sections.get('a')!;
    expect(a.values.get('b')).toBe('x"y\\z');
    expect(a.values.get('c')).toEqual([1, 'two', -3]);
    expect(a.values.get('d')).toBe(2.5);
    expect(a.values.get('e')).toEqual([]);
    expect(top.values.get('f')).toBe(2 ** 53 - 1);
  });

  it.each([
    ['a {', 'BAD_HEADER'],
    ['a { } }', 'BAD_HEADER'],
    ['a = "open', 'BAD_HEADER'],
    ['a = 9007199254740993', 'BAD_HEADER'],
    ['a = [1, 2', 'BAD_HEADER'],
    ['a = 1 a = 2', 'BAD_HEADER'],
    ['a = ', 'BAD_HEADER'],
    ['x { '.repeat(MAX_SECTION_DEPTH + 1) + '}'.repeat(MAX_SECTION_DEPTH + 1), 'LIMIT_EXCEEDED'],
    [`a = [${'1,'.repeat(MAX_LIST_LENGTH)}1]`, 'LIMIT_EXCEEDED'],
  ])('refuses %s', (text, code) => {
    expect(() => parseConfigText(text.slice(0, 200_000))).toThrow(expect.objectContaining({ code }));
  });

  it('gives only GrtErrors for any text, in bounded time', () => {
    const alphabet = fc.constantFrom('{', '}', '[', ']', '=', ',', '"', '\\', '#', '\n', ' ', 'a', '1', '-', '.');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 400 }), (chars) => {
        try {
          parseConfigText(chars.join(''));
        } catch (error) {
          expect(error).toBeInstanceOf(GrtError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('VG metadata', () => {
  const pvs = [
    { key: 'pv0', rawUuid: PV_A, peStart: 2048, peCount: 10 },
    { key: 'pv1', rawUuid: PV_B, peStart: 2048, peCount: 10 },
  ];

  it('reads PVs and linear/striped LVs with their segments in LV order', () => {
    const vg = parseVgMetadata(
      vgText({
        name: 'vg0', seqno: 7, extentSize: 2048, pvs,
        lvs: [
          { name: 'root', segments: [{ startExtent: 2, extentCount: 3, stripes: [['pv0', 0]] }, { startExtent: 0, extentCount: 2, stripes: [['pv1', 5]] }] },
          { name: 'data', segments: [{ startExtent: 0, extentCount: 4, stripeSize: 128, stripes: [['pv0', 3], ['pv1', 0]] }] },
        ],
      }),
    );
    expect(vg).toMatchObject({ name: 'vg0', seqno: 7, extentSize: 2048 });
    expect(vg.pvs.map((p) => [p.key, p.uuid, p.peStart, p.peCount])).toEqual([['pv0', 'AAAAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAAAA', 2048, 10], ['pv1', 'BBBBBB-BBBB-BBBB-BBBB-BBBB-BBBB-BBBBBB', 2048, 10]]);
    expect(vg.lvs[0]).toMatchObject({ name: 'root', visible: true, extentCount: 5, segments: [{ startExtent: 0, stripes: [{ pvKey: 'pv1', startExtent: 5 }] }, { startExtent: 2, stripes: [{ pvKey: 'pv0', startExtent: 0 }] }] });
    expect(vg.lvs[1]).toMatchObject({ name: 'data', extentCount: 4, segments: [{ stripeSize: 128, stripes: [{ pvKey: 'pv0' }, { pvKey: 'pv1' }] }] });
  });

  it('lists other segment types and damaged LVs with a reason, and still reads the sound ones', () => {
    const vg = parseVgMetadata(
      vgText({
        name: 'vg0', seqno: 1, extentSize: 8, pvs,
        lvs: [
          { name: 'pool', segments: [{ startExtent: 0, extentCount: 1, stripes: [['pv0', 0]], type: 'thin-pool' }] },
          { name: 'past', segments: [{ startExtent: 0, extentCount: 4, stripes: [['pv0', 8]] }] },
          { name: 'nopv', segments: [{ startExtent: 0, extentCount: 1, stripes: [['pv9', 0]] }] },
          { name: 'gap', segments: [{ startExtent: 1, extentCount: 1, stripes: [['pv0', 0]] }] },
          { name: 'odd', segments: [{ startExtent: 0, extentCount: 3, stripeSize: 4, stripes: [['pv0', 0], ['pv1', 0]] }] },
          { name: 'ok', segments: [{ startExtent: 0, extentCount: 1, stripes: [['pv1', 9]] }] },
        ],
      }),
    );
    const reasons = Object.fromEntries(vg.lvs.map((lv) => [lv.name, lv.refused]));
    expect(reasons.pool).toMatch(/thin-pool is not supported/);
    expect(reasons.past).toMatch(/runs past the 10 extents/);
    expect(reasons.nopv).toMatch(/does not list/);
    expect(reasons.gap).toMatch(/gap/);
    expect(reasons.odd).toMatch(/multiple of stripe_count/);
    expect(reasons.ok).toBeUndefined();
  });

  it('refuses a stripe count of 0 or 2^31 for that LV only', () => {
    for (const count of [0, 2 ** 31]) {
      const text = vgText({ name: 'v', seqno: 1, extentSize: 8, pvs, lvs: [{ name: 'l', segments: [{ startExtent: 0, extentCount: 2, stripes: [['pv0', 0]] }] }] }).replace('stripe_count = 1', `stripe_count = ${count}`);
      expect(parseVgMetadata(text).lvs[0]!.refused).toMatch(/stripe_count/);
    }
  });

  it('refuses text that is not one VG', () => {
    expect(() => parseVgMetadata('a { extent_size = 8 id = "x" seqno = 1 } b { }')).toThrow(GrtError);
    expect(() => parseVgMetadata('a { id = "x" seqno = 1 }')).toThrow(/extent_size/);
  });
});
