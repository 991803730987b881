import { closeSync, existsSync, openSync, readFileSync, symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { CHUNK_BYTES, closeTemp, copyRanges, createTemp, MAX_TEMP_ATTEMPTS, SLOW_CHUNKS_BEFORE_OFF_THREAD, tempPathBeside, SLOW_SYNC_WRITE_MS, writeAt, type WriteSpeed } from '../../src/restore/write.js';
import { WRITE_PIECE_BYTES } from '../../src/restore/write-thread.js';
import { createEngine } from '../../src/restore/engine.js';
import { randomBytes } from '../helpers/random-bytes.js';
import { deflateSync } from 'node:zlib';
import type { ByteSource } from '../../src/io/byte-source.js';
import { WORKER_MIN_GRAINS } from '../../src/vmdk/inflate-pool.js';

let dir: string;
const engine = createEngine();
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-write-at-'));
});
afterAll(async () => {
  await engine.close();
  await rm(dir, { recursive: true, force: true });
});

describe('writeAt', () => {
  it('property: writes every byte at its position, in pieces, whatever the length and offset', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * WRITE_PIECE_BYTES + 17 }), fc.integer({ min: 0, max: 100_000 }), fc.integer(), (length, position, seed) => {
        const path = join(dir, 'positioned.bin');
        const data = randomBytes(length, seed);
        const fd = openSync(path, 'w');
        try {
          writeAt(fd, data, position, path);
        } finally {
          closeSync(fd);
        }
        const written = readFileSync(path);
        expect(written.length).toBe(length === 0 ? 0 : position + length);
        expect(Buffer.compare(written.subarray(position), data)).toBe(0);
        if (length > 0) expect(written.subarray(0, position).every((b) => b === 0)).toBe(true);
      }),
      { seed: 11, numRuns: 25 },
    );
  });

  it('position null appends at the descriptor position (stdout)', () => {
    const path = join(dir, 'appended.bin');
    const first = randomBytes(WRITE_PIECE_BYTES + 5, 1);
    const second = randomBytes(9, 2);
    const fd = openSync(path, 'w');
    writeAt(fd, first, null, 'stdout');
    writeAt(fd, second, null, 'stdout');
    closeSync(fd);
    expect(Buffer.compare(readFileSync(path), Buffer.concat([first, second]))).toBe(0);
  });

  it('a failed write is a GrtError naming the path', () => {
    const path = join(dir, 'read-only.bin');
    closeSync(openSync(path, 'w'));
    const fd = openSync(path, 'r');
    try {
      let thrown: unknown;
      try {
        writeAt(fd, new Uint8Array(10), 0, path);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(GrtError);
      expect((thrown as GrtError).code).toBe('IO_ERROR');
      expect((thrown as GrtError).path).toBe(path);
    } finally {
      closeSync(fd);
    }
  });
});

describe('copyRanges', () => {
  it('moves writes off the thread after a few slow synchronous chunks, with the same bytes', async () => {
    const data = randomBytes((SLOW_CHUNKS_BEFORE_OFF_THREAD + 2) * CHUNK_BYTES + 123, 9);
    const temp = createTemp(engine, dir, 'slow.bin');
    const speed: WriteSpeed = { slowChunks: 0 };
    // Every timed chunk looks slow (a network share): after a few, the rest go off the thread.
    let clock = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => (clock += SLOW_SYNC_WRITE_MS + 1));
    try {
      await copyRanges(engine, new MemorySource(data), temp, [{ offset: 0, length: data.length }], data.length, () => undefined, undefined, speed);
    } finally {
      now.mockRestore();
      closeTemp(temp);
    }
    expect(speed.offThreadChunks).toBe(3); // the last three chunks (the final one partial)
    expect(Buffer.compare(readFileSync(temp.path), data)).toBe(0);
  });

  it('a slow target found by one copy stays slow for the next copy given the same WriteSpeed', async () => {
    const data = randomBytes(SLOW_CHUNKS_BEFORE_OFF_THREAD * CHUNK_BYTES, 11);
    const speed: WriteSpeed = { slowChunks: 0 };
    let clock = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => (clock += SLOW_SYNC_WRITE_MS + 1));
    const first = createTemp(engine, dir, 'first.bin');
    try {
      await copyRanges(engine, new MemorySource(data), first, [{ offset: 0, length: data.length }], data.length, () => undefined, undefined, speed);
    } finally {
      now.mockRestore();
      closeTemp(first);
    }
    expect(speed.slowChunks).toBe(SLOW_CHUNKS_BEFORE_OFF_THREAD);
    const second = createTemp(engine, dir, 'second.bin');
    try {
      await copyRanges(engine, new MemorySource(data), second, [{ offset: 0, length: data.length }], data.length, () => undefined, undefined, speed);
    } finally {
      closeTemp(second);
    }
    expect(speed.offThreadChunks).toBe(SLOW_CHUNKS_BEFORE_OFF_THREAD); // every chunk, from the first
    expect(Buffer.compare(readFileSync(second.path), data)).toBe(0);
  });

  it('stays synchronous while writes are fast', async () => {
    const data = randomBytes(2 * CHUNK_BYTES, 10);
    const temp = createTemp(engine, dir, 'fast.bin');
    const speed: WriteSpeed = { slowChunks: 0 };
    const now = vi.spyOn(performance, 'now').mockReturnValue(0);
    try {
      await copyRanges(engine, new MemorySource(data), temp, [{ offset: 0, length: data.length }], data.length, () => undefined, undefined, speed);
    } finally {
      now.mockRestore();
      closeTemp(temp);
    }
    expect(speed.offThreadChunks ?? 0).toBe(0);
    expect(Buffer.compare(readFileSync(temp.path), data)).toBe(0);
  });

  it('writes off the thread while this thread inflates grains (the next chunks inflate meanwhile), with the same bytes', async () => {
    const data = randomBytes(3 * CHUNK_BYTES + 77, 13);
    const memory = new MemorySource(data);
    const grain = new Uint8Array(4096).fill(3);
    // A streamOptimized disk's reads, as far as the writer can tell: each inflates a batch here first.
    const inflating: ByteSource = {
      size: data.length,
      read: (offset, length) => memory.read(offset, length),
      readInto: async (offset, target) => {
        await engine.inflation.batch(Array.from({ length: WORKER_MIN_GRAINS }, () => ({ input: deflateSync(grain), out: new Uint8Array(grain.length) })));
        target.set(await memory.read(offset, target.length));
      },
    };
    for (const [source, offThreadChunks] of [[memory, 0], [inflating, 4]] as const) {
      const temp = createTemp(engine, dir, 'inflating.bin');
      const speed: WriteSpeed = { slowChunks: 0 };
      try {
        await copyRanges(engine, source, temp, [{ offset: 0, length: data.length }], data.length, () => undefined, undefined, speed);
      } finally {
        closeTemp(temp);
      }
      expect(speed.offThreadChunks ?? 0).toBe(offThreadChunks);
      expect(speed.slowChunks).toBe(0);
      expect(Buffer.compare(readFileSync(temp.path), data)).toBe(0);
    }
  });

  it('once a WriteSpeed has gone off the thread it stays there (queued writes must not be overtaken)', async () => {
    const data = randomBytes(2 * CHUNK_BYTES + 5, 14);
    const temp = createTemp(engine, dir, 'sticky.bin');
    const speed: WriteSpeed = { slowChunks: 0, offThreadChunks: 0 }; // as after an earlier copy
    try {
      await copyRanges(engine, new MemorySource(data), temp, [{ offset: 0, length: data.length }], data.length, () => undefined, undefined, speed);
    } finally {
      closeTemp(temp);
    }
    expect(speed.offThreadChunks).toBe(3);
    expect(Buffer.compare(readFileSync(temp.path), data)).toBe(0);
  });

  it('a failed off-thread write, and a failed close, are IO_ERRORs naming the temp file', async () => {
    const temp = createTemp(engine, dir, 'closed.bin');
    closeSync(temp.fd); // every later call on it fails with EBADF
    const speed: WriteSpeed = { slowChunks: SLOW_CHUNKS_BEFORE_OFF_THREAD }; // already found slow
    const data = randomBytes(1000, 12);
    const writeError = await copyRanges(engine, new MemorySource(data), temp, [{ offset: 0, length: data.length }], data.length, () => undefined, undefined, speed).catch((e) => e);
    expect(writeError).toBeInstanceOf(GrtError);
    expect(writeError).toMatchObject({ code: 'IO_ERROR', path: temp.path });
    expect(writeError.message).toMatch(/write failed \(EBADF\)/);
    expect(speed.offThreadChunks).toBe(1);
    let closeError: unknown;
    try {
      closeTemp(temp);
    } catch (error) {
      closeError = error;
    }
    expect(closeError).toMatchObject({ code: 'IO_ERROR', path: temp.path });
  });
});

describe('createTemp', () => {
  /** The temp names createTemp will try next in `dir` for `name` (learned from one it made). */
  function nextTempNames(name: string, count: number): string[] {
    const probe = tempPathBeside(engine, dir, name);
    const match = /^(.*\.grt-[0-9a-f]{12})([0-9a-f]+)\.part$/.exec(probe)!;
    const counter = parseInt(match[2]!, 16);
    return Array.from({ length: count }, (_, i) => `${match[1]}${(counter + 1 + i).toString(16)}.part`);
  }

  it('steps over temp names that already exist (another process), and gives up after MAX_TEMP_ATTEMPTS', () => {
    const taken = nextTempNames('clash.bin', 3);
    for (const path of taken) closeSync(openSync(path, 'w'));
    const temp = createTemp(engine, dir, 'clash.bin');
    closeTemp(temp);
    expect(taken).not.toContain(temp.path);
    expect(readFileSync(taken[0]!).length).toBe(0); // untouched
    const all = nextTempNames('full.bin', MAX_TEMP_ATTEMPTS);
    for (const path of all) closeSync(openSync(path, 'w'));
    expect(() => createTemp(engine, dir, 'full.bin')).toThrow(expect.objectContaining({ code: 'EXISTS', path: all[all.length - 1] }));
  });

  it('never follows a symlink at the temp name (O_EXCL refuses it as existing): it steps over it', () => {
    const [next] = nextTempNames('linked.bin', 1);
    const outside = join(dir, 'outside.bin');
    symlinkSync(outside, next!);
    const temp = createTemp(engine, dir, 'linked.bin');
    closeTemp(temp);
    expect(temp.path).not.toBe(next);
    expect(existsSync(outside)).toBe(false);
  });
});
