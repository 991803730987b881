#!/usr/bin/env node
// The in-process part of listing a volume, without Node's start-up and module loading: opening the
// image and mounting its only file system, then the recursive listing a plain `grt-ls -R` makes
// (FileSystem.listNames: names and types from directory entries) and the one `grt-ls -R -l`
// or `--json` makes (FileSystem.walk: every inode). Prints one JSON line of milliseconds (wall and
// CPU) and the entry counts. bench/ext-list.mjs and bench/xfs-list.mjs run it.
//
//   npx tsup && node bench/walk-time.mjs IMAGE
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { openImage } = await import(pathToFileURL(join(root, 'dist', 'index.js')).href);

/** Wall and CPU milliseconds of `run`, and what it returned. */
async function timed(run) {
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const value = await run();
  const cpu = process.cpuUsage(cpuStart);
  return { value, wallMs: Math.round(performance.now() - wallStart), cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
}

const image = await openImage(process.argv[2]);
try {
  const open = await timed(() => image.openFileSystem());
  const fs = open.value;
  const names = await timed(async () => {
    let count = 0;
    for await (const batch of fs.listNames('/', { recursive: true })) count += batch.length;
    return count;
  });
  const full = await timed(async () => {
    let count = 0;
    for await (const entry of fs.walk('/')) if (entry) count++;
    return count;
  });
  const row = ({ wallMs, cpuMs, value }) => ({ wallMs, cpuMs, entries: value });
  console.log(JSON.stringify({ mount: { wallMs: open.wallMs, cpuMs: open.cpuMs }, names: row(names), full: row(full) }));
} finally {
  await image.close();
}
