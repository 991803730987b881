/**
 * What the kernel-copy tests share: temp files, the real addon counting what it copied, one the
 * kernel refuses, and a restore of a layout's data ranges as writeStream does it.
 */
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { StreamLayout } from '../../src/fs/file-system.js';
import { openLayoutStream } from '../../src/fs/layout-stream.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { createEngine } from '../../src/restore/engine.js';
import { loadNativeCopy, type NativeCopy } from '../../src/restore/native-copy.js';
import { copyRanges, dataRanges } from '../../src/restore/write.js';

export const SECTOR = 512;
export const GRAIN_SECTORS = 8; // 4 KiB grains: many grains, and transitions, in a small disk
export const GRAIN = GRAIN_SECTORS * SECTOR;

/** A temp directory for this test file (made before, removed after), and fresh names in it. */
export function tempFiles(prefix: string): { dir: () => string; fresh: (name: string) => string } {
  let dir = '';
  let counter = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return { dir: () => dir, fresh: (name) => join(dir, `${counter++}-${name}`) };
}

/** The real addon, counting the bytes each call copied. */
export function countingNative(): { native: NativeCopy; copied: { bytes: number } } {
  const real = loadNativeCopy();
  if (!real) throw new Error('the grt_copy addon is not built (npm ci builds it)');
  const copied = { bytes: 0 };
  const count =
    (call: NativeCopy['copyFileRange']): NativeCopy['copyFileRange'] =>
    (...args) => {
      const bytes = call(...args);
      copied.bytes += bytes;
      return bytes;
    };
  return { native: { copyFileRange: count(real.copyFileRange), sendFile: count(real.sendFile) }, copied };
}

/** An addon whose every call the kernel refuses (as copy_file_range and sendfile do for some pairs of files). */
export function refusingNative(): { native: NativeCopy; calls: string[] } {
  const calls: string[] = [];
  const refuse = (name: string, code: string) => () => {
    calls.push(name);
    throw Object.assign(new Error(`${name}: refused`), { code });
  };
  return { native: { copyFileRange: refuse('copy_file_range', 'EXDEV'), sendFile: refuse('sendfile', 'EINVAL') }, calls };
}

/** Copy the layout's data ranges of `disk` to a new file as a restore does; its bytes and how many blocks it allocated. */
export async function restoreLayout(disk: ByteSource, layout: StreamLayout, native: NativeCopy | null, fresh: (name: string) => string): Promise<{ bytes: Buffer; blocks: number }> {
  const engine = createEngine({ nativeCopy: native });
  const path = fresh('out.bin');
  const fd = openSync(path, 'wx');
  try {
    await copyRanges(engine, openLayoutStream(disk, layout), { fd, path }, dataRanges(layout, layout.size), layout.size, () => undefined);
  } finally {
    closeSync(fd);
    await engine.close();
  }
  return { bytes: readFileSync(path), blocks: statSync(path).blocks };
}

/** A layout of at most `size` bytes: runs of whole grains of the source in the given order, holes (`hole`) between. */
export function layoutOf(runs: { diskGrain: number; grains: number; hole: boolean }[], size: number, initializedSize = size): StreamLayout {
  let at = 0;
  const mapped = runs.map((run) => {
    const r = { streamOffset: at, sourceOffset: run.hole ? null : run.diskGrain * GRAIN, length: run.grains * GRAIN };
    at += r.length;
    return r;
  });
  return { name: '', size: Math.min(size, at), initializedSize: Math.min(initializedSize, size, at), encoding: 'raw', runs: mapped };
}
