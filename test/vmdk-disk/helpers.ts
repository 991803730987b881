import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { GrtError } from '../../src/errors.js';
import type { ExtentLine } from '../../src/vmdk/descriptor.js';
import { openDisk, type VirtualDisk } from '../../src/vmdk/index.js';
import { randomBytes } from '../helpers/random-bytes.js';

/** A descriptor's text as VMware-style tools write it, for round trips. */
export function writeDescriptor(d: {
  cid?: string;
  parentCid?: string;
  createType?: string;
  parentFileNameHint?: string;
  encoding?: string;
  extents: ExtentLine[];
  ddb?: Record<string, string>;
}): string {
  const lines = ['# Disk DescriptorFile', 'version=1'];
  if (d.encoding !== undefined) lines.push(`encoding="${d.encoding}"`);
  lines.push(`CID=${d.cid ?? 'fffffffe'}`, `parentCID=${d.parentCid ?? 'ffffffff'}`);
  if (d.createType !== undefined) lines.push(`createType="${d.createType}"`);
  if (d.parentFileNameHint !== undefined) lines.push(`parentFileNameHint="${d.parentFileNameHint}"`);
  lines.push('', '# Extent description');
  for (const e of d.extents) {
    let line = `${e.access} ${e.sectorCount} ${e.type}`;
    if (e.file !== undefined) line += ` "${e.file}"`;
    if (e.sectorOffset !== undefined) line += ` ${e.sectorOffset}`;
    lines.push(line);
  }
  lines.push('', '# The Disk Data Base', '#DDB', '');
  for (const [key, value] of Object.entries(d.ddb ?? {})) lines.push(`${key} = "${value}"`);
  return lines.join('\n') + '\n';
}

/** Await `promise` or call `fn`, and require that it fails with a GrtError (of `code`, if given). */
export async function expectGrtError(run: () => unknown, code?: string): Promise<GrtError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(GrtError);
    if (code !== undefined) expect((error as GrtError).code).toBe(code);
    expect((error as GrtError).message).not.toMatch(/\n/);
    return error as GrtError;
  }
  throw new Error('expected a GrtError, but it succeeded');
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'grt-vmdk-disk-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Deterministic pseudo-random bytes. */
export function pattern(seed: number, length: number): Uint8Array {
  return randomBytes(length, seed);
}

/** Byte-for-byte comparison (vitest's deep equality is slow on large typed arrays). */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  if (Buffer.compare(actual, expected) === 0) return;
  const at = actual.findIndex((b, i) => b !== expected[i]);
  expect({ at, actual: actual[at] }).toEqual({ at, actual: expected[at] });
}

/** Every byte of a disk. */
export async function readAll(disk: VirtualDisk): Promise<Uint8Array> {
  return disk.read(0, disk.size);
}

/** Open a (damaged) disk and read all of it: a result or a GrtError, never another exception. */
export async function openAndReadAllOrGrtError(path: string): Promise<void> {
  try {
    const disk = await openDisk(path);
    try {
      await disk.read(0, disk.size);
    } finally {
      await disk.close();
    }
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
  }
}
