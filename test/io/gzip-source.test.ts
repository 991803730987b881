/** GzipSource: random access into a gzip member, checkpoints, the trailer's checks, damage. */
import { gzipSync, constants } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { textLike } from '../helpers/text-like.js';
import { GzipSource } from '../../src/io/gzip-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import type { ByteSource } from '../../src/io/byte-source.js';


/** A gzip member with FEXTRA, FNAME, FCOMMENT and FHCRC set (node:zlib writes none of them). */
function withHeaderFields(member: Uint8Array): Uint8Array {
  const crcOf = (bytes: Uint8Array) => {
    let crc = ~0;
    for (const byte of bytes) {
      crc ^= byte;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
    }
    return ~crc >>> 0;
  };
  const head = Uint8Array.from([...member.subarray(0, 10)]);
  head[3] = 0x04 | 0x08 | 0x10 | 0x02;
  const fields = [...head, 5, 0, 1, 2, 3, 4, 5, ...new TextEncoder().encode('disk.vmdk'), 0, ...new TextEncoder().encode('made for a test'), 0];
  const crc = crcOf(Uint8Array.from(fields)) & 0xffff;
  return Uint8Array.from([...fields, crc & 255, crc >>> 8, ...member.subarray(10)]);
}

/** Counts the compressed bytes read. */
class Counting implements ByteSource {
  bytesRead = 0;
  readonly size: number;
  constructor(private readonly inner: ByteSource) {
    this.size = inner.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    this.bytesRead += length;
    return this.inner.read(offset, length);
  }
}

describe('GzipSource', () => {
  it('property: random reads in random order equal the original (levels 1/6/9, header fields, stored blocks, small checkpoint spacing and input slabs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 60_000 }),
        fc.integer({ min: 0, max: 400_000 }),
        fc.constantFrom(0, 1, 6, 9),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 200_000 })), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 2048, max: 40_000 }),
        async (random, textBytes, level, fields, byPass, reads, inputSlabBytes) => {
          const data = Buffer.concat([textLike(textBytes + 1, textBytes), random, Buffer.alloc(textBytes % 50_000, 3)]);
          let member: Uint8Array = gzipSync(data, { level, memLevel: 2 });
          if (fields) member = withHeaderFields(member);
          const source = await GzipSource.open(new MemorySource(member), { checkpointSpacing: 16 * 1024, pieceBytes: 4096, cacheBytes: 32 * 1024, sizeByPass: byPass, inputSlabBytes });
          expect(source.size).toBe(data.length);
          for (const [where, length] of reads) {
            const offset = Math.floor(where * data.length);
            const take = Math.min(length, data.length - offset);
            const bytes = await source.read(offset, take);
            expect(Buffer.compare(bytes, data.subarray(offset, offset + take))).toBe(0);
          }
        },
      ),
      { seed: 7, numRuns: 60 },
    );
  });

  it('resumes from checkpoints: a read near the end after a full pass decodes at most one spacing', async () => {
    const data = textLike(9, 3_000_000);
    const member = new Counting(new MemorySource(gzipSync(data, { level: 6 })));
    const source = await GzipSource.open(member, { checkpointSpacing: 64 * 1024 });
    await source.read(data.length - 10, 10); // the first pass: everything
    const afterPass = member.bytesRead;
    expect(afterPass).toBeGreaterThanOrEqual(member.size - 8);
    await source.read(1_000_000, 100);
    expect(Buffer.compare(await source.read(1_500_000, 5000), data.subarray(1_500_000, 1_505_000))).toBe(0);
    // Each resume reads one slab of compressed input at most, not the member again.
    expect(member.bytesRead - afterPass).toBeLessThan(3 * 1024 * 1024);
  });

  it('memory stays flat: past the window budget every other checkpoint goes and the spacing doubles', async () => {
    const data = textLike(12, 2_000_000);
    const source = await GzipSource.open(new MemorySource(gzipSync(data, { level: 1, memLevel: 1 })), { checkpointSpacing: 8192, checkpointBytes: 8 * 32 * 1024 });
    await source.read(data.length - 1, 1);
    const { count, spacing } = source.checkpointStats;
    expect(count).toBeLessThanOrEqual(8);
    expect(count).toBeGreaterThan(2);
    expect(spacing).toBeGreaterThanOrEqual(2_000_000 / 8);
    for (const at of [0, 123_456, 1_999_000]) expect(Buffer.compare(await source.read(at, 1000), data.subarray(at, at + 1000))).toBe(0);
  });

  it('checks CRC32 and ISIZE when a pass reaches the end', async () => {
    const data = textLike(4, 100_000);
    const member = Uint8Array.from(gzipSync(data));
    member[member.length - 8]! ^= 1; // CRC32
    const source = await GzipSource.open(new MemorySource(member));
    await expect(source.read(0, 1000)).resolves.toHaveLength(1000);
    await expect(source.read(data.length - 1, 1)).rejects.toMatchObject({ code: 'BAD_CHECKSUM' });
    const short = Uint8Array.from(gzipSync(data));
    short[short.length - 4]! -= 1; // ISIZE one less than the data
    const shortSource = await GzipSource.open(new MemorySource(short));
    await expect(shortSource.read(data.length - 2, 1)).rejects.toMatchObject({ code: 'BAD_COMPRESSED_DATA' });
    // An ISIZE no DEFLATE data of this length can reach (1032 bytes per byte at most) is refused at open.
    const huge = Uint8Array.from(gzipSync(data));
    huge[huge.length - 1] = 0xff;
    await expect(GzipSource.open(new MemorySource(huge))).rejects.toThrow(/ISIZE \d+ is more than/);
  });

  it('refuses a second member, and bytes after the trailer', async () => {
    const two = Buffer.concat([gzipSync(textLike(1, 5000)), gzipSync(textLike(2, 5000))]);
    const source = await GzipSource.open(new MemorySource(two));
    // ISIZE is the second member's: the first's end comes before it.
    await expect(source.read(0, source.size)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    const padded = Buffer.concat([gzipSync(textLike(1, 5000)), Buffer.alloc(10)]);
    await expect(GzipSource.open(new MemorySource(padded), { sizeByPass: true })).rejects.toMatchObject({ code: 'BAD_COMPRESSED_DATA' });
  });

  it('damage property: a mutated or cut member gives the right bytes or only a GrtError, in bounded time', async () => {
    const data = Buffer.concat([textLike(8, 120_000), Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 131) & 255))]);
    const good = withHeaderFields(gzipSync(data, { level: 9, strategy: constants.Z_DEFAULT_STRATEGY }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(good.length), fc.double({ min: 0, max: 1, noNaN: true }), async (edits, cut, where) => {
        const bytes = Uint8Array.from(good.subarray(0, Math.max(1, cut === 0 ? good.length : cut)));
        for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
        try {
          const source = await GzipSource.open(new MemorySource(bytes), { checkpointSpacing: 8192 });
          expect(source.size).toBeLessThan(2 ** 32);
          const offset = Math.floor(where * Math.min(source.size, 1 << 22));
          await source.read(offset, Math.min(4096, Math.min(source.size, 1 << 22) - offset));
          await source.read(0, Math.min(source.size, 1 << 22));
        } catch (e) {
          if (!(e instanceof GrtError)) throw e;
        }
      }),
      { seed: 29, numRuns: 200 },
    );
  });
});
