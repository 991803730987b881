#!/usr/bin/env node
// Long fuzz runs without a build step: bundle test/fuzz/run-long.ts (TypeScript) with esbuild into
// node_modules/.cache (so its bare imports still resolve) and run it with the same arguments.
//   npm run fuzz -- --minutes 10
//   node scripts/fuzz.mjs --target ntfs-synthetic --seed 1234
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
