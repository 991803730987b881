/**
 * Large reads of a WOF stream decode their whole chunks in batches through the stream's
 * GrainInflation: on the inflate workers once enabled (vmdk/inflate-pool.ts), in order, into the
 * reader's buffer, with the same bytes and the same errors as chunk by chunk. The streams are
 * wimlib's vector chunks repeated to a few hundred KiB, with a chunk table of the test's own.
 */
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { openWofStream, type WofAlgorithm } from '../../src/fs/ntfs/wof.js';
import { readInto } from '../../src/io/byte-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { Inflation } from '../../src/vmdk/inflate-pool.js';
import type { GrainInflation, InflateJob } from '../../src/vmdk/inflation.js';
import { CHUNK_SIZES, loadVectors, type Vector } from './wof-vectors.js';

const ALGORITHMS: WofAlgorithm[] = ['XPRESS4K', 'LZX', 'XPRESS8K', 'XPRESS16K'];
const vectors = loadVectors();

/** A WOF stream of `v`'s whole chunks repeated `times`, then its last chunk; and its plaintext. */
function repeated(v: Vector, times: number): { stream: Uint8Array; plain: Uint8Array } {
  const whole = v.chunks.filter((c) => c.plain.length === CHUNK_SIZES[v.format]);
  const chunks = [...Array.from({ length: times }, () => whole).flat(), v.chunks[v.chunks.length - 1]!];
  const tableBytes = (chunks.length - 1) * 4;
  const stream = new Uint8Array(tableBytes + chunks.reduce((sum, c) => sum + c.packed.length, 0));
  const plain = new Uint8Array(chunks.reduce((sum, c) => sum + c.plain.length, 0));
  const table = new DataView(stream.buffer);
  let at = 0;
  let plainAt = 0;
  chunks.forEach((c, i) => {
    stream.set(c.packed, tableBytes + at);
    plain.set(c.plain, plainAt);
    at += c.packed.length;
    plainAt += c.plain.length;
    if (i < chunks.length - 1) table.setUint32(i * 4, at, true);
  });
  return { stream, plain };
}

/** An Inflation whose every large batch goes to a worker, and the batches and chunk codecs it saw. */
async function workerInflation(): Promise<{ inflation: Inflation; counting: GrainInflation; seen: InflateJob[][] }> {
  const inflation = new Inflation();
  expect(await inflation.enableWorkers(false).startAll()).toBeGreaterThan(0);
  const seen: InflateJob[][] = [];
  return { inflation, seen, counting: { batch: (jobs) => (seen.push([...jobs]), inflation.batch(jobs)) } };
}

describe('WOF chunks decoded in batches', () => {
  it('every format reads the same on the workers as chunk by chunk, whole and from odd offsets', async () => {
    const { inflation, counting, seen } = await workerInflation();
    const here = inflation.hereCount();
    try {
      for (const format of [0, 1, 2, 3]) {
        const v = vectors.find((x) => x.file.startsWith('exe.') && x.format === format && x.level === 50)!;
        const { stream, plain } = repeated(v, 12); // ~400 KiB: several batches' worth of chunks
        const wof = openWofStream(new MemorySource(stream), plain.length, ALGORITHMS[format]!, v.file, counting);
        const before = seen.length;
        expect(Buffer.from(await wof.read(0, plain.length)).equals(Buffer.from(plain)), v.file).toBe(true);
        const from = 12345;
        const target = new Uint8Array(new SharedArrayBuffer(plain.length - from - 777));
        await readInto(wof, from, target);
        expect(Buffer.from(target).equals(Buffer.from(plain.subarray(from, from + target.length))), `${v.file} from ${from}`).toBe(true);
        expect(seen.length, v.file).toBeGreaterThan(before);
        expect(seen.slice(before).flat().every((job) => job.codec === (format === 1 ? 'lzx' : 'xpress'))).toBe(true);
      }
      expect(inflation.hereCount()).toBe(here); // no batch stayed on this thread
    } finally {
      inflation.close();
    }
  });

  it('small reads stay chunk by chunk, without a batch', async () => {
    const { inflation, counting, seen } = await workerInflation();
    try {
      const v = vectors.find((x) => x.file === 'text.XPRESS4K.50.wof')!;
      const { stream, plain } = repeated(v, 12);
      const wof = openWofStream(new MemorySource(stream), plain.length, 'XPRESS4K', v.file, counting);
      for (let at = 0; at < plain.length; at += 64 * 1024) {
        const length = Math.min(64 * 1024, plain.length - at);
        expect(Buffer.from(await wof.read(at, length)).equals(Buffer.from(plain.subarray(at, at + length)))).toBe(true);
      }
      expect(seen.length).toBe(0);
    } finally {
      inflation.close();
    }
  });

  it('a damaged chunk in a batch fails the read with BAD_COMPRESSED_DATA naming it, as chunk by chunk does', async () => {
    const { inflation, counting } = await workerInflation();
    try {
      const v = vectors.find((x) => x.file === 'text.LZX.50.wof')!;
      const { stream, plain } = repeated(v, 12);
      const view = new DataView(stream.buffer);
      const chunk = 5;
      const start = (Math.ceil(plain.length / 32768) - 1) * 4 + view.getUint32((chunk - 1) * 4, true);
      stream.fill(0xff, start + 20, start + 80);
      const errors = [];
      for (const inflationOf of [counting, undefined]) {
        const wof = openWofStream(new MemorySource(stream), plain.length, 'LZX', v.file, inflationOf);
        errors.push(await wof.read(0, plain.length).then(() => undefined, (error: unknown) => error));
      }
      for (const error of errors) {
        expect(error).toBeInstanceOf(GrtError);
        expect((error as GrtError).code).toBe('BAD_COMPRESSED_DATA');
        expect((error as GrtError).message).toContain(`chunk ${chunk}`);
      }
    } finally {
      inflation.close();
    }
  });
});
