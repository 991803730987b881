#!/usr/bin/env node
// Long fuzz runs without a build step: bundle test/fuzz/run-long.ts (TypeScript) with esbuild into
// node_modules/.cache (so its bare imports still resolve) and run it with the same arguments.
//   npm run fuzz -- --minutes 10
//   node scripts/fuzz.mjs --target ntfs-synthetic --seed 1234
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `usage: node scripts/fuzz.mjs [--minutes N] [--target NAME]... [--seed S] [--workers N] [--timeout MS] [--list]
  --minutes N      run time (default 1)
  --target NAME    only this target (repeatable); --list prints the targets
  --seed S         run exactly one case (with --target) and print its verdict
  --workers N      worker threads (default 2)
  --timeout MS     time allowed per case (default 5000)
failures are saved under test-images/regressions/UNTRIAGED-*`;

// The options are checked here, before the bundle is built, so a mistake is one line, not a stack trace.
let options;
try {
  options = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    allowPositionals: false,
    options: {
      minutes: { type: 'string' }, target: { type: 'string', multiple: true }, seed: { type: 'string' },
      workers: { type: 'string' }, timeout: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  }).values;
  for (const name of ['minutes', 'seed', 'workers', 'timeout']) {
    if (options[name] !== undefined && !/^\d+(\.\d+)?$/.test(options[name])) throw new Error(`--${name} takes a number, not ${JSON.stringify(options[name])}`);
  }
} catch (error) {
  process.stderr.write(`fuzz: ${error.message.split('\n')[0]} (see --help)\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'node_modules/.cache/grt-fuzz');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, 'run-long.mjs');
await build({
  entryPoints: [join(root, 'test/fuzz/run-long.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  logLevel: 'error',
  external: ['esbuild'],
  banner: { js: "import { createRequire as __grtCreateRequire } from 'node:module'; const require = __grtCreateRequire(import.meta.url);" },
});
process.argv.push('--root', root);
await import(pathToFileURL(outfile).href);
