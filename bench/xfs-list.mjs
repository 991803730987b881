#!/usr/bin/env node
// grt on XFS against xfsprogs: list 100,000 files (bench/xfs-restore.mjs restores a 1 GiB one).
//
//   npm run build && node bench/xfs-list.mjs [--runs N] [--work DIR] [--small]
//
// Builds (once, cached in --work) a raw XFS volume with mkfs.xfs -p (no mount needed): 100
// directories of 1,000 small files, in 2 GiB AGs. No Sleuth Kit before 4.12 reads XFS, so the
// peer is xfsprogs itself:
//   list     grt-ls -R / (names and ftypes from the directory blocks, directories' inodes only)  vs
//            xfs_db -r -c 'ls DIR' for every directory (names and inode numbers from the
//            directory blocks only); then the in-process times (bench/walk-time.mjs) of that
//            listing and of the full one (-l, --json: every inode), and the floors of the grt side
//            (grt-ls --help against node -e 0)
// Each case runs both alternately and prints the median wall and CPU times, their ratios and grt's
// peak RSS (/usr/bin/time). Without xfsprogs it says what is missing and exits 0.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    work: { type: 'string', default: join(root, 'bench', '.work', 'xfs') },
    small: { type: 'boolean', default: false }, // a smoke run: 10,000 files
  },
});
const runs = Number(args.runs);
const MiB = 1024 * 1024;
const sizes = args.small ? { dirs: 10, perDir: 1000, volume: 512 * MiB } : { dirs: 100, perDir: 1000, volume: 4096 * MiB };
const work = resolve(args.work, args.small ? 'small' : 'full');

const missing = ['mkfs.xfs', 'xfs_db', '/usr/bin/time'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length > 0) {
  console.log(`bench/xfs-list: skipped, missing tools: ${missing.join(', ')}`);
  process.exit(0);
}
if (!existsSync(join(root, 'dist', 'cli', 'grt-ls.js'))) {
  console.log('bench/xfs-list: run `npm run build` first');
  process.exit(1);
}

/**
 * The environment of every run: without NODE_EXTRA_CA_CERTS, which makes each Node process parse
 * that certificate file as it starts (~45 ms of CPU on the development VM, paid by grt and not by
 * xfs_db); grt reads a local image without TLS, so it changes nothing but the start-up time.
 */
const runEnv = { ...process.env };
delete runEnv.NODE_EXTRA_CA_CERTS;
const sh = (command) => execFileSync('sh', ['-c', command], { encoding: 'utf8', maxBuffer: 1 << 30, env: runEnv });
const image = join(work, 'xfs.img');

/** The volume (made once) and the directories xfs_db lists. */
function build() {
  if (existsSync(join(work, 'done.json'))) return JSON.parse(readFileSync(join(work, 'done.json'), 'utf8'));
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'src'), { recursive: true });
  writeFileSync(join(work, 'src', 'small'), 'a small file\n');
  const proto = ['/dev/null', '0 0', 'd--755 0 0'];
  for (let d = 0; d < sizes.dirs; d++) {
    proto.push(` d${String(d).padStart(3, '0')} d--755 0 0`);
    for (let f = 0; f < sizes.perDir; f++) proto.push(`  file-${String(f).padStart(5, '0')}.txt ---644 1000 1000 ${work}/src/small`);
    proto.push('  $');
  }
  proto.push('$');
  writeFileSync(join(work, 'proto'), proto.join('\n') + '\n');
  sh(`truncate -s ${sizes.volume} ${image} && mkfs.xfs -q -f -d agcount=2 -p ${work}/proto ${image}`);
  rmSync(join(work, 'src'), { recursive: true });
  const dirs = ['/', ...Array.from({ length: sizes.dirs }, (_, d) => `/d${String(d).padStart(3, '0')}`)];
  const done = { dirs };
  writeFileSync(join(work, 'done.json'), JSON.stringify(done));
  return done;
}

function timed(command) {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', 'sh', '-c', command], { encoding: 'utf8', maxBuffer: 1 << 30, env: runEnv });
  if (result.status !== 0) throw new Error(`failed: ${command}\n${result.stderr}`);
  const [seconds, user, system, kib] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { seconds, cpu: user + system, rssMiB: kib / 1024 };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function compare(name, grtCommand, peerName, peerCommand) {
  const grt = [];
  const peer = [];
  for (let i = 0; i < runs; i++) {
    grt.push(timed(grtCommand));
    peer.push(timed(peerCommand));
  }
  const g = median(grt.map((r) => r.seconds));
  const p = median(peer.map((r) => r.seconds));
  const rss = Math.max(...grt.map((r) => r.rssMiB));
  // CPU seconds (user + system) as well: on a shared machine wall time mostly measures the queue.
  const gc = median(grt.map((r) => r.cpu));
  const pc = median(peer.map((r) => r.cpu));
  console.log(
    `${name.padEnd(24)} grt ${g.toFixed(2)} s  ${peerName} ${p.toFixed(2)} s  ratio ${(g / p).toFixed(2)}` +
      `  (CPU ${gc.toFixed(2)} / ${pc.toFixed(2)} s = ${(gc / Math.max(pc, 0.01)).toFixed(2)})  grt peak RSS ${rss.toFixed(0)} MiB`,
  );
}

const { dirs } = build();
const files = sizes.dirs * sizes.perDir;
const listed = sh(`node ${root}/dist/cli/grt-ls.js ${image} -R / | wc -l`).trim();
console.log(`xfs volume: ${files} small files in ${sizes.dirs} directories; grt-ls -R lists ${listed} lines`);
compare(`list ${files} files`, `node ${root}/dist/cli/grt-ls.js ${image} -R / > /dev/null`, 'xfs_db ls', `xfs_db -r ${dirs.map((d) => `-c 'ls ${d}'`).join(' ')} ${image} > /dev/null`);
// The floors of the grt side, measured the same way: Node starting, and grt-ls starting and loading its modules.
compare('start-up floors', `node ${root}/dist/cli/grt-ls.js --help > /dev/null`, 'node -e 0', 'node -e 0');
const walk = JSON.parse(sh(`node ${root}/bench/walk-time.mjs ${image}`));
console.log(`  in process: mount ${walk.mount.wallMs} ms; names listing (grt-ls -R) ${walk.names.wallMs} ms, CPU ${walk.names.cpuMs} ms; full entries (-l, --json) ${walk.full.wallMs} ms, CPU ${walk.full.cpuMs} ms`);
