/**
 * What a disk needs to inflate its compressed grains: something that takes a batch of zlib
 * streams and fills their targets. inflate-pool.ts's `Inflation` is the implementation (inline,
 * or worker threads once enabled); a disk is given one when opened (OpenDiskOptions.inflation),
 * and a restore's Engine owns the one it passes there. Kept apart from inflate-pool.ts so the
 * disk readers and the restore engine share the contract without importing each other.
 */

/**
 * What a job's input is: a zlib stream (a grain; the default), or one WOF chunk (fs/ntfs/wof.ts)
 * of XPRESS Huffman or LZX, which decodes to exactly `out.length` bytes.
 */
export type ChunkCodec = 'zlib' | 'xpress' | 'lzx';

export interface InflateJob {
  /** A zlib stream, or a chunk of `codec`. */
  input: Uint8Array;
  /** Where it inflates to; its length is the room (a grain), or a WOF chunk's exact size. */
  out: Uint8Array;
  /** Default 'zlib'. */
  codec?: ChunkCodec;
}

export interface InflateResults {
  /** Per job: bytes produced, or INFLATE_TOO_LARGE / INFLATE_CORRUPT (inflate.ts). */
  produced: Int32Array;
  /** Per job: zlib's (or the chunk decoder's) message when it is INFLATE_CORRUPT, else ''. */
  errors: string[];
}

export interface GrainInflation {
  /** Inflate every job into its `out`; the results are the same wherever it runs. */
  batch(jobs: readonly InflateJob[]): Promise<InflateResults>;
}
