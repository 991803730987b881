/**
 * Invariants the fast read path relies on: bulk reads land in the caller's buffer whatever it held
 * before (readInto writes every byte), a read over one contiguous run is one source read, grain
 * reads with pieces in flight return the same bytes and the first error in disk order, and copies
 * reuse a few buffers (inflate paths: inflate.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import type { StreamLayout } from '../../src/fs/file-system.js';
import { openLayoutStream } from '../../src/fs/ntfs/data-stream.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { readInto } from '../../src/io/byte-source.js';
import { pipeChunks, READ_AHEAD_CHUNKS } from '../../src/restore/write.js';
import { createEngine } from '../../src/restore/engine.js';

const engine = createEngine();
import { CountingSource } from '../helpers/counting-source.js';
import { FORMATS, openFormat, parentIsZero, patternedDisk, writeFormat } from '../vmdk-sparse/helpers.js';

const DIRT = 0xa5;
const dirty = (length: number) => new Uint8Array(length).fill(DIRT);
/** Byte-equal (vitest's deep equality walks megabytes element by element). */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

/** A layout of `clusters` runs over a patterned source: some holes, some runs out of order. */
const layoutArb = fc
  .record({
    runs: fc.array(fc.record({ clusters: fc.integer({ min: 1, max: 6 }), hole: fc.boolean(), at: fc.integer({ min: 0, max: 40 }) }), { minLength: 1, maxLength: 6 }),
    sizeCut: fc.integer({ min: 0, max: 4095 }),
    initCut: fc.nat(),
  })
  .map(({ runs, sizeCut, initCut }) => {
    const cluster = 4096;
    let streamOffset = 0;
    const laid = runs.map((r) => {
      const run = { streamOffset, sourceOffset: r.hole ? null : r.at * cluster, length: r.clusters * cluster };
      streamOffset += run.length;
      return run;
    });
    const size = Math.max(0, streamOffset - sizeCut);
    const layout: StreamLayout = { name: '', size, initializedSize: size === 0 ? 0 : initCut % (size + 1), encoding: 'raw', runs: laid };
    return layout;
  });

describe('read path invariants', () => {
  const source = new MemorySource(patternedDisk(48 * 4096, 3));

  it('a stream readInto fills a dirty buffer exactly as read returns (holes and past-initialized bytes are zeros)', async () => {
    await fc.assert(
      fc.asyncProperty(layoutArb, fc.nat(), fc.nat(), async (layout, a, b) => {
        const stream = openLayoutStream(source, layout);
        const offset = layout.size === 0 ? 0 : a % (layout.size + 1);
        const length = (layout.size - offset) === 0 ? 0 : b % (layout.size - offset + 1);
        const expected = await stream.read(offset, length);
        const target = dirty(length);
        await stream.readInto!(offset, target);
        expect(same(target, expected)).toBe(true);
        // The model: run bytes below the initialized size, zeros elsewhere.
        for (let i = 0; i < length; i += 997) {
          const pos = offset + i;
          const run = layout.runs.find((r) => r.streamOffset <= pos && pos < r.streamOffset + r.length)!;
          const want = pos >= layout.initializedSize || run.sourceOffset === null ? 0 : (await source.read(run.sourceOffset + pos - run.streamOffset, 1))[0];
          expect(target[i]).toBe(want);
        }
      }),
      { seed: 7, numRuns: 150 },
    );
  });

  it('a large read over one contiguous run is exactly one source read, by read and by readInto', async () => {
    const counting = new CountingSource(source);
    // buildLayout coalesces runs contiguous on disk into one, so this is what a contiguous file looks like.
    const layout: StreamLayout = { name: '', size: 40 * 4096, initializedSize: 40 * 4096, encoding: 'raw', runs: [{ streamOffset: 0, sourceOffset: 4096, length: 40 * 4096 }] };
    const stream = openLayoutStream(counting, layout);
    await stream.read(100, 39 * 4096);
    expect(counting.reads).toEqual([{ offset: 4096 + 100, length: 39 * 4096 }]);
    counting.reads = [];
    await readInto(stream, 5, dirty(30 * 4096));
    expect(counting.reads).toEqual([{ offset: 4096 + 5, length: 30 * 4096 }]);
  });

  it.each(FORMATS)('%s: grain reads into a dirty buffer give the disk bytes (pieces in flight)', async (format) => {
    const grainBytes = format === 'cowd' ? 512 : format === 'sesparse' ? 4096 : 64 * 1024;
    const capacity = 12 * grainBytes;
    const content = patternedDisk(capacity, 11);
    content.fill(0, 3 * grainBytes, 6 * grainBytes); // unallocated grains inside a read
    const extent = await openFormat(format, new MemorySource(writeFormat(format, { capacity, content })));
    await fc.assert(
      fc.asyncProperty(fc.nat(capacity - 1), fc.nat(capacity), async (offset, b) => {
        const length = b % (capacity - offset + 1);
        const out = dirty(length);
        await extent.read(offset, out, parentIsZero);
        expect(same(out, content.subarray(offset, offset + length))).toBe(true);
      }),
      { seed: 5, numRuns: 25 },
    );
  });

  it('with pieces in flight, the error reported is the first damaged grain in disk order', async () => {
    const grainBytes = 64 * 1024;
    const capacity = 40 * grainBytes;
    const file = writeFormat('stream', { capacity, content: patternedDisk(capacity, 2) });
    const extent = await openFormat('stream', new MemorySource(file));
    // Find two grains' compressed records and damage both: the earlier one must be reported.
    const marker = (grain: number) => {
      const lba = BigInt(grain * 128);
      for (let at = 512; at + 12 < file.length; at += 512) {
        const view = new DataView(file.buffer, file.byteOffset + at);
        if (view.getBigUint64(0, true) === lba && view.getUint32(8, true) > 0) return at;
      }
      throw new Error(`no record for grain ${grain}`);
    };
    const damaged = file.slice();
    damaged.fill(0xff, marker(5) + 12, marker(5) + 40); // not a zlib stream: BAD_COMPRESSED_DATA
    new DataView(damaged.buffer).setBigUint64(marker(9), 12345n, true); // wrong LBA: BAD_MARKER
    const broken = await openFormat('stream', new MemorySource(damaged));
    const error = await broken.read(0, dirty(capacity), parentIsZero).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(GrtError);
    expect((error as GrtError).code).toBe('BAD_COMPRESSED_DATA');
    await extent.read(0, dirty(capacity), parentIsZero); // the undamaged file still reads
  });

  it('pipeChunks writes every chunk in order from READ_AHEAD_CHUNKS + 1 reused buffers, and a failed write fails the copy', async () => {
    const bytes = patternedDisk(10 * 4096 + 100, 4);
    const chunks = Array.from({ length: 11 }, (_, i) => ({ offset: i * 4096, length: Math.min(4096, bytes.length - i * 4096) }));
    const seen = new Set<ArrayBufferLike>();
    const out = new Uint8Array(bytes.length);
    await pipeChunks(engine, new MemorySource(bytes), chunks, async (data, chunk) => {
      seen.add(data.buffer);
      out.set(data, chunk.offset);
    });
    expect(out).toEqual(bytes);
    expect(seen.size).toBe(READ_AHEAD_CHUNKS + 1);
    const failure = new GrtError('IO_ERROR', 'disk full');
    await expect(pipeChunks(engine, new MemorySource(bytes), chunks, async (_d, chunk) => {
      if (chunk.offset === 2 * 4096) throw failure;
    })).rejects.toBe(failure);
  });

  it('pipeChunks reuses its buffers across copies, and a failed copy returns them only once no read writes into them', async () => {
    const bytes = patternedDisk(8 * 4096, 5);
    const chunks = Array.from({ length: 8 }, (_, i) => ({ offset: i * 4096, length: 4096 }));
    const buffersOf = async (): Promise<Set<ArrayBufferLike>> => {
      const seen = new Set<ArrayBufferLike>();
      await pipeChunks(engine, new MemorySource(bytes), chunks, async (data) => void seen.add(data.buffer));
      return seen;
    };
    const first = await buffersOf();
    expect(await buffersOf()).toEqual(first); // the same memory, not new mappings per copy
    // A read-ahead that finishes late: when the copy fails, it must have settled already.
    let lateReadDone = false;
    const slow = new MemorySource(bytes);
    const source = {
      size: slow.size,
      read: (offset: number, length: number) => slow.read(offset, length),
      readInto: async (offset: number, target: Uint8Array) => {
        if (offset === 3 * 4096) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          lateReadDone = true;
        }
        await slow.readInto(offset, target);
      },
    };
    const failure = new GrtError('IO_ERROR', 'disk full');
    await expect(pipeChunks(engine, source, chunks, async () => {
      throw failure;
    })).rejects.toBe(failure);
    expect(lateReadDone).toBe(true);
  });

  it('pipeChunks keeps several writes in flight, in order, each with its bytes intact until it settles; a failed one fails the copy only once none is running', async () => {
    const bytes = patternedDisk(12 * 4096, 6);
    const chunks = Array.from({ length: 12 }, (_, i) => ({ offset: i * 4096, length: 4096 }));
    // Writes that take a while (a writer thread's queue): each checks its bytes when it finishes.
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const slowWrite = (failAt?: number) => async (data: Uint8Array, chunk: { offset: number }) => {
      started.push(chunk.offset / 4096);
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      expect(data).toEqual(bytes.subarray(chunk.offset, chunk.offset + 4096)); // not overwritten by a read meanwhile
      if (chunk.offset / 4096 === failAt) throw new GrtError('IO_ERROR', 'disk full');
    };
    await pipeChunks(engine, new MemorySource(bytes), chunks, slowWrite());
    expect(started).toEqual(chunks.map((_, i) => i));
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(READ_AHEAD_CHUNKS + 1);
    running = 0;
    const failed = await pipeChunks(engine, new MemorySource(bytes), chunks, slowWrite(3)).then(() => undefined, (e: unknown) => e);
    expect(failed).toMatchObject({ code: 'IO_ERROR' });
    expect(running).toBe(0); // the caller may close the file now
  });
});
