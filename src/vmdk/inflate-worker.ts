/**
 * The inflate worker's program (inflate-pool.ts starts it; inflate-worker-url.ts finds it): jobs
 * arrive in batches, each decoded by the same chunk decoder as the calling thread's
 * (chunk-decoder.ts: zlib grains, WOF XPRESS Huffman and LZX chunks).
 *
 * A message is { id, input, jobs, shared }: `input` holds every job's input back to back,
 * `jobs` JOB_FIELDS numbers per job (input offset, input length, output offset in `shared` or
 * RETURNED, output length, codec number), `shared` the batch's shared memory or null. The reply
 * { id, produced, errors, output } carries the RETURNED jobs' bytes one job's room after another.
 */
import { parentPort } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { CODECS, createChunkDecoder } from './chunk-decoder.js';
import { INFLATE_CORRUPT } from './inflate.js';
import { JOB_FIELDS, RETURNED } from './inflate-jobs.js';

interface Batch {
  id: number;
  input: Uint8Array;
  jobs: Float64Array;
  shared: SharedArrayBuffer | null;
}

const decoder = createChunkDecoder(zlib);

parentPort?.on('message', ({ id, input, jobs, shared }: Batch) => {
  const count = jobs.length / JOB_FIELDS;
  let returned = 0;
  for (let i = 0; i < count; i++) if (jobs[i * JOB_FIELDS + 2] === RETURNED) returned += jobs[i * JOB_FIELDS + 3]!;
  const memory = shared ? new Uint8Array(shared) : new Uint8Array(0);
  const output = new Uint8Array(returned);
  const produced = new Int32Array(count);
  const errors: string[] = [];
  for (let i = 0, at = 0; i < count; i++) {
    const j = i * JOB_FIELDS;
    const [from, length, outAt, room, codec] = [jobs[j]!, jobs[j + 1]!, jobs[j + 2]!, jobs[j + 3]!, jobs[j + 4]!];
    const out = outAt === RETURNED ? output.subarray(at, (at += room)) : memory.subarray(outAt, outAt + room);
    produced[i] = decoder.decode({ input: input.subarray(from, from + length), out, codec: CODECS[codec] ?? 'zlib' });
    errors.push(produced[i] === INFLATE_CORRUPT ? decoder.lastError : '');
  }
  parentPort!.postMessage({ id, produced, errors, output }, [output.buffer]);
});
