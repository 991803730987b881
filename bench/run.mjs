#!/usr/bin/env node
// `npm run bench` (after `npm run build`): disk-read throughput per layout, inflate paths, MFT scan
// and catalog build rates, then grt against icat / 7zz / fls when those tools are installed.
// Options pass through:
//   node bench/run.mjs [--small] [--runs N]
// Benchmarks only print; nothing here fails on a slow number.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const passed = process.argv.slice(2);
const pick = (...names) => passed.filter((arg, i) => names.some((n) => arg === n || arg.startsWith(`${n}=`) || (i > 0 && passed[i - 1] === n && !arg.startsWith('--'))));

function run(script, args) {
  console.log(`\n=== ${script} ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [join(here, script), ...args], { stdio: 'inherit' });
  if (result.status !== 0) console.log(`(${script} exited with ${result.status})`);
}

// Build the images first (peers does, once) so disk-read has something to read.
run('peers.mjs', [...pick('--small'), '--runs', '1', '--only', 'none']);
run('disk-read.mjs', pick('--small'));
run('inflate.mjs', []);
run('scan.mjs', ['--runs', '3']);
run('peers.mjs', pick('--small', '--runs'));
run('tap.mjs', pick('--small', '--runs'));
