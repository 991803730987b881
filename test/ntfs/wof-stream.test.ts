/**
 * openWofStream on the decompressor vectors (wimlib-compressed WofCompressedData streams): random
 * access decodes only the chunks a read needs, and any damage to the stream gives only GrtError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { openWofStream, parseWofReparse, type WofAlgorithm } from '../../src/fs/ntfs/wof.js';
import { loadVectors } from './wof-vectors.js';

const ALGORITHMS: WofAlgorithm[] = ['XPRESS4K', 'LZX', 'XPRESS8K', 'XPRESS16K'];
const vectors = loadVectors();
const streamOf = (v: (typeof vectors)[number]): Uint8Array => {
  const parts = v.chunks.map((c) => c.packed);
  const tableEnd = parts[0]!.byteOffset;
  return new Uint8Array(parts[0]!.buffer, 0, tableEnd + parts.reduce((sum, p) => sum + p.length, 0));
};

/** A source that records the reads made of it. */
function counting(bytes: Uint8Array): ByteSource & { reads: [number, number][] } {
  const inner = new MemorySource(bytes);
  const reads: [number, number][] = [];
  return { size: inner.size, reads, read: (offset, length) => (reads.push([offset, length]), inner.read(offset, length)) };
}

describe('openWofStream', () => {
  it('a small read in the middle reads the table page and one chunk', async () => {
    const v = vectors.find((x) => x.file === 'text.XPRESS4K.50.wof')!;
    const source = counting(streamOf(v));
    const stream = openWofStream(source, v.size, 'XPRESS4K', 'test');
    const at = 4 * 4096 + 100;
    expect(Buffer.from(await stream.read(at, 1000)).equals(Buffer.from(v.plain.subarray(at, at + 1000)))).toBe(true);
    expect(source.reads.length).toBe(2);
    const chunk = v.chunks[4]!;
    expect(source.reads[1]![1]).toBe(chunk.packed.length);
    // The chunk is kept: the next read in it reads nothing.
    await stream.read(at + 1000, 1000);
    expect(source.reads.length).toBe(2);
  });

  it('reads every vector whole, and in pieces across chunk boundaries', async () => {
    for (const v of vectors) {
      const stream = openWofStream(new MemorySource(streamOf(v)), v.size, ALGORITHMS[v.format]!, v.file);
      expect(Buffer.from(await stream.read(0, v.size)).equals(Buffer.from(v.plain)), v.file).toBe(true);
      const from = Math.floor(v.size / 3);
      expect(Buffer.from(await stream.read(from, v.size - from)).equals(Buffer.from(v.plain.subarray(from))), v.file).toBe(true);
    }
  });

  it('a table longer than the stream is refused when opened', () => {
    expect(() => openWofStream(new MemorySource(new Uint8Array(10)), 100 * 4096, 'XPRESS4K', 'test')).toThrow(expect.objectContaining({ code: 'BAD_TABLE' }));
  });

  it('damage anywhere in the stream gives only GrtError', async () => {
    const samples = vectors.filter((v) => v.chunks.length > 1);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(), async (v, edits, cut) => {
        const bytes = streamOf(v).slice();
        // Up to 3 edits land in the first 64 bytes (the chunk table, mostly); more land anywhere.
        for (const [at, value] of edits) bytes[at % Math.min(bytes.length, edits.length > 3 ? bytes.length : 64)] = value;
        for (const damaged of [bytes, bytes.subarray(0, cut % bytes.length)]) {
          try {
            const stream = openWofStream(new MemorySource(damaged), v.size, ALGORITHMS[v.format]!, v.file);
            expect((await stream.read(0, v.size)).length).toBe(v.size);
          } catch (error) {
            if (!(error instanceof GrtError)) throw error;
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('parseWofReparse', () => {
  const reparse = (...words: number[]): Uint8Array => {
    const bytes = new Uint8Array(8 + words.length * 4);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x80000017, true);
    view.setUint16(4, words.length * 4, true);
    words.forEach((w, i) => view.setUint32(8 + i * 4, w, true));
    return bytes;
  };
  it('names the format of file-provider data and refuses the rest with a reason', () => {
    ALGORITHMS.forEach((algorithm, n) => expect(parseWofReparse(reparse(1, 2, 1, n))).toEqual({ provider: 'file', algorithm }));
    expect(parseWofReparse(reparse(1, 1, 1, 0, 0))).toEqual({ provider: 'wim' });
    expect(parseWofReparse(reparse(1, 2, 1, 4))).toMatchObject({ provider: 'unknown', reason: 'WOF compression format 4' });
    expect(parseWofReparse(reparse(2, 2, 1, 0))).toMatchObject({ provider: 'unknown' });
    expect(parseWofReparse(reparse(1, 2, 2, 0))).toMatchObject({ provider: 'unknown' });
    expect(parseWofReparse(reparse(1, 2))).toMatchObject({ provider: 'unknown' });
    expect(parseWofReparse(reparse())).toMatchObject({ provider: 'unknown' });
  });
});
