/**
 * Decompression of streamOptimized grains (deflate with a zlib wrapper, RFC 1950/1951; VMware
 * "Virtual Disk Format 5.0", "Stream-Optimized Compressed Sparse Extents"), straight into the
 * caller's memory.
 *
 * Why not `zlib.inflateSync`: it builds a new stream object and zlib context per call (~25 µs)
 * and returns a fresh buffer the caller copies again. A 64 KiB grain of log text inflates in
 * ~15 µs, so for text that set-up was two thirds of the cost (bench/inflate.mjs). One zlib
 * context, reset per grain, writing into the destination, costs only the decoding.
 *
 * NOTE: Node has no public API for that, so `createInflater` uses the stream's native handle
 * (`_handle.writeSync`, `_writeState`), which `zlib.inflateSync` itself runs on and which has kept
 * its shape since Node 10. Where it is missing, the inflater falls back to `inflateSync` — same
 * results, tested against each other.
 */
import type * as zlib from 'node:zlib';
import { GrtError, type GrtErrorDetails } from '../errors.js';

/** What `inflate` returns instead of a byte count when a grain does not fit or does not decode. */
export const INFLATE_TOO_LARGE = -1;
export const INFLATE_CORRUPT = -2;

export interface Inflater {
  /**
   * Inflate the zlib stream in `input` into `out`; returns the bytes produced, INFLATE_TOO_LARGE
   * when the stream holds more than `out` (a zlib bomb stops there: memory stays `out`), or
   * INFLATE_CORRUPT (then `lastError` says why). Bytes after the end of the stream (sector
   * padding, writers that store longer records) are ignored. Bytes of `out` past the count are
   * unspecified.
   */
  inflate(input: Uint8Array, out: Uint8Array): number;
  lastError: string;
}

/** A reusable inflater over `zlibModule` (the inflate workers import it through chunk-decoder.ts). */
export function createInflater(zlibModule: typeof zlib): Inflater {
  const TOO_LARGE = -1;
  const CORRUPT = -2;
  const finish = zlibModule.constants.Z_FINISH;
  // After a full `out`, one more call into this tells "stream ended exactly here" (no output)
  // from "more data follows" (a grain larger than its room).
  const probe = new Uint8Array(64);
  interface NativeHandle {
    reset(): void;
    writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, out: Uint8Array, outOffset: number, outLength: number): void;
    onerror: (message: string) => void;
  }
  let handle: NativeHandle | null = null;
  let state: Uint32Array | null = null; // [output bytes left, input bytes left] after each write
  let failure: string | null = null;
  try {
    const engine = zlibModule.createInflate() as unknown as { _handle?: NativeHandle; _writeState?: Uint32Array };
    if (typeof engine._handle?.writeSync === 'function' && typeof engine._handle.reset === 'function' && engine._writeState instanceof Uint32Array) {
      handle = engine._handle;
      state = engine._writeState;
      // Our own error callback: the stream's would destroy itself; the context stays usable after a reset.
      handle.onerror = (message: string) => {
        failure = message;
      };
    }
  } catch {
    handle = null;
  }
  const inflater: Inflater = {
    lastError: '',
    inflate(input, out) {
      if (!handle || !state) {
        try {
          const result = zlibModule.inflateSync(input, { maxOutputLength: out.length, chunkSize: Math.max(out.length, 64) });
          out.set(result);
          return result.length;
        } catch (cause) {
          if ((cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return TOO_LARGE;
          inflater.lastError = (cause as Error).message;
          return CORRUPT;
        }
      }
      failure = null;
      handle.reset();
      handle.writeSync(finish, input, 0, input.length, out, 0, out.length);
      const produced = out.length - state[0]!;
      if (failure === null && state[0] === 0) {
        const inputLeft = state[1]!;
        handle.writeSync(finish, input, input.length - inputLeft, inputLeft, probe, 0, probe.length);
        if (failure === null && state[0] !== probe.length) return TOO_LARGE;
      }
      if (failure !== null) {
        inflater.lastError = failure;
        return CORRUPT;
      }
      return produced;
    },
  };
  return inflater;
}

/** The GrtError for a negative `inflate` result. */
export function inflateError(result: number, zlibMessage: string, roomBytes: number, details: GrtErrorDetails): GrtError {
  return result === INFLATE_TOO_LARGE
    ? new GrtError('BAD_COMPRESSED_DATA', 'grain inflates to more than a grain', { ...details, expected: `at most ${roomBytes} bytes` })
    : new GrtError('BAD_COMPRESSED_DATA', 'grain does not inflate', { ...details, cause: new Error(zlibMessage) });
}
