#!/usr/bin/env node
// Side-by-side: listing every file of an ext4 volume, `grt-ls -R` against The Sleuth Kit's
// `fls -r -p` (and `debugfs -R 'ls -p'` over each directory is not comparable: it takes one path).
//
//   npx tsup && node bench/ext-list.mjs [--runs N] [--work DIR] [--files N]
//
// Builds (once, cached in --work, /tmp by default) a raw ext4 volume with `mke2fs -d` from a
// generated tree: N files (default 100,000) in directories of 1,000, a few bytes each, under a
// two-level tree. Then runs both tools alternately as whole processes, output to /dev/null, and
// prints the median and fastest wall times, median CPU time, their ratios and each tool's peak
// RSS (/usr/bin/time), with Node's start-up floors, then the in-process listing times
// (bench/walk-time.mjs). Needs mke2fs, fls and /usr/bin/time; without them it says what is
// missing and exits 0.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    work: { type: 'string', default: '/tmp/grt-ext-list' },
    files: { type: 'string', default: '100000' },
  },
});
const runs = Number(args.runs);
const fileCount = Number(args.files);
const work = resolve(args.work);
/** Files per directory: large enough for htree directories (a 1,000-name directory is ~7 blocks of 4 KiB). */
const FILES_PER_DIR = 1000;
/** Directories per top-level directory: a second level, as real trees have. */
const DIRS_PER_TOP = 10;

const needed = ['mke2fs', 'fls', '/usr/bin/time'];
const missing = needed.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length > 0) {
  console.log(`bench/ext-list: skipped, missing tools: ${missing.join(', ')}`);
  process.exit(0);
}
const grtLs = join(root, 'dist', 'cli', 'grt-ls.js');
if (!existsSync(grtLs)) {
  console.log('bench/ext-list: run `npx tsup` first');
  process.exit(1);
}

/** The volume for this file count, made unless it is already there. */
function buildVolume() {
  const image = join(work, `ext4-${fileCount}.raw`);
  if (existsSync(image)) return image;
  const tree = join(work, `tree-${fileCount}`);
  console.log(`building ${image} (one time)…`);
  rmSync(tree, { recursive: true, force: true });
  for (let made = 0, dir = 0; made < fileCount; dir++) {
    const path = join(tree, `top${Math.floor(dir / DIRS_PER_TOP)}`, `dir${dir}`);
    mkdirSync(path, { recursive: true });
    for (let i = 0; i < FILES_PER_DIR && made < fileCount; i++, made++) writeFileSync(join(path, `file-${made}.txt`), `file ${made}\n`);
  }
  // 4 KiB blocks as on real volumes (mke2fs picks 1 KiB for volumes under 512 MiB).
  const sizeMiB = Math.max(64, Math.ceil((fileCount * 4096 * 1.3) / 2 ** 20));
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-N', String(fileCount + 10_000), '-d', tree, image, `${sizeMiB}M`], { stdio: 'inherit' });
  rmSync(tree, { recursive: true, force: true });
  return image;
}

/**
 * The environment of every run: without NODE_EXTRA_CA_CERTS, which makes each Node process parse
 * that certificate file as it starts (on the development VM, the system bundle: ~45 ms of CPU
 * before any script runs, paid by grt-ls and not by fls). Listing a local image makes no TLS
 * connection, so the variable changes nothing but the start-up time.
 */
const runEnv = { ...process.env };
delete runEnv.NODE_EXTRA_CA_CERTS;

/**
 * One whole-process run: wall seconds, CPU seconds (user + system: steadier than wall on a busy
 * machine, where wall is mostly waiting for a core) and peak RSS in MiB.
 */
function timed(command, commandArgs) {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M %U %S', command, ...commandArgs], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26, env: runEnv });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  const [rssKiB, user, system] = lines[lines.length - 1].split(' ').map(Number);
  return { seconds, cpu: user + system, rssMiB: rssKiB / 1024 };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const image = buildVolume();
// The floors, measured in the same runs: Node starting (`node -e 0`) and grt-ls starting and
// loading its modules (`--help`); what is left of grt-ls -R above them is the listing.
const tools = {
  'grt-ls -R': [process.execPath, [grtLs, image, '-R']],
  'fls -r -p': ['fls', ['-r', '-p', '-f', 'ext4', image]],
  'node -e 0': [process.execPath, ['-e', '0']],
  'grt-ls --help': [process.execPath, [grtLs, '--help']],
};
const results = Object.fromEntries(Object.keys(tools).map((name) => [name, []]));
for (let run = 0; run < runs; run++) {
  for (const [name, [command, commandArgs]] of Object.entries(tools)) results[name].push(timed(command, commandArgs));
}
const summary = Object.fromEntries(Object.entries(results).map(([name, list]) => [name, {
  median: median(list.map((r) => r.seconds)),
  fastest: Math.min(...list.map((r) => r.seconds)),
  cpu: median(list.map((r) => r.cpu)),
  rss: Math.max(...list.map((r) => r.rssMiB)),
}]));
const grt = summary['grt-ls -R'];
const fls = summary['fls -r -p'];
console.log(`list ${fileCount} files of ext4 (${runs} runs each, alternating; wall times on a busy machine mostly measure the run queue, CPU = user + system${process.env.NODE_EXTRA_CA_CERTS ? '; NODE_EXTRA_CA_CERTS unset for the runs' : ''})`);
for (const [label, r] of Object.entries(summary)) {
  console.log(`  ${label.padEnd(13)}  median ${r.median.toFixed(2)} s (fastest ${r.fastest.toFixed(2)} s), CPU ${r.cpu.toFixed(2)} s, peak RSS ${r.rss.toFixed(0)} MiB`);
}
console.log(`  ratio grt/fls: ${(grt.median / fls.median).toFixed(2)} (fastest ${(grt.fastest / fls.fastest).toFixed(2)}, CPU ${(grt.cpu / fls.cpu).toFixed(2)}); goal ≤ 0.5`);
const walk = JSON.parse(execFileSync(process.execPath, [join(root, 'bench', 'walk-time.mjs'), image], { encoding: 'utf8', env: runEnv }));
console.log(`  in process: mount ${walk.mount.wallMs} ms; names listing (grt-ls -R) ${walk.names.wallMs} ms, CPU ${walk.names.cpuMs} ms; full entries (-l, --json) ${walk.full.wallMs} ms, CPU ${walk.full.cpuMs} ms`);
