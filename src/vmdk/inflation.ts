/**
 * What a disk needs to inflate its compressed grains: something that takes a batch of zlib
 * streams and fills their targets. inflate-pool.ts's `Inflation` is the implementation (inline,
 * or worker threads once enabled); a disk is given one when opened (OpenDiskOptions.inflation),
 * and a restore's Engine owns the one it passes there. Kept apart from inflate-pool.ts so the
 * disk readers and the restore engine share the contract without importing each other.
 */

export interface InflateJob {
  /** A zlib stream. */
  input: Uint8Array;
  /** Where it inflates to; its length is the room (a grain). */
  out: Uint8Array;
}

export interface InflateResults {
  /** Per job: bytes produced, or INFLATE_TOO_LARGE / INFLATE_CORRUPT (inflate.ts). */
  produced: Int32Array;
  /** Per job: zlib's message when it is INFLATE_CORRUPT, else ''. */
  errors: string[];
}

export interface GrainInflation {
  /** Inflate every job into its `out`; the results are the same wherever it runs. */
  batch(jobs: readonly InflateJob[]): Promise<InflateResults>;
}
