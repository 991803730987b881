/**
 * How a batch of inflate jobs travels to a worker (inflate-pool.ts packs it, inflate-worker.ts
 * unpacks it): job i is numbers [JOB_FIELDS·i, JOB_FIELDS·i + JOB_FIELDS) of a Float64Array —
 * input offset, input length, output offset in the batch's shared memory (RETURNED: the worker
 * sends the bytes back instead), output length, codec (chunk-decoder.ts CODECS).
 */
export const JOB_FIELDS = 5;
export const RETURNED = -1;
