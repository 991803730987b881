/**
 * Decompression of one streamOptimized grain (deflate with a zlib wrapper, RFC 1950/1951; VMware
 * "Virtual Disk Format 5.0", "Stream-Optimized Compressed Sparse Extents").
 *
 * Two ways, by how much work a grain is (bench/inflate.mjs measures both): a grain that inflates
 * from little input (text, zeros, 0.5% of a grain) is cheap to decode, and node's callback API costs
 * more per call (~0.1 ms of main-thread stream set-up) than decoding it on the main thread; a grain
 * with more input (documents, binaries) is decoded on the libuv threadpool, so the several grains
 * a read keeps in flight inflate on every core.
 */
import { inflate, inflateSync } from 'node:zlib';
import { GrtError, type GrtErrorDetails } from '../errors.js';

/**
 * Compressed grains smaller than this inflate on the main thread. Measured on 64 KiB grains: at
 * 0.5% (330 bytes) inflateSync is ~1.7× the async API; at 28–32% (~20 KiB) async with 16 in
 * flight is ~1.25–1.3× inflateSync on two cores.
 */
export const SYNC_INFLATE_MAX_INPUT = 4096;

/**
 * Inflate `compressed` into at most `maxBytes` bytes. zlib stops as soon as the output would pass
 * the cap, so a grain that expands without end (a zlib bomb) costs at most `maxBytes` of memory.
 * Bytes after the end of the zlib stream (sector padding, or writers that store a longer record
 * than the data) are ignored.
 */
export async function inflateGrain(compressed: Uint8Array, maxBytes: number, details: GrtErrorDetails): Promise<Uint8Array> {
  // One output chunk of the cap: a whole grain comes back in one buffer, with no concatenation.
  const options = { maxOutputLength: maxBytes, chunkSize: Math.max(maxBytes, 64) };
  try {
    const out =
      compressed.length < SYNC_INFLATE_MAX_INPUT
        ? inflateSync(compressed, options)
        : await new Promise<Buffer>((resolve, reject) => inflate(compressed, options, (cause, result) => (cause ? reject(cause) : resolve(result))));
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (cause) {
    const tooLarge = (cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new GrtError('BAD_COMPRESSED_DATA', tooLarge ? 'grain inflates to more than a grain' : 'grain does not inflate', {
      ...details,
      expected: tooLarge ? `at most ${maxBytes} bytes` : undefined,
      cause,
    });
  }
}
