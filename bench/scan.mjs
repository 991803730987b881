#!/usr/bin/env node
// Listing and catalog speed in records per second, with CPU time and peak RSS per phase.
//
//   npm run build && node bench/scan.mjs [IMAGE] [--runs N] [--phase scan|walk|catalog]
//
// IMAGE defaults to the 100,000-file flat VMDK bench/peers.mjs builds (bench/.work/…-100000/flat.vmdk).
// Phases, each in its own process so its peak RSS is its own:
//   scan     NtfsVolume.scan({ all, deleted, layouts }) — what a catalog build reads
//   walk     walk('/') — what `grt-ls -R` lists
//   catalog  buildImageCatalog to a file — the whole `grt-catalog` path (scan + encode + deflate)
// Times exclude node start-up and opening the image; the whole process is bench/peers.mjs's job.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '3' }, phase: { type: 'string' } },
});

function defaultImage() {
  const work = join(root, 'bench', '.work');
  const dir = existsSync(work) ? readdirSync(work).find((d) => d.endsWith('-100000')) : undefined;
  return dir ? join(work, dir, 'flat.vmdk') : undefined;
}

const image = positionals[0] ?? defaultImage();
if (!image || !existsSync(image)) {
  console.log('bench/scan: no image given and none built; run `node bench/peers.mjs` once or pass an image path');
  process.exit(0);
}
if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.log('bench/scan: run `npm run build` first');
  process.exit(1);
}

if (args.phase) {
  // Child: one phase, one JSON line.
  const { openImage } = await import(pathToFileURL(join(root, 'dist', 'index.js')).href);
  const { buildImageCatalog } = await import(pathToFileURL(join(root, 'dist', 'catalog', 'index.js')).href);
  const img = await openImage(image);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let entries = 0;
  if (args.phase === 'catalog') {
    const out = `/tmp/grt-bench-scan-${process.pid}.grtc`;
    const summary = await buildImageCatalog(img, out);
    entries = summary.volumes.reduce((n, v) => n + v.entries, 0);
    rmSync(out, { force: true });
  } else {
    const fs = await img.openFileSystem();
    const listing = args.phase === 'scan' ? fs.scan({ all: true, deleted: true, layouts: true }) : fs.walk('/');
    for await (const _ of listing) entries++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await img.close();
  console.log(JSON.stringify({ entries, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssMiB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`bench/scan: ${image}`);
for (const phase of ['scan', 'walk', 'catalog']) {
  const results = [];
  for (let i = 0; i < Number(args.runs); i++) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), image, '--phase', phase], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`bench/scan ${phase} failed:\n${child.stderr}`);
    results.push(JSON.parse(child.stdout.trim().split('\n').at(-1)));
  }
  const seconds = median(results.map((r) => r.seconds));
  const cpu = median(results.map((r) => r.cpuSeconds));
  const rss = Math.max(...results.map((r) => r.rssMiB));
  const entries = results[0].entries;
  console.log(
    `${phase.padEnd(8)} ${String(entries).padStart(8)} entries  ${seconds.toFixed(2)} s  ${Math.round(entries / seconds).toLocaleString('en')} records/s  cpu ${cpu.toFixed(2)} s  peak RSS ${rss.toFixed(0)} MiB`,
  );
}
