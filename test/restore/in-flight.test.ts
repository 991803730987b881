import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, readFile, readdir, rm, stat, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InFlight } from '../../src/restore/in-flight.js';
import { restore, type RestoreEvent } from '../../src/restore/restore.js';
import { CHUNK_BYTES, FILES_IN_FLIGHT } from '../../src/restore/write.js';
import { GrtError } from '../../src/errors.js';
import { FakeFs, type FakeSpec } from '../helpers/fake-fs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-in-flight-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('InFlight', () => {
  it('runs every task, never more than its limit at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.array(fc.nat(4), { maxLength: 30 }), async (limit, durations) => {
        const slots = new InFlight(limit);
        let running = 0;
        let most = 0;
        const done: number[] = [];
        for (const [i, duration] of durations.entries()) {
          await slots.run(async () => {
            most = Math.max(most, ++running);
            await ticks(duration);
            running--;
            done.push(i);
          });
        }
        await slots.drain();
        expect(most).toBeLessThanOrEqual(limit);
        expect(done.sort((a, b) => a - b)).toEqual(durations.map((_, i) => i));
      }),
      { seed: 7, numRuns: 60 },
    );
  });

  it('a failure starts nothing new and is thrown once the others have settled', async () => {
    const slots = new InFlight(3);
    const settled: string[] = [];
    await slots.run(async () => {
      await ticks(5);
      settled.push('slow');
    });
    await slots.run(async () => {
      throw new GrtError('IO_ERROR', 'boom');
    });
    let started = false;
    const error = await slots.run(async () => void (started = true)).then(() => slots.drain()).catch((e) => e);
    expect(error).toBeInstanceOf(GrtError);
    expect(started).toBe(false);
    expect(settled).toEqual(['slow']);
    await slots.drain(); // the failure was reported once
  });
});

/** Specs whose reads wait a little and record which files were being read at once. */
function countingReads(files: Record<string, number>): { specs: Record<string, FakeSpec>; most: () => number; overlapping: (path: string) => boolean } {
  const reading = new Map<string, number>();
  let most = 0;
  const overlapped = new Set<string>();
  const specs: Record<string, FakeSpec> = {};
  for (const [path, size] of Object.entries(files)) {
    specs[path] = {
      data: new Uint8Array(size).fill(path.length),
      onRead: async () => {
        reading.set(path, (reading.get(path) ?? 0) + 1);
        most = Math.max(most, reading.size);
        if (reading.size > 1) for (const other of reading.keys()) overlapped.add(other);
        await ticks(3);
        const left = reading.get(path)! - 1;
        if (left === 0) reading.delete(path);
        else reading.set(path, left);
      },
    };
  }
  return { specs, most: () => most, overlapping: (path) => overlapped.has(path) };
}

describe('restore with files in flight', () => {
  it('copies small files of a directory several at a time, each complete', async () => {
    const files: Record<string, number> = {};
    for (let i = 0; i < 3 * FILES_IN_FLIGHT; i++) files[`/d/f${i}`] = 100 + i;
    const reads = countingReads(files);
    const summary = await restore({ fs: new FakeFs(reads.specs), paths: ['/d'], to: dir });
    expect(summary).toMatchObject({ files: 3 * FILES_IN_FLIGHT, failed: 0 });
    expect(reads.most()).toBeGreaterThan(1);
    expect(reads.most()).toBeLessThanOrEqual(FILES_IN_FLIGHT);
    for (const [path, size] of Object.entries(files)) {
      expect(await readFile(join(dir, path))).toEqual(Buffer.alloc(size, path.length));
    }
  });

  it('copies a file larger than a chunk alone', async () => {
    const reads = countingReads({ '/d/a': 10, '/d/b': 20, '/d/big': CHUNK_BYTES + 1, '/d/c': 30, '/d/e': 40 });
    await restore({ fs: new FakeFs(reads.specs), paths: ['/d'], to: dir });
    expect(reads.overlapping('/d/big')).toBe(false);
    expect(reads.overlapping('/d/a')).toBe(true); // the small ones do overlap
    expect((await stat(join(dir, 'd/big'))).size).toBe(CHUNK_BYTES + 1);
  });

  it('abort with several files in flight leaves no temp file and throws ABORTED', async () => {
    const controller = new AbortController();
    let reads = 0;
    const specs: Record<string, FakeSpec> = {};
    for (let i = 0; i < 4 * FILES_IN_FLIGHT; i++) {
      specs[`/d/f${i}`] = {
        data: `file ${i}`,
        onRead: async () => {
          if (++reads === 2 * FILES_IN_FLIGHT) controller.abort();
          await ticks(2);
        },
      };
    }
    const error = await restore({ fs: new FakeFs(specs), paths: ['/d'], to: dir, signal: controller.signal }).catch((e) => e);
    expect(error).toBeInstanceOf(GrtError);
    expect(error.code).toBe('ABORTED');
    const left = await readdir(join(dir, 'd'));
    expect(left.filter((name) => name.endsWith('.part'))).toEqual([]);
    expect(left.length).toBeLessThan(4 * FILES_IN_FLIGHT);
    for (const name of left) expect(await readFile(join(dir, 'd', name), 'utf8')).toBe(`file ${name.slice(1)}`);
  });

  it('a hard link whose first name failed is written as a copy', async () => {
    let reads = 0;
    const fs = new FakeFs({
      '/a/one': {
        data: 'same',
        onRead: () => {
          if (++reads === 1) throw new GrtError('BAD_RUNLIST', 'injected');
        },
      },
      '/a/two': { hardLinkOf: '/a/one' },
    });
    const events: RestoreEvent[] = [];
    const summary = await restore({ fs, paths: ['/a'], to: dir, onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ files: 1, links: 0, failed: 1 });
    expect(events.find((e) => e.type === 'failure')).toMatchObject({ path: '/a/one', code: 'BAD_RUNLIST' });
    expect(await readdir(join(dir, 'a'))).toEqual(['two']);
    expect(await readFile(join(dir, 'a/two'), 'utf8')).toBe('same');
  });

  it('a hard link is not made to a file kept by --skip-existing', async () => {
    await mkdir(join(dir, 'a'));
    await writeFile(join(dir, 'a/one'), 'older file');
    const fs = new FakeFs({ '/a/one': { data: 'same' }, '/a/two': { hardLinkOf: '/a/one' } });
    const summary = await restore({ fs, paths: ['/a'], to: dir, overwrite: 'skip-existing' });
    expect(summary).toMatchObject({ files: 1, links: 0, skipped: 1 });
    expect(await readFile(join(dir, 'a/one'), 'utf8')).toBe('older file');
    expect(await readFile(join(dir, 'a/two'), 'utf8')).toBe('same');
    expect((await stat(join(dir, 'a/one'))).ino).not.toBe((await stat(join(dir, 'a/two'))).ino);
  });
});
