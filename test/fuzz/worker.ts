/**
 * The fuzz worker: runs one case at a time inside a worker thread, so the harness can kill it on a
 * hang and V8 can stop it at a heap limit. A case is (target, seed): the input is made and damaged
 * from the seed alone, so a failure reproduces from those two values. The damage log is posted
 * before the entry point runs, so it survives a hang or an out-of-memory kill.
 */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parentPort, workerData } from 'node:worker_threads';
import { Rng, type Files } from './mutate.js';
import { mutateFiles } from './mutate.js';
import { targetNamed, type FuzzContext, type FuzzInput } from './targets.js';
import type { CaseSpec, WorkerReply } from './protocol.js';

const { root, scratch } = workerData as { root: string; scratch: string };

/** Sampling period of the ArrayBuffer meter (heap limits do not cover ArrayBuffers). */
const SAMPLE_MS = 5;

async function prepare(spec: CaseSpec, ctx: FuzzContext): Promise<{ input: FuzzInput; log: string[]; rng: Rng }> {
  const target = targetNamed(spec.target);
  const rng = new Rng(spec.seed);
  if (spec.fixture) {
    const files: Files = new Map();
    // Fixture files may be gzipped (name.gz holds the input file `name`).
    for (const name of await readdir(spec.fixture.dir)) {
      if (name === 'REPRO.txt') continue;
      const bytes = new Uint8Array(await readFile(join(spec.fixture.dir, name)));
      if (name.endsWith('.gz')) files.set(name.slice(0, -3), new Uint8Array(gunzipSync(bytes)));
      else files.set(name, bytes);
    }
    return { input: { files, main: spec.fixture.main }, log: [`fixture ${spec.fixture.dir}`], rng };
  }
  const input = await target.generate(rng, ctx);
  if (spec.mutate === false) return { input, log: ['(no damage)'], rng };
  const damaged = target.mutate ? target.mutate(input, rng) : mutateFiles(input.files, rng, input.hints);
  return { input: { ...input, files: damaged.files }, log: damaged.log, rng };
}

async function runCase(id: number, spec: CaseSpec): Promise<WorkerReply> {
  const ctx: FuzzContext = { root, dir: join(scratch, `case-${id}`) };
  await rm(ctx.dir, { recursive: true, force: true });
  await mkdir(join(ctx.dir, 'in'), { recursive: true });
  let peak = process.memoryUsage().arrayBuffers;
  const meter = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, SAMPLE_MS);
  const started = performance.now();
  try {
    const { input, log, rng } = await prepare(spec, ctx);
    if (spec.materialize) return { id, type: 'files', files: [...input.files], main: input.main, log };
    parentPort!.postMessage({ id, type: 'started', log } satisfies WorkerReply);
    for (const [name, bytes] of input.files) await writeFile(join(ctx.dir, 'in', name), bytes);
    const base = process.memoryUsage().arrayBuffers;
    peak = base;
    try {
      const summary = await targetNamed(spec.target).run(input, ctx, rng);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      return { id, type: 'done', outcome: { kind: 'ok', detail: summary }, arrayBufferPeak: peak - base, ms: performance.now() - started };
    } catch (error) {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      const e = error as { name?: string; code?: string; message?: string; stack?: string };
      const outcome =
        e?.name === 'GrtError'
          ? { kind: 'grt' as const, code: e.code, detail: e.message ?? '' }
          : { kind: 'crash' as const, detail: `${e?.name ?? typeof error}: ${e?.message ?? String(error)}`, stack: e?.stack };
      return { id, type: 'done', outcome, arrayBufferPeak: peak - base, ms: performance.now() - started };
    }
  } finally {
    clearInterval(meter);
    await rm(ctx.dir, { recursive: true, force: true });
  }
}

parentPort!.on('message', (message: { id: number; spec: CaseSpec }) => {
  runCase(message.id, message.spec).then(
    (reply) => parentPort!.postMessage(reply),
    (error: Error) => parentPort!.postMessage({ id: message.id, type: 'done', outcome: { kind: 'crash', detail: `harness: ${error.message}`, stack: error.stack }, arrayBufferPeak: 0, ms: 0 } satisfies WorkerReply),
  );
});
