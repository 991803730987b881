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
 *   `eval`. Bundling costs ~0.5 s, so the text is kept in node_modules/.cache/grt-workers (where
 *   esbuild is; a file per program and checkout) with the size and mtime of every source it was
 *   made from, and used again while they all still match (cachedBundle).
 *
 * When neither works the worker fails to start: the pool inflates on the calling thread, the tap
 * builds its catalog after the stream.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { cryptoModule, workerThreads } from '../util/builtins.js';

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

/**
 * A source whose mtime is this close to the bundle's start may have changed during it: file
 * system clocks lag the wall clock by a tick, and some file systems keep 2-second mtimes (FAT).
 */
const MTIME_SLACK_MS = 2000;

/** A bundle as kept on disk: the esbuild that made it, and each source's size and mtime when it was made. */
interface KeptBundle {
  esbuild: string;
  inputs: [path: string, size: number, mtimeMs: number][];
  text: string;
}

/** A program's text and the source files it was made from (absolute paths). */
export interface Bundle {
  text: string;
  inputs: string[];
}

/** The kept text when `file` holds one made by esbuild `version` from sources that are all unchanged since. */
function keptText(file: string, version: string): string | undefined {
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as KeptBundle;
    if (kept.esbuild !== version || typeof kept.text !== 'string' || !Array.isArray(kept.inputs) || kept.inputs.length === 0) return undefined;
    for (const [path, size, mtimeMs] of kept.inputs) {
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat?.size !== size || stat.mtimeMs !== mtimeMs) return undefined;
    }
    return kept.text;
  } catch {
    return undefined; // none yet, or unreadable: bundle again
  }
}

/**
 * The text `bundle` makes, kept in `file` for the next worker of this or any later process while
 * every source it was made from keeps its size and mtime. The file is written whole under another
 * name and renamed, so a reader never sees half of one; a source that may have changed while it
 * was being bundled (an mtime near the start) is not kept. Where `file` cannot be written, each
 * start bundles.
 */
export function cachedBundle(file: string, version: string, bundle: () => Bundle): string {
  const kept = keptText(file, version);
  if (kept !== undefined) return kept;
  const started = Date.now();
  const { text, inputs } = bundle();
  try {
    const stats = inputs.map((path): KeptBundle['inputs'][number] => {
      const stat = statSync(path);
      return [path, stat.size, stat.mtimeMs];
    });
    if (stats.every(([, , mtimeMs]) => mtimeMs < started - MTIME_SLACK_MS)) {
      mkdirSync(dirname(file), { recursive: true });
      const partial = `${file}.${process.pid}.${workerThreads().threadId}.tmp`; // no other writer's name (workers may bundle too)
      writeFileSync(partial, JSON.stringify({ esbuild: version, inputs: stats, text } satisfies KeptBundle));
      renameSync(partial, file);
    }
  } catch {
    // A read-only or missing node_modules: nothing kept, the next start bundles again.
  }
  return text;
}

/**
 * Where a program's bundle is kept: node_modules/.cache/grt-workers of the node_modules holding
 * esbuild (the tools' own cache folder; code there is as trusted as esbuild, which runs anyway),
 * one file per program source path, so checkouts sharing a node_modules keep their own.
 */
function bundleCacheFile(esbuildMain: string, entry: string): string {
  const parts = esbuildMain.split(sep);
  const at = parts.lastIndexOf('node_modules');
  const nodeModules = at < 0 ? join(dirname(esbuildMain), '..', '..') : parts.slice(0, at + 1).join(sep);
  return join(nodeModules, '.cache', 'grt-workers', `${cryptoModule().createHash('sha256').update(entry).digest('hex').slice(0, 24)}.json`);
}

/** A worker program's source bundled by esbuild into one CommonJS text (running from source only), kept while its sources are unchanged. */
function bundledFromSource(base: string, program: WorkerProgram): string {
  const entry = fileURLToPath(new URL(program.source, base));
  const require = createRequire(base);
  const esbuild = require('esbuild') as typeof import('esbuild');
  return cachedBundle(bundleCacheFile(require.resolve('esbuild'), entry), esbuild.version, () => {
    const built = esbuild.buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, metafile: true, logLevel: 'silent', absWorkingDir: dirname(entry) });
    return { text: built.outputFiles[0]!.text, inputs: Object.keys(built.metafile.inputs).map((input) => resolve(dirname(entry), input)) };
  });
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
