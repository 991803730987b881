/**
 * Decompression of one streamOptimized grain (deflate with a zlib wrapper, RFC 1950/1951; VMware
 * "Virtual Disk Format 5.0", "Stream-Optimized Compressed Sparse Extents").
 *
 * Inflation runs on the libuv threadpool (node:zlib's callback API), not on the main thread, so a
 * reader with several grains in flight inflates on every core while the main thread goes on
 * reading and copying.
 */
import { inflate } from 'node:zlib';
import { GrtError, type GrtErrorDetails } from '../errors.js';

/**
 * Inflate `compressed` into at most `maxBytes` bytes. zlib stops as soon as the output would pass
 * the cap, so a grain that expands without end (a zlib bomb) costs at most `maxBytes` of memory.
 * Bytes after the end of the zlib stream (sector padding, or writers that store a longer record
 * than the data) are ignored.
 */
export function inflateGrain(compressed: Uint8Array, maxBytes: number, details: GrtErrorDetails): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    // One output chunk of the cap: a whole grain comes back in one buffer, with no concatenation.
    inflate(compressed, { maxOutputLength: maxBytes, chunkSize: Math.max(maxBytes, 64) }, (cause, out) => {
      if (!cause) {
        resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
        return;
      }
      const tooLarge = (cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      reject(
        new GrtError('BAD_COMPRESSED_DATA', tooLarge ? 'grain inflates to more than a grain' : 'grain does not inflate', {
          ...details,
          expected: tooLarge ? `at most ${maxBytes} bytes` : undefined,
          cause,
        }),
      );
    });
  });
}
