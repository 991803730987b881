#!/usr/bin/env node
// The catalog tap keeps up with the stream: `grt-catalog -` fed an image on standard input, against
// `cat > /dev/null` piped the same way (issue 19: ≤ 1.1× its time, peak RSS ≤ 150 MiB).
//
//   npm run build && node bench/tap.mjs [--runs N] [--work DIR] [--small]
//
// The images are bench/peers.mjs's (built there once, cached in --work): the raw disk (the flat
// VMDK's extent) and the streamOptimized VMDK of one NTFS volume with a 1 GiB random file, a
// 512 MiB log and 100,000 small files. Each case alternates grt and cat, whole-process, and prints
// median wall times and CPU times (user + sys of the whole pipeline, the feeding cat included on
// both sides), their ratios and grt's peak RSS. On a loaded machine wall time measures the run
// queue: compare the CPU times then. The tapped catalog is checked against the post-pass catalog
// of the same file once per case.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './timing.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    work: { type: 'string', default: join(root, 'bench', '.work') },
    small: { type: 'boolean', default: false },
  },
});
const runs = Number(args.runs);
const work = resolve(args.work);
const cli = join(root, 'dist', 'cli', 'grt-catalog.js');
if (!existsSync(cli)) {
  console.log('bench/tap: run `npm run build` first');
  process.exit(1);
}

/** The peers bench's image folder for this size, built by it when missing (`--only` naming no case builds only). */
function imageDir() {
  const find = () => (existsSync(work) ? readdirSync(work).map((d) => join(work, d)).find((d) => existsSync(join(d, 'stream.vmdk')) && (args.small ? d.includes('-10000') : d.includes('-100000'))) : undefined);
  if (!find()) execFileSync('node', [join(root, 'bench', 'peers.mjs'), '--only', 'none', '--work', work, ...(args.small ? ['--small'] : [])], { stdio: 'inherit' });
  const dir = find();
  if (!dir) {
    console.log('bench/tap: no images (bench/peers.mjs could not build them)');
    process.exit(0);
  }
  return dir;
}


/** Run a shell command under /usr/bin/time: wall seconds, CPU seconds (user + sys) and peak RSS in MiB. */
function timed(command) {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'sh', '-c', command], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`failed: ${command}\n${result.stderr}`);
  const [seconds, user, sys, kib] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { seconds, cpu: user + sys, rssMiB: kib / 1024 };
}

function compare(name, file, out) {
  const grt = [];
  const cat = [];
  for (let i = 0; i < runs; i++) {
    rmSync(out, { force: true });
    grt.push(timed(`cat ${file} | node ${cli} - -o ${out}`));
    cat.push(timed(`cat ${file} | cat > /dev/null`));
  }
  const g = median(grt.map((r) => r.seconds));
  const c = median(cat.map((r) => r.seconds));
  const gCpu = median(grt.map((r) => r.cpu));
  const cCpu = median(cat.map((r) => r.cpu));
  const rss = Math.max(...grt.map((r) => r.rssMiB));
  const ok = g / c <= 1.1 && rss <= 150 ? 'ok' : 'MISSED';
  console.log(
    `${name.padEnd(24)} grt-catalog - ${g.toFixed(2)} s  cat ${c.toFixed(2)} s  ratio ${(g / c).toFixed(2)}  ` +
      `CPU ${gCpu.toFixed(2)} s vs ${cCpu.toFixed(2)} s (${(gCpu / cCpu).toFixed(2)}×)  peak RSS ${rss.toFixed(0)} MiB  ${ok} (targets ≤ 1.1× wall, ≤ 150 MiB)`,
  );
}

/** The tapped catalog must be the post-pass one. */
function check(file, tapped) {
  const post = `${tapped}.post`;
  rmSync(post, { force: true });
  execFileSync('node', [cli, file, '-o', post], { stdio: 'ignore' });
  if (!readFileSync(post).equals(readFileSync(tapped))) throw new Error(`bench/tap: the tapped catalog of ${file} differs from the post-pass one`);
  rmSync(post);
}

const dir = imageDir();
// The flat extent is the raw disk; named .img, the post-pass reads it as one too (not as a VMDK).
const raw = join(dir, 'disk.img');
if (!existsSync(raw)) symlinkSync('flat-flat.vmdk', raw);
const cases = [
  ['raw disk on stdin', raw, join(dir, 'tap-raw.grtc')],
  ['streamOptimized on stdin', join(dir, 'stream.vmdk'), join(dir, 'tap-stream.grtc')],
];
for (const [name, file, out] of cases) {
  if (!existsSync(file)) continue;
  compare(name, file, out);
  check(file, out);
}
