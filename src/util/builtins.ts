/**
 * Node built-in modules that only some commands use, loaded when first asked for instead of when
 * a command starts. Measured on Node 20 after fs/promises (which every command loads): `zlib`
 * costs ~4 ms of CPU (it loads the stream modules), `worker_threads` ~1.5 ms, `os` ~0.5 ms, paid
 * by `grt-ls --help` and by a listing of a sparse or flat disk that never inflates a grain nor
 * starts a worker (and `crypto`, which names a worker program's bundle when run from source,
 * vmdk/inflate-worker-url.ts).
 *
 * `require` of a built-in is synchronous and cached by Node after the first call, so the
 * synchronous code that needs one (a grain's inflater) can ask for it each time.
 */
import { createRequire } from 'node:module';

/**
 * A require for built-ins only, so any absolute base resolves them: tsup's shims give the CommonJS
 * build an import.meta.url, but a worker program bundled from source into CommonJS text (esbuild,
 * vmdk/inflate-worker-url.ts) has none, and there Node's own path serves.
 */
const requireBuiltin = createRequire((import.meta.url as string | undefined) ?? process.execPath);

export function zlibModule(): typeof import('node:zlib') {
  return requireBuiltin('node:zlib') as typeof import('node:zlib');
}

export function workerThreads(): typeof import('node:worker_threads') {
  return requireBuiltin('node:worker_threads') as typeof import('node:worker_threads');
}

export function osModule(): typeof import('node:os') {
  return requireBuiltin('node:os') as typeof import('node:os');
}

export function cryptoModule(): typeof import('node:crypto') {
  return requireBuiltin('node:crypto') as typeof import('node:crypto');
}
