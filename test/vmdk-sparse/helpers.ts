import { expect } from 'vitest';
import { GrtError, type GrtErrorCode } from '../../src/errors.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { openCowdExtent } from '../../src/vmdk/cowd-extent.js';
import type { Extent, ParentRead } from '../../src/vmdk/extent.js';
import { openSeSparseExtent } from '../../src/vmdk/sesparse-extent.js';
import { openSparseExtent } from '../../src/vmdk/sparse-extent.js';
import { writeCowd, writeHostedSparse, writeSeSparse, writeStreamOptimized, type SparseImageSpec } from '../builders/vmdk-writer.js';
import { xorshift32 } from '../helpers/random-bytes.js';

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
  const next = xorshift32(seed);
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

export type Format = 'hosted' | 'stream' | 'stream-gd-in-header' | 'cowd' | 'sesparse';
export const FORMATS: Format[] = ['hosted', 'stream', 'stream-gd-in-header', 'cowd', 'sesparse'];

export function writeFormat(format: Format, spec: SparseImageSpec): Uint8Array {
  switch (format) {
    case 'hosted':
      return writeHostedSparse(spec);
    case 'stream':
      return writeStreamOptimized(spec);
    case 'stream-gd-in-header':
      return writeStreamOptimized({ ...spec, gdAtEnd: false });
    case 'cowd':
      return writeCowd({ ...spec, zeroedGrains: [] });
    case 'sesparse':
      return writeSeSparse(spec);
  }
}

/** Open a file of `format`; `strict` also expects no warnings and the right kind. */
export async function openFormat(format: Format, file: ByteSource, strict = true): Promise<Extent> {
  const path = `test.${format}.vmdk`;
  if (format === 'cowd') return (await openCowdExtent(file, { path })).extent;
  if (format === 'sesparse') return (await openSeSparseExtent(file, { path })).extent;
  const opened = await openSparseExtent(file, { path });
  if (strict) {
    expect(opened.warnings).toEqual([]);
    expect(opened.kind).toBe(format === 'hosted' ? 'sparse' : 'streamOptimized');
  }
  return opened.extent;
}

