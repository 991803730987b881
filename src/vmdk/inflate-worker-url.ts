/**
 * Starting the inflate worker program (inflate-worker.ts), or another (catalog/tap/build-worker.ts),
 * wherever this code runs:
 *
 * - Built (dist/, by tsup): the program is its own entry, dist/vmdk/inflate-worker.js (.cjs for
 *   the CommonJS build; a bundle of its own ending .mjs looks for inflate-worker.mjs). This
 *   module may have been bundled into a shared chunk at dist/'s root, so both dist/vmdk/ and the
 *   folder beside this module are looked in.
 * - From source (vitest, vite-node): Node 20 runs no TypeScript in a worker, and a test runner's
 *   module loader does not reach into worker threads. The program is bundled with esbuild (a
 *   development dependency, there whenever the sources are) into one CommonJS text and run with
 *   `eval`: no file is written.
 *
 * When neither works the worker fails to start: the pool inflates on the calling thread, the tap
 * builds its catalog after the stream.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { workerThreads } from '../util/builtins.js';

/** This module's URL (tsup's shims give the CommonJS build one too). */
function moduleUrl(): string {
  return import.meta.url;
}

/** A worker program: where tsup puts it relative to a module (without extension), and its source relative to this module. */
export interface WorkerProgram {
  built: readonly string[];
  source: string;
}

const INFLATE_WORKER: WorkerProgram = { built: ['./inflate-worker', './vmdk/inflate-worker'], source: './inflate-worker.ts' };

/** The built worker program beside this module (dist), or undefined when running from source. */
export function builtWorkerUrl(base = moduleUrl(), program = INFLATE_WORKER): URL | undefined {
  const extension = /\.[cm]?js$/.exec(base)?.[0] ?? '.js'; // the same module format as this one's
  for (const relative of program.built) {
    const url = new URL(`${relative}${extension}`, base);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

/** A worker program's source bundled by esbuild into one CommonJS text (running from source only). */
function bundledFromSource(base: string, program: WorkerProgram): string {
  const entry = fileURLToPath(new URL(program.source, base));
  const esbuild = createRequire(base)('esbuild') as typeof import('esbuild');
  const built = esbuild.buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent' });
  return built.outputFiles[0]!.text;
}

/** Start a worker running `program` (built, or bundled from source); throws when there is none to run. */
export function startWorkerProgram(program: WorkerProgram, options: WorkerOptions = {}): Worker {
  const base = moduleUrl();
  const built = builtWorkerUrl(base, program);
  const { Worker: WorkerThread } = workerThreads();
  if (built) return new WorkerThread(built, options);
  return new WorkerThread(bundledFromSource(base, program), { ...options, eval: true });
}

/** Start one inflate worker; throws when there is no worker program to run. */
export function startInflateWorker(): Worker {
  return startWorkerProgram(INFLATE_WORKER);
}
