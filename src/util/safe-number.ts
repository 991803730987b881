import { GrtError, type GrtErrorDetails } from '../errors.js';
import { u32le } from './little-endian.js';

/**
 * 64-bit on-disk fields arrive as bigint. Byte offsets in grt are JavaScript numbers, exact up to
 * 2^53 (8 PiB), far beyond any disk we read; this is the one place that converts, and it refuses
 * rather than rounds.
 */
export function toSafeNumber(value: bigint, what: string, details: GrtErrorDetails = {}): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new GrtError('OUT_OF_RANGE', `${what} ${value} is beyond 2^53`, details);
  }
  return Number(value);
}

/** Multiply two non-negative integers (e.g. sectors × sector size) and refuse an inexact result. */
export function safeMultiply(a: number, b: number, what: string, details: GrtErrorDetails = {}): number {
  const product = a * b;
  if (!Number.isSafeInteger(product) || product < 0) {
    throw new GrtError('OUT_OF_RANGE', `${what} ${a} × ${b} is beyond 2^53`, details);
  }
  return product;
}

/** Read a little-endian u64 at `offset` of `view` as a checked number. */
export function readU64(view: DataView, offset: number, what: string, details: GrtErrorDetails = {}): number {
  return u64le(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), offset, what, details);
}

/** readU64 straight from bytes, for per-record hot paths (see little-endian.ts). */
export function u64le(bytes: Uint8Array, at: number, what: string, details: GrtErrorDetails = {}): number {
  const low = u32le(bytes, at);
  const high = u32le(bytes, at + 4);
  if (high > 0x1fffff) {
    throw new GrtError('OUT_OF_RANGE', `${what} is beyond 2^53`, { ...details, actual: (BigInt(high) << 32n) | BigInt(low) });
  }
  return high * 0x1_0000_0000 + low;
}
