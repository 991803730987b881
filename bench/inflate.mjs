#!/usr/bin/env node
// Inflate throughput on 64 KiB grains, the streamOptimized case: node:zlib inflateSync (main
// thread), node:zlib async inflate with several grains in flight (libuv threadpool), grt's one
// reused zlib context (src/vmdk/inflate.ts), grt's worker batches as a restore sends them
// (src/vmdk/inflate-pool.ts), and fflate's unzlibSync (JavaScript). Prints MB/s of inflated
// output; asserts nothing. Needs `npm run build`.
//
//   node bench/inflate.mjs [--grains N] [--in-flight N]
import * as zlib from 'node:zlib';
import { deflateSync, inflate, inflateSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { unzlibSync } from 'fflate';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { createInflater, Inflation } = await import(pathToFileURL(join(root, 'dist', 'vmdk', 'index.js')).href);

const { values: args } = parseArgs({ options: { grains: { type: 'string', default: '2048' }, 'in-flight': { type: 'string', default: '16' } } });
const GRAIN = 64 * 1024;
const grains = Number(args.grains);
const inFlight = Number(args['in-flight']);

/** Grains like the bench log (repetitive text) and like an office file (text with varied words). */
function makeGrains(kind) {
  const line = 'INFO 2026-11-27T10:00:00Z backup job 4711 copied block; throughput nominal; no errors seen\n';
  const words = ['alpha', 'backup', 'grain', 'sector', 'volume', 'restore', 'index', 'catalog', 'cluster', 'stream'];
  let seed = 7;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) / 65536;
  const out = [];
  for (let i = 0; i < grains; i++) {
    const buffer = Buffer.alloc(GRAIN);
    if (kind === 'mixed') {
      // Half random bytes of a small alphabet, half text: compresses to about half, like documents.
      for (let at = 0; at < GRAIN; at++) buffer[at] = at % 2048 < 1024 ? 97 + Math.floor(random() * 16) : line.charCodeAt(at % line.length);
    } else if (kind === 'log') {
      for (let at = 0; at < GRAIN; at += line.length) buffer.write(line, at);
    } else {
      let at = 0;
      while (at < GRAIN) at += buffer.write(`${words[Math.floor(random() * words.length)]} ${Math.floor(random() * 1e6)} `, at);
    }
    out.push(deflateSync(buffer));
  }
  return out;
}

const inflateAsync = (bytes) =>
  new Promise((resolve, reject) => inflate(bytes, { maxOutputLength: GRAIN, chunkSize: GRAIN }, (e, out) => (e ? reject(e) : resolve(out))));

async function time(name, compressed, run) {
  await run(compressed.slice(0, 64)); // warm up
  const start = performance.now();
  await run(compressed);
  const seconds = (performance.now() - start) / 1000;
  console.log(`  ${name.padEnd(46)} ${((compressed.length * GRAIN) / 1e6 / seconds).toFixed(0).padStart(6)} MB/s`);
}

for (const kind of ['log', 'text', 'mixed']) {
  const compressed = makeGrains(kind);
  const ratio = (compressed.reduce((sum, c) => sum + c.length, 0) / (grains * GRAIN)) * 100;
  console.log(`${kind} grains: ${grains} × 64 KiB, compressed to ${ratio.toFixed(1)}%`);
  await time('node:zlib inflateSync', compressed, async (list) => {
    for (const c of list) inflateSync(c, { maxOutputLength: GRAIN });
  });
  await time(`node:zlib inflate, ${inFlight} in flight`, compressed, async (list) => {
    const running = [];
    for (const c of list) {
      running.push(inflateAsync(c));
      if (running.length >= inFlight) await running.shift();
    }
    await Promise.all(running);
  });
  const reused = createInflater(zlib);
  await time('grt: one reused zlib context', compressed, async (list) => {
    const out = new Uint8Array(GRAIN);
    for (const c of list) reused.inflate(c, out);
  });
  await time(`grt: worker batches of 16 into shared memory`, compressed, async (list) => {
    // Like a restore: 1 MiB chunks, one read ahead, so two batches are out at a time.
    const memory = new Uint8Array(new SharedArrayBuffer(2 * 16 * GRAIN));
    const inflation = new Inflation();
    inflation.enableWorkers();
    const running = [];
    for (let first = 0, n = 0; first < list.length; first += 16, n++) {
      const half = (n % 2) * 16 * GRAIN;
      const jobs = list.slice(first, first + 16).map((input, i) => ({ input, out: memory.subarray(half + i * GRAIN, half + (i + 1) * GRAIN) }));
      running.push(inflation.batch(jobs));
      if (running.length >= 2) await running.shift();
    }
    await Promise.all(running);
  });
  await time('fflate unzlibSync', compressed, async (list) => {
    const out = new Uint8Array(GRAIN);
    for (const c of list) unzlibSync(c, { out });
  });
}
