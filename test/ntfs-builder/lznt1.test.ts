import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decompressLznt1, MAX_LZNT1_OUTPUT } from '../../src/codecs/lznt1.js';
import { GrtError } from '../../src/errors.js';
import { compressLznt1 } from '../builders/lznt1-compress.js';
import { createHash } from 'node:crypto';
import { fixturePath, loadGzImage } from '../ntfs/gz-image.js';

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.trim().split(/\s+/).map((b) => parseInt(b, 16)));
}

/** [MS-XCA] 3.3: a 142-byte string (with its NUL) compressed into one 59-byte chunk. */
const XCA_TEXT =
  'F# F# G A A G F# E D D E F# F# E E F# F# G A A G F# E D D E F# E D D E E F# D E F# G F# D E F# G F# E D E A F# F# G A A G F# E D D E F# E D D\0';
const XCA_COMPRESSED = hex(`38 b0 88 46 23 20 00 20 47 20 41 00 10 a2 47 01 a0 45 20 44 00 08 45 01
  50 79 00 c0 45 20 05 24 13 88 05 b4 02 4a 44 ef 03 58 02 8c 09 16 01 48 45 00 be 00 9e 00 04 01 18 90 00`);

function expectOnlyGrtError(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof GrtError)) throw e;
    expect(e.code).toBe('BAD_COMPRESSED_DATA');
  }
}

describe('decompressLznt1', () => {
  it('decodes the MS-XCA 3.3 example and zero-fills the rest', () => {
    const expected = new TextEncoder().encode(XCA_TEXT);
    expect(expected.length).toBe(142);
    expect(XCA_COMPRESSED.length).toBe(59);
    const out = decompressLznt1(XCA_COMPRESSED, 200);
    expect(Array.from(out.subarray(0, 142))).toEqual(Array.from(expected));
    expect(out.subarray(142).every((b) => b === 0)).toBe(true);
  });

  it('decodes a hand-written chunk with literals and an overlapping copy', () => {
    // flags 0b0010: literal 'a', copy token distance 1 length 10 (4 offset bits at position 1:
    // token = (1-1) << 12 | (10-3) = 0x0007), then literal 'b'. 5 data bytes: header 0xb004.
    const input = hex('04 b0 02 61 07 00 62');
    const out = decompressLznt1(input, 12);
    expect(new TextDecoder().decode(out)).toBe('aaaaaaaaaaab');
  });

  it('places stored and compressed chunks at 4096-byte boundaries and stops at a 0 header', () => {
    const stored = new Uint8Array(4096).map((_, i) => i * 7);
    const input = new Uint8Array([0xff, 0x3f, ...stored, 0x04, 0xb0, 0x02, 0x61, 0x07, 0x00, 0x62, 0, 0, 0xff, 0xff]);
    const out = decompressLznt1(input, 3 * 4096);
    expect(out.subarray(0, 4096)).toEqual(stored);
    expect(new TextDecoder().decode(out.subarray(4096, 4108))).toBe('aaaaaaaaaaab');
    expect(out.subarray(4108).every((b) => b === 0)).toBe(true);
  });

  it('uses the position-dependent offset/length split', () => {
    // 20 literals, then at position 20 the offset has 5 bits: distance 20, length 5 → token (19 << 11) | 2.
    const literals = Array.from({ length: 20 }, (_, i) => 0x41 + i);
    const token = (19 << 11) | 2;
    const body = [0, ...literals.slice(0, 8), 0, ...literals.slice(8, 16), 0x10, ...literals.slice(16), token & 0xff, token >> 8];
    const header = 0xb000 | (body.length - 1);
    const out = decompressLznt1(new Uint8Array([header & 0xff, header >> 8, ...body]), 25);
    expect(Array.from(out)).toEqual([...literals, ...literals.slice(0, 5)]);
  });

  it('ignores chunks past outputLength (a file tail of a unit compressed whole)', () => {
    const out = decompressLznt1(new Uint8Array([0xff, 0x3f, ...new Uint8Array(4096).fill(5), 0x03, 0xb0, 0x02, 0x00, 0xfc, 0x0f, 0xee]), 4096);
    expect(out.every((b) => b === 5)).toBe(true);
  });

  it('decodes the Windows-compressed /1.txt of the ntfs-ramslack fixture like TSK and ntfs-3g', async (context) => {
    const fixture = fixturePath('ntfs-ramslack');
    if (!fixture) {
      context.skip();
      return;
    }
    // Partition at sector 128, 4 KiB clusters; /1.txt (6460 bytes) is one compressed cluster at
    // LCN 36 followed by RAM slack. Only the first ~216 KiB of the image need unpacking.
    const unitOffset = 128 * 512 + 36 * 4096;
    const out = decompressLznt1(await loadGzImage(fixture).read(unitOffset, 4096), 16 * 4096);
    const digest = createHash('sha256').update(out.subarray(0, 6460)).digest('hex');
    expect(digest).toBe('a6e4b525ada8e4c002828819ee5ef9130feb4082a17d7ee699ca0d7711aad670');
    expect(out.subarray(6460).every((b) => b === 0)).toBe(true);
  });

  it('returns only the first outputLength bytes of a whole stored chunk', () => {
    const stored = new Uint8Array(4096).fill(9);
    const out = decompressLznt1(new Uint8Array([0xff, 0x3f, ...stored]), 100);
    expect(out.length).toBe(100);
    expect(out.every((b) => b === 9)).toBe(true);
  });

  it('rejects damage with BAD_COMPRESSED_DATA', () => {
    const cases: [string, Uint8Array, number][] = [
      ['copy at chunk start', hex('02 b0 01 00 00'), 16],
      ['copy before chunk start', hex('03 b0 02 61 00 10'), 16],
      ['chunk past input', hex('10 b0 00 61'), 16],
      ['token cut off', hex('02 b0 02 61 07'), 16],
    ];
    for (const [name, input, length] of cases) {
      let error: unknown;
      try {
        decompressLznt1(input, length);
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(GrtError);
      expect((error as GrtError).code, name).toBe('BAD_COMPRESSED_DATA');
    }
  });

  it('refuses an output length past the limit before allocating', () => {
    expect(() => decompressLznt1(new Uint8Array(0), MAX_LZNT1_OUTPUT + 1)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
    expect(() => decompressLznt1(new Uint8Array(0), -1)).toThrow(GrtError);
  });

  it('rejects a chunk that decodes past 4096 bytes', () => {
    // Stored 4096 bytes fit; a compressed chunk with 512 copy tokens of length 18 does not.
    const body: number[] = [];
    body.push(0x00, 0x61, 0, 0, 0, 0, 0, 0, 0); // 8 literals
    for (let i = 0; i < 300; i++) body.push(0xff, ...Array(8).fill(0).flatMap(() => [0x0f, 0x00]));
    const size = Math.min(body.length, 4096);
    const header = 0xb000 | (size - 1);
    let error: unknown;
    try {
      decompressLznt1(new Uint8Array([header & 0xff, header >> 8, ...body.slice(0, size)]), 8192);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GrtError);
    expect((error as GrtError).message).toContain('more than its output room');
  });

  it('round-trips random data through the test compressor', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20000 }), (data) => {
        const room = Math.ceil(data.length / 4096) * 4096;
        const out = decompressLznt1(compressLznt1(data), room);
        expect(out.subarray(0, data.length)).toEqual(data);
        expect(out.subarray(data.length).every((b) => b === 0)).toBe(true);
      }),
      { seed: 1701, numRuns: 60 },
    );
  });

  it('round-trips compressible data and actually compresses it', () => {
    const compressible = fc
      .array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 200 })), {
        minLength: 1,
        maxLength: 30,
      })
      .map((pieces) => {
        const parts = pieces.flatMap(([piece, times]) => Array(times).fill(piece) as Uint8Array[]);
        const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          out.set(p, at);
          at += p.length;
        }
        return out;
      });
    fc.assert(
      fc.property(compressible, fc.integer({ min: 0, max: 3 }), (data, extraChunks) => {
        const compressed = compressLznt1(data);
        const room = (Math.ceil(data.length / 4096) + extraChunks) * 4096;
        const out = decompressLznt1(compressed, room);
        expect(out.subarray(0, data.length)).toEqual(data);
        expect(out.subarray(data.length).every((b) => b === 0)).toBe(true);
        if (data.length >= 4096) expect(compressed.length).toBeLessThan(data.length);
      }),
      { seed: 4242, numRuns: 60 },
    );
  });

  it('throws only GrtError on damaged input', () => {
    const sample = compressLznt1(new TextEncoder().encode(XCA_TEXT.repeat(80)));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 5 * 4096 }),
        (edits, length) => {
          const damaged = sample.slice();
          for (const [at, value] of edits) damaged[at % damaged.length] = value;
          expectOnlyGrtError(() => decompressLznt1(damaged, length));
        },
      ),
      { seed: 99, numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), fc.integer({ min: 0, max: 3 * 4096 }), (junk, length) => {
        expectOnlyGrtError(() => decompressLznt1(junk, length));
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
