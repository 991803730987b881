/**
 * Decompression of one streamOptimized grain (deflate with a zlib wrapper, RFC 1950/1951; VMware
 * "Virtual Disk Format 5.0", "Stream-Optimized Compressed Sparse Extents"). Kept apart so a later
 * change can move it to worker threads without touching the extent reader.
 */
import { inflateSync } from 'node:zlib';
import { GrtError, type GrtErrorDetails } from '../errors.js';

/**
 * Inflate `compressed` into at most `maxBytes` bytes. zlib stops as soon as the output would pass
 * the cap, so a grain that expands without end (a zlib bomb) costs at most `maxBytes` of memory.
 * Bytes after the end of the zlib stream (sector padding, or writers that store a longer record
 * than the data) are ignored.
 */
export function inflateGrain(compressed: Uint8Array, maxBytes: number, details: GrtErrorDetails): Uint8Array {
  try {
    const out = inflateSync(compressed, { maxOutputLength: maxBytes });
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
