/**
 * Grain inflation: the reused zlib context (inflate.ts) must classify and decode every input exactly
 * as `zlib.inflateSync` with the same output cap does — valid, truncated, damaged, padded, bombs,
 * streams that fill their room exactly — and so must its inflateSync fallback and the worker pool.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createInflater, INFLATE_CORRUPT, INFLATE_TOO_LARGE, type Inflater } from '../../src/vmdk/inflate.js';
import {
  IDLE_WORKER_MS, Inflation, InflatePool, inflateInline, inflatesFast, spawnInflateWorker, WORKER_MIN_GRAINS, type InflateJob,
} from '../../src/vmdk/inflate-pool.js';

/** One Inflation for the tests below, as a process (an Engine) keeps one across restores. */
const testInflation = new Inflation();
const inflateBatch = (jobs: readonly InflateJob[]) => testInflation.batch(jobs);
const startInflateWorkers = (keepFast: boolean) => testInflation.enableWorkers(keepFast).startAll();
const inflateWorkersRunning = () => testInflation.workersRunning;
const inflatedHereCount = () => testInflation.hereCount();
import { Worker } from 'node:worker_threads';
import { randomBytes } from '../helpers/random-bytes.js';

/** What inflateSync says with the same cap: the bytes, or which failure. */
function reference(input: Uint8Array, room: number): Uint8Array | number {
  try {
    return new Uint8Array(zlib.inflateSync(input, { maxOutputLength: room, chunkSize: Math.max(room, 64) }));
  } catch (error) {
    return (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? INFLATE_TOO_LARGE : INFLATE_CORRUPT;
  }
}

function run(inflater: Inflater, input: Uint8Array, room: number): Uint8Array | number {
  const out = new Uint8Array(room).fill(0xa5);
  const produced = inflater.inflate(input, out);
  return produced < 0 ? produced : out.slice(0, produced);
}

/** A zlib module whose streams have no native handle to reuse: the inflater must fall back. */
const withoutHandle = { ...zlib, createInflate: () => ({}) } as unknown as typeof zlib;

/** Content from text-like to random, deflated, then maybe cut, damaged or padded. */
const caseArb = fc
  .record({
    length: fc.integer({ min: 0, max: 12_000 }),
    alphabet: fc.integer({ min: 1, max: 256 }),
    seed: fc.integer(),
    level: fc.integer({ min: 0, max: 9 }),
    damage: fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('pad' as const), bytes: fc.integer({ min: 1, max: 600 }), value: fc.integer({ min: 0, max: 255 }) }),
    ),
    roomDelta: fc.integer({ min: -300, max: 300 }),
  })
  .map(({ length, alphabet, seed, level, damage, roomDelta }) => {
    let state = seed >>> 0 || 1;
    const content = new Uint8Array(length).map(() => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % alphabet;
    });
    let input: Uint8Array = new Uint8Array(zlib.deflateSync(content, { level }));
    if (damage.kind === 'cut') input = input.slice(0, damage.at % (input.length + 1));
    if (damage.kind === 'flip' && input.length > 0) input[damage.at % input.length] ^= damage.value;
    if (damage.kind === 'pad') input = new Uint8Array([...input, ...new Uint8Array(damage.bytes).fill(damage.value)]);
    // Rooms around the content's size, and exactly it (the "full room" probe).
    const room = Math.max(1, roomDelta === 0 ? length : length + roomDelta);
    return { input, room, damaged: damage.kind === 'cut' || damage.kind === 'flip' };
  });

describe('grain inflation', () => {
  const reused = createInflater(zlib);
  const fallback = createInflater(withoutHandle);

  it('the reused context and its fallback agree with inflateSync on any input', () => {
    fc.assert(
      fc.property(caseArb, ({ input, room, damaged }) => {
        const expected = reference(input, room);
        expect(run(fallback, input, room)).toEqual(expected);
        const actual = run(reused, input, room);
        // A damaged stream that also overflows its room may be caught by either check first
        // (inflateSync decodes a whole extra chunk and may reach the bad checksum); both refuse it.
        if (damaged && typeof expected === 'number') expect(actual).toBeLessThan(0);
        else expect(actual).toEqual(expected);
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it('caps a bomb at its room, and decodes correctly right after a failure', () => {
    const room = 64 * 1024;
    const bomb = zlib.deflateSync(new Uint8Array(64 << 20));
    for (const inflater of [reused, fallback]) {
      expect(inflater.inflate(bomb, new Uint8Array(room))).toBe(INFLATE_TOO_LARGE);
      expect(inflater.inflate(new Uint8Array(100).fill(7), new Uint8Array(room))).toBe(INFLATE_CORRUPT);
      expect(inflater.lastError).not.toBe('');
      const text = new TextEncoder().encode('INFO copied block\n'.repeat(4000)).subarray(0, room);
      expect(run(inflater, zlib.deflateSync(text), room)).toEqual(text);
    }
  });

  it('the worker pool gives what inflating here gives, into shared and unshared memory', async () => {
    const grain = 4096;
    const contents = Array.from({ length: 3 * WORKER_MIN_GRAINS }, (_, i) => new Uint8Array(grain).map((_b, at) => (at * (i + 1)) % 251));
    const inputs = contents.map((c) => new Uint8Array(zlib.deflateSync(c)));
    inputs[5] = new Uint8Array(64).fill(1); // corrupt
    inputs[7] = new Uint8Array(zlib.deflateSync(new Uint8Array(2 * grain))); // too large
    const jobsIn = (memory: Uint8Array): InflateJob[] => inputs.map((input, i) => ({ input, out: memory.subarray(i * grain, (i + 1) * grain) }));
    // Opt-in: until startInflateWorkers, even large batches are inflated here and start no worker.
    expect((await inflateBatch(jobsIn(new Uint8Array(inputs.length * grain)))).produced).toEqual(inflateInline(jobsIn(new Uint8Array(inputs.length * grain))).produced);
    expect(inflateWorkersRunning()).toBe(0);
    // Batches sent before a worker is up are inflated here: wait for them, so the workers are tested;
    // and send every batch, however fast it inflates.
    expect(await startInflateWorkers(false)).toBeGreaterThan(0);
    const here0 = inflatedHereCount();
    const here = new Uint8Array(inputs.length * grain);
    const expected = inflateInline(jobsIn(here));
    expect([...expected.produced].filter((n) => n === grain)).toHaveLength(inputs.length - 2);
    expect(expected.produced[5]).toBe(INFLATE_CORRUPT);
    expect(expected.produced[7]).toBe(INFLATE_TOO_LARGE);
    for (const memory of [new Uint8Array(new SharedArrayBuffer(here.length)), new Uint8Array(here.length)]) {
      // Several batches at once, as a restore's read-ahead sends them.
      const results = await Promise.all([inflateBatch(jobsIn(memory)), inflateBatch(jobsIn(memory.slice()))]);
      for (const result of results) {
        expect(result.produced).toEqual(expected.produced);
        expect(result.errors[5]).not.toBe('');
      }
      for (const i of [0, 4, 11]) expect(memory.subarray(i * grain, (i + 1) * grain)).toEqual(contents[i]);
    }
    // Mixed, as a restore's batch is: whole grains into the shared chunk buffer, a partial grain
    // (the read starts inside it) into a buffer of its own, which comes back by message.
    const shared = new Uint8Array(new SharedArrayBuffer(here.length));
    const own = [new Uint8Array(grain), new Uint8Array(grain)];
    const mixed = jobsIn(shared);
    mixed[0] = { input: inputs[0]!, out: own[0]! };
    mixed[9] = { input: inputs[9]!, out: own[1]! };
    const result = await inflateBatch(mixed);
    expect(result.produced).toEqual(expected.produced);
    expect(own[0]).toEqual(contents[0]);
    expect(own[1]).toEqual(contents[9]);
    expect(shared.subarray(4 * grain, 5 * grain)).toEqual(contents[4]);
    expect(shared.subarray(0, grain).every((b) => b === 0)).toBe(true); // job 0 went to its own buffer
    // Still up: a worker that had failed would have moved the pool back here for good.
    expect(await startInflateWorkers(false)).toBeGreaterThan(0);
    expect(inflatedHereCount()).toBe(here0); // the workers did every batch
  });

  it('a process that used the workers and the writer thread exits when its work is done', async () => {
    const esbuild = await import('esbuild');
    const dir = await mkdtemp(join(tmpdir(), 'grt-inflate-'));
    try {
      const here = dirname(fileURLToPath(import.meta.url));
      const pool = join(here, '../../src/vmdk/inflate-pool.ts');
      const writer = join(here, '../../src/restore/write-thread.ts');
      const script = join(dir, 'run.mjs');
      await esbuild.build({
        stdin: {
          contents: `import { deflateSync } from 'node:zlib';
            import { closeSync, openSync } from 'node:fs';
            import { Inflation } from ${JSON.stringify(pool)};
            import { WriteThread } from ${JSON.stringify(writer)};
            const inflation = new Inflation();
            const ready = await inflation.enableWorkers(false).startAll();
            const jobs = Array.from({ length: 8 }, () => ({ input: deflateSync(new Uint8Array(4096).fill(1)), out: new Uint8Array(4096) }));
            const { produced } = await inflation.batch(jobs);
            const fd = openSync(process.argv[2], 'w');
            await new WriteThread().write(fd, new Uint8Array(new SharedArrayBuffer(10)), 0);
            closeSync(fd);
            console.log(ready, produced.join(','));`,
          resolveDir: dir,
          loader: 'ts',
        },
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        outfile: script,
        logLevel: 'error',
      });
      // The worker program beside it, as tsup builds it into dist/vmdk (inflate-worker-url.ts).
      await esbuild.build({ entryPoints: [join(here, '../../src/vmdk/inflate-worker.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: join(dir, 'inflate-worker.mjs'), logLevel: 'error' });
      const used = spawnSync(process.execPath, [script, join(dir, 'out.bin')], { encoding: 'utf8', timeout: IDLE_WORKER_MS / 2 });
      expect(used.signal).toBeNull(); // killed by the timeout: a worker kept it alive until its idle stop
      expect(used.stdout.trim()).toMatch(/^[1-9]\d* 4096(,4096){7}$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('idle workers stop after IDLE_WORKER_MS; the next large batch is inflated all the same and starts them again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const started = await startInflateWorkers(false);
      expect(started).toBeGreaterThan(0);
      const content = new Uint8Array(4096).fill(9);
      const batch = () => Array.from({ length: WORKER_MIN_GRAINS }, () => ({ input: zlib.deflateSync(content), out: new Uint8Array(4096) }));
      // Work for every worker (their idle timers, armed when each batch is answered, are the fake ones).
      await Promise.all(Array.from({ length: started }, () => inflateBatch(batch())));
      expect(inflateWorkersRunning()).toBe(started);
      vi.advanceTimersByTime(IDLE_WORKER_MS - 1);
      expect(inflateWorkersRunning()).toBe(started);
      vi.advanceTimersByTime(1);
      expect(inflateWorkersRunning()).toBe(0);
      const jobs = batch();
      expect([...(await inflateBatch(jobs)).produced]).toEqual(jobs.map(() => 4096));
      expect(jobs.every((job) => job.out.every((b) => b === 9))).toBe(true);
      expect(await startInflateWorkers(false)).toBeGreaterThan(0); // stopping for idleness is not a failure
    } finally {
      vi.useRealTimers();
    }
  });

  it('a worker that dies with batches out, or cannot start, leaves every batch inflated here with the same results', async () => {
    const content = new Uint8Array(4096).map((_, i) => i % 7);
    const batch = () => Array.from({ length: WORKER_MIN_GRAINS }, () => ({ input: zlib.deflateSync(content), out: new Uint8Array(4096) }));
    const check = async (pool: InflatePool) => {
      for (let round = 0; round < 3; round++) {
        const jobs = batch();
        expect([...(await pool.run(jobs)).produced]).toEqual(jobs.map(() => 4096));
        expect(jobs.every((job) => job.out.every((b, i) => b === i % 7))).toBe(true);
      }
    };
    // Starts, then crashes on its first batch.
    const crashing = new InflatePool(() => new Worker("require('node:worker_threads').parentPort.on('message', () => { throw new Error('boom'); });", { eval: true }), false);
    expect(await crashing.startAll()).toBeGreaterThan(0);
    await check(crashing);
    expect(await crashing.startAll()).toBe(0); // given up: everything stays here now
    const unstartable = new InflatePool(() => {
      throw new Error('no threads');
    });
    expect(await unstartable.startAll()).toBe(0);
    await check(unstartable);
  });

  it('batches that inflate fast (well compressed, or stored) stay here and start no worker; others go to workers', async () => {
    let seed = 7;
    const nibble = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24) & 15; // ~2:1, like binary data
    const kinds = {
      text: () => new Uint8Array(4096).map((_, i) => 65 + (i % 13)),
      stored: () => randomBytes(4096, seed++),
      binary: () => new Uint8Array(4096).map(nibble),
    };
    const batchOf = (kind: keyof typeof kinds) => {
      const content = kinds[kind]();
      return { content, jobs: Array.from({ length: WORKER_MIN_GRAINS }, () => ({ input: zlib.deflateSync(content), out: new Uint8Array(4096) })) };
    };
    expect(inflatesFast(batchOf('text').jobs)).toBe(true);
    expect(inflatesFast(batchOf('stored').jobs)).toBe(true);
    for (let i = 0; i < 3; i++) expect(inflatesFast(batchOf('binary').jobs)).toBe(false);
    let starts = 0;
    const inflation = new Inflation(() => {
      starts++;
      return spawnInflateWorker();
    });
    const pool = inflation.enableWorkers();
    const inflatedHereCount = () => inflation.hereCount();
    const inflatingHereSince = (mark: number) => inflation.inflatingHereSince(mark);
    const check = async (kind: keyof typeof kinds) => {
      const { content, jobs } = batchOf(kind);
      const mark = inflatedHereCount();
      expect([...(await inflation.batch(jobs)).produced]).toEqual(Array(WORKER_MIN_GRAINS).fill(4096));
      expect(jobs.every((job) => job.out.every((b, i) => b === content[i]))).toBe(true);
      return inflatingHereSince(mark);
    };
    // Fast batches: here, and counted (a copy then writes on a thread of its own, restore/write.ts).
    for (const kind of ['text', 'stored', 'text'] as const) expect(await check(kind)).toBe(true);
    expect(starts).toBe(0);
    // The first slow batch starts a worker and is inflated here while it starts; once up, slow
    // batches go to it, and the thread is no longer busy inflating.
    expect(await check('binary')).toBe(true);
    expect(starts).toBe(1);
    await pool.startAll();
    expect(await check('binary')).toBe(false);
    const mark = inflatedHereCount();
    await check('text');
    expect(inflatingHereSince(mark)).toBe(true);
    await check('binary');
    expect(inflatingHereSince(mark)).toBe(false); // the latest batch went to a worker
    // keepFast false: every large batch goes to a worker.
    pool.keepFast = false;
    expect(await check('text')).toBe(false);
    inflation.close();
  });

  it('a small batch inflated here is not counted (a grain of an MFT record is not a busy thread)', async () => {
    const before = inflatedHereCount();
    await inflateBatch([{ input: zlib.deflateSync(new Uint8Array(512)), out: new Uint8Array(512) }]);
    expect(inflatedHereCount()).toBe(before);
  });
});
