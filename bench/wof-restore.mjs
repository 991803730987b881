#!/usr/bin/env node
// Restore of a 256 MiB WOF file (LZX and XPRESS16K), its chunks decoded on the inflate workers
// (enabled by hand: Engine.prepareFor enables them only on disks with compressed grains) against
// on the calling thread only.
// Each run is a process of its own under /usr/bin/time; the modes alternate, so both see the same
// load. Prints per file and mode the median CPU time (user+sys), the median wall time and peak RSS,
// and checks the restored bytes once. Builds the disk once (bench/make-wof-restore.sh: root,
// ntfs-3g, libwim-dev, qemu-img); without the tools it says so and exits 0. Needs `npm run build`.
//
//   node bench/wof-restore.mjs [--runs N] [--work DIR]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './timing.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, work: { type: 'string', default: join(root, 'bench', '.work', 'wof-restore') }, child: { type: 'string' } }, allowPositionals: true, strict: false });

/** One restore (a child process): `mode` workers or inline. */
async function child(mode, vmdk, path, to) {
  const dist = (name) => import(pathToFileURL(join(root, 'dist', name)).href);
  const { openImage } = await dist('index.js');
  const { createEngine, restore } = await dist('restore/index.js');
  const engine = createEngine();
  const image = await openImage(vmdk, { inflation: engine.inflation });
  if (mode === 'workers') engine.inflation.enableWorkers();
  const fs = await image.openFileSystem();
  const summary = await restore({ fs, paths: [path], to, engine });
  await image.close();
  await engine.close();
  if (summary.failed) throw new Error(`restore failed: ${JSON.stringify(summary)}`);
}

if (args.child) {
  const [vmdk, path, to] = process.argv.slice(-3);
  await child(args.child, vmdk, path, to);
  process.exit(0);
}

const vmdk = join(args.work, 'wof-restore.vmdk');
if (!existsSync(vmdk)) {
  mkdirSync(args.work, { recursive: true });
  try {
    execFileSync(join(root, 'bench', 'make-wof-restore.sh'), [args.work], { stdio: 'inherit' });
  } catch {
    console.log('wof-restore: could not build the disk (needs root, ntfs-3g, libwim-dev, cc, qemu-img); skipped');
    process.exit(0);
  }
}
const want = readFileSync(join(args.work, 'plain.sha256'), 'utf8').trim();
const runs = Math.max(1, Number(args.runs));
console.log(`restore of a 256 MiB WOF file from a monolithicSparse VMDK, median of ${runs} alternating runs (CPU = user+sys of the process)`);
for (const file of ['/lzx.bin', '/xpress16k.bin']) {
  const results = { workers: [], inline: [] };
  for (let run = 0; run < runs; run++) {
    for (const mode of run % 2 ? ['inline', 'workers'] : ['workers', 'inline']) {
      const to = join(args.work, `out-${mode}`);
      rmSync(to, { recursive: true, force: true });
      const timed = spawnSync('/usr/bin/time', ['-f', '%U %S %e %M', process.execPath, fileURLToPath(import.meta.url), `--child=${mode}`, vmdk, file, to], { encoding: 'utf8' });
      if (timed.status !== 0) throw new Error(timed.stderr);
      const [user, sys, wall, kib] = timed.stderr.trim().split('\n').at(-1).split(' ').map(Number);
      results[mode].push({ cpu: user + sys, wall, rss: kib / 1024 });
      if (run === 0) {
        const got = createHash('sha256').update(readFileSync(join(to, file.slice(1)))).digest('hex');
        if (got !== want) throw new Error(`${file} (${mode}) restored wrong bytes`);
      }
      rmSync(to, { recursive: true, force: true });
    }
  }
  for (const mode of ['workers', 'inline']) {
    const r = results[mode];
    console.log(`${file.padEnd(15)} ${mode.padEnd(8)} CPU ${median(r.map((x) => x.cpu)).toFixed(2)} s  wall ${median(r.map((x) => x.wall)).toFixed(2)} s  RSS ${median(r.map((x) => x.rss)).toFixed(0)} MiB  (wall ${r.map((x) => x.wall.toFixed(2)).join(' ')})`);
  }
}
