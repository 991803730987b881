import { expect } from 'vitest';
import { GrtError, type GrtErrorCode } from '../../src/errors.js';
import type { Extent, ParentRead } from '../../src/vmdk/extent.js';

/** A parent that is all zeros (a disk without a parent). */
export const parentIsZero: ParentRead = async (out) => {
  out.fill(0);
};

/** The whole extent, read in one call. */
export async function readAll(extent: Extent, fromParent: ParentRead): Promise<Uint8Array> {
  const out = new Uint8Array(extent.size);
  await extent.read(0, out, fromParent);
  return out;
}

/**
 * A deterministic disk image: runs of pseudo-random bytes and runs of zeros (so writers leave
 * holes), with the first MiB filled completely.
 */
export function patternedDisk(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  for (let i = 0; i < Math.min(size, 1024 * 1024); i++) bytes[i] = next() & 0xff || 1;
  let pos = 1024 * 1024;
  while (pos < size) {
    const run = 512 * (1 + (next() % 300));
    if (next() % 3 !== 0) for (let i = pos; i < Math.min(size, pos + run); i++) bytes[i] = next() & 0xff;
    pos += run;
  }
  return bytes;
}

/** Await `promise`, expect it to reject with a GrtError (of `code`, if given), and return it. */
export async function expectGrtError(promise: Promise<unknown>, code?: GrtErrorCode): Promise<GrtError> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof GrtError)) throw new Error(`expected a GrtError, got ${String(error)}`, { cause: error });
    if (code) expect(error.code).toBe(code);
    return error;
  }
  throw new Error('expected a GrtError, but the call succeeded');
}

/** Run `body`; only a GrtError may escape (damage tests: correct bytes or a clean error). */
export async function onlyGrtErrors(body: () => Promise<unknown>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (!(error instanceof GrtError)) throw new Error(`non-GrtError escaped: ${String(error)}`, { cause: error });
  }
}
