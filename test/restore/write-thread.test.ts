import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { IDLE_WRITER_MS, spawnWriter, WRITE_PIECE_BYTES, WriteThread } from '../../src/restore/write-thread.js';
import { randomBytes } from '../helpers/random-bytes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-write-thread-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `bytes` in shared memory, as a restore's chunk buffers are. */
function shared(bytes: Uint8Array, offset = 0): Uint8Array {
  const view = new Uint8Array(new SharedArrayBuffer(offset + bytes.length), offset, bytes.length);
  view.set(bytes);
  return view;
}

describe('WriteThread', () => {
  it('property: positioned writes of shared and unshared chunks land where asked, whatever their lengths', async () => {
    const writer = new WriteThread();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ length: fc.integer({ min: 1, max: 3 * WRITE_PIECE_BYTES + 5 }), shared: fc.boolean(), offset: fc.integer({ min: 0, max: 9 }) }), { minLength: 1, maxLength: 5 }),
        fc.integer(),
        async (chunks, seed) => {
          const path = join(dir, 'positioned.bin');
          const expected = randomBytes(chunks.reduce((sum, c) => sum + c.length, 0), seed);
          const fd = openSync(path, 'w');
          try {
            // Written back to front: each at its own position.
            let end = expected.length;
            for (const chunk of [...chunks].reverse()) {
              const bytes = expected.subarray(end - chunk.length, end);
              await writer.write(fd, chunk.shared ? shared(bytes, chunk.offset) : bytes.slice(), end - chunk.length);
              end -= chunk.length;
            }
          } finally {
            closeSync(fd);
          }
          expect(Buffer.compare(readFileSync(path), expected)).toBe(0);
        },
      ),
      { seed: 5, numRuns: 20 },
    );
    expect(writer.running).toBe(true);
  });

  it('position null appends at the descriptor position, in order (stdout)', async () => {
    const writer = new WriteThread();
    const path = join(dir, 'appended.bin');
    const parts = [randomBytes(WRITE_PIECE_BYTES + 3, 1), randomBytes(10, 2), randomBytes(2 * WRITE_PIECE_BYTES, 3)];
    const fd = openSync(path, 'w');
    for (const part of parts) await writer.write(fd, shared(part), null);
    closeSync(fd);
    expect(Buffer.compare(readFileSync(path), Buffer.concat(parts))).toBe(0);
  });

  it('unshared memory never starts the thread (the threadpool writes it)', async () => {
    const writer = new WriteThread();
    const path = join(dir, 'unshared.bin');
    const data = randomBytes(1000, 4);
    const fd = openSync(path, 'w');
    await writer.write(fd, data, 0);
    closeSync(fd);
    expect(writer.running).toBe(false);
    expect(Buffer.compare(readFileSync(path), data)).toBe(0);
  });

  it('a failed write rejects with the system call code, on the thread and on the threadpool', async () => {
    const writer = new WriteThread();
    const path = join(dir, 'read-only.bin');
    closeSync(openSync(path, 'w'));
    const fd = openSync(path, 'r');
    try {
      for (const data of [shared(randomBytes(100, 6)), randomBytes(100, 6)]) {
        await expect(writer.write(fd, data, 0)).rejects.toMatchObject({ code: 'EBADF' });
      }
    } finally {
      closeSync(fd);
    }
  });

  it('a writer that dies with a write out fails that write as IO_ERROR; later writes go to the threadpool', async () => {
    const writer = new WriteThread(() => new Worker("require('node:worker_threads').parentPort.on('message', () => { throw new Error('boom'); });", { eval: true }));
    const path = join(dir, 'died.bin');
    const fd = openSync(path, 'w');
    try {
      const lost = await writer.write(fd, shared(randomBytes(10, 7)), 0).catch((error: unknown) => error);
      expect(lost).toBeInstanceOf(GrtError);
      expect(lost).toMatchObject({ code: 'IO_ERROR' });
      const data = randomBytes(WRITE_PIECE_BYTES + 1, 8);
      await writer.write(fd, shared(data), 0);
      expect(writer.running).toBe(false);
      expect(Buffer.compare(readFileSync(path), data)).toBe(0);
    } finally {
      closeSync(fd);
    }
  });

  it('a writer that cannot start leaves every write to the threadpool', async () => {
    const writer = new WriteThread(() => {
      throw new Error('no threads');
    });
    const path = join(dir, 'unstartable.bin');
    const data = randomBytes(5000, 9);
    const fd = openSync(path, 'w');
    await writer.write(fd, shared(data), 0);
    closeSync(fd);
    expect(Buffer.compare(readFileSync(path), data)).toBe(0);
  });

  it('stops after IDLE_WRITER_MS idle and starts again for the next write', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const writer = new WriteThread(spawnWriter);
    const path = join(dir, 'idle.bin');
    const fd = openSync(path, 'w');
    try {
      await writer.write(fd, shared(randomBytes(10, 10)), 0);
      vi.advanceTimersByTime(IDLE_WRITER_MS - 1);
      expect(writer.running).toBe(true);
      vi.advanceTimersByTime(1);
      expect(writer.running).toBe(false);
      const data = randomBytes(20, 11);
      await writer.write(fd, shared(data), 0);
      expect(writer.running).toBe(true); // stopping for idleness is not a failure
      expect(Buffer.compare(readFileSync(path), data)).toBe(0);
    } finally {
      closeSync(fd);
      vi.useRealTimers();
    }
  });

  it('a chunk the thread cannot be sent fails that write and leaves the thread unreferenced', async () => {
    const calls: string[] = [];
    const unsendable = {
      on: () => unsendable,
      ref: () => void calls.push('ref'),
      unref: () => void calls.push('unref'),
      terminate: async () => 0,
      postMessage: () => {
        throw Object.assign(new Error('could not clone'), { code: 'ERR_CLONE' });
      },
    };
    const writer = new WriteThread(() => unsendable as unknown as Worker);
    const fd = openSync(join(dir, 'unsent.bin'), 'w');
    try {
      await expect(writer.write(fd, shared(randomBytes(10, 12)), 0)).rejects.toMatchObject({ code: 'ERR_CLONE' });
    } finally {
      closeSync(fd);
    }
    expect(calls).toEqual(['ref', 'unref']);
  });
});
