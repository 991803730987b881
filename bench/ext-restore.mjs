#!/usr/bin/env node
// Side-by-side: restoring one 1 GiB file from ext4 in a monolithicSparse VMDK, `grt-extract`
// against The Sleuth Kit's `icat` on the same VMDK (icat reads it through its own image layer,
// libvmdk: `-i vmdk`), issue 16's goal being grt ≤ 0.6× icat with peak RSS ≤ 150 MiB.
//
//   npx tsup && node bench/ext-restore.mjs [--runs N] [--work DIR] [--mib N]
//
// Builds (once, cached in --work, /tmp by default) an ext4 volume with 4 KiB blocks by `mke2fs -d`
// from a directory holding one random file of N MiB (default 1024), then a monolithicSparse VMDK
// of it (qemu-img convert). Each case runs grt and icat alternately as whole processes: output
// to a file on the same file system (`grt-extract -o` and `--stdout > file`, `icat > file`) and to
// /dev/null (`grt-extract --stdout`, `icat`). Prints median wall and CPU time (user + system, from
// /usr/bin/time: on a busy machine wall time is mostly the run queue, CPU time is not), their
// ratios and each tool's peak RSS, and checks that both wrote the file's bytes.
// Needs mke2fs, qemu-img, icat and /usr/bin/time; without them it says what is missing and exits 0.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    work: { type: 'string', default: '/tmp/grt-ext-restore' },
    mib: { type: 'string', default: '1024' },
  },
});
const runs = Number(args.runs);
const fileMiB = Number(args.mib);
const work = resolve(args.work);
/** Room for the file system's own metadata (inode tables, journal) beside the file. */
const VOLUME_SLACK_MIB = 160;
const FILE_NAME = 'big.bin';

const needed = ['mke2fs', 'qemu-img', 'icat', 'ifind', '/usr/bin/time'];
const missing = needed.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length > 0) {
  console.log(`bench/ext-restore: skipped, missing tools: ${missing.join(', ')}`);
  process.exit(0);
}
const grtExtract = join(root, 'dist', 'cli', 'grt-extract.js');
if (!existsSync(grtExtract)) {
  console.log('bench/ext-restore: run `npx tsup` first');
  process.exit(1);
}

/** The VMDK for this size, made unless it is already there. */
function buildImage() {
  const vmdk = join(work, `ext4-${fileMiB}M.vmdk`);
  if (existsSync(vmdk)) return vmdk;
  console.log(`building ${vmdk} (one time)…`);
  const tree = join(work, 'tree');
  const raw = join(work, 'ext4.raw');
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  // Random data: nothing for any layer to compress or skip.
  execFileSync('sh', ['-c', `head -c ${fileMiB}M /dev/urandom > ${join(tree, FILE_NAME)}`]);
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-d', tree, raw, `${fileMiB + VOLUME_SLACK_MIB}M`], { stdio: 'inherit' });
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=monolithicSparse', raw, vmdk]);
  rmSync(tree, { recursive: true, force: true });
  rmSync(raw);
  return vmdk;
}

/** One whole-process run of a shell command: wall seconds, CPU seconds (user + system), peak RSS in MiB. */
function timed(command) {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M %U %S', 'sh', '-c', command], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`failed: ${command}\n${result.stderr}`);
  const [rssKiB, user, system] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { seconds, cpu: user + system, rssMiB: rssKiB / 1024 };
}

function sha256(path) {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(path).on('data', (chunk) => hash.update(chunk)).on('end', () => resolvePromise(hash.digest('hex'))).on('error', reject);
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const vmdk = buildImage();
const inode = execFileSync('ifind', ['-i', 'vmdk', '-n', FILE_NAME, vmdk], { encoding: 'utf8' }).trim();
const out = join(work, 'out');
const cases = {
  'to a file (-o DIR)': {
    grt: `rm -rf ${out}/grt && ${process.execPath} ${grtExtract} ${vmdk} /${FILE_NAME} -o ${out}/grt`,
    icat: `icat -i vmdk ${vmdk} ${inode} > ${out}/icat.bin`,
  },
  'to a file (--stdout > FILE)': {
    grt: `${process.execPath} ${grtExtract} ${vmdk} /${FILE_NAME} --stdout > ${out}/grt-stdout.bin`,
    icat: `icat -i vmdk ${vmdk} ${inode} > ${out}/icat.bin`,
  },
  'to /dev/null': {
    grt: `${process.execPath} ${grtExtract} ${vmdk} /${FILE_NAME} --stdout > /dev/null`,
    icat: `icat -i vmdk ${vmdk} ${inode} > /dev/null`,
  },
};
mkdirSync(out, { recursive: true });
console.log(`restore one ${fileMiB} MiB file from ext4 (4 KiB blocks) in a monolithicSparse VMDK, ${runs} runs each, alternating`);
for (const [label, tools] of Object.entries(cases)) {
  const results = { grt: [], icat: [] };
  for (let run = 0; run < runs; run++) {
    for (const [name, command] of Object.entries(tools)) results[name].push(timed(command));
  }
  const summary = Object.fromEntries(Object.entries(results).map(([name, list]) => [name, {
    wall: median(list.map((r) => r.seconds)),
    cpu: median(list.map((r) => r.cpu)),
    rss: Math.max(...list.map((r) => r.rssMiB)),
  }]));
  console.log(`  ${label}`);
  for (const [name, r] of Object.entries(summary)) console.log(`    ${name.padEnd(5)} median ${r.wall.toFixed(2)} s, CPU ${r.cpu.toFixed(2)} s, peak RSS ${r.rss.toFixed(0)} MiB`);
  console.log(`    ratio grt/icat: wall ${(summary.grt.wall / summary.icat.wall).toFixed(2)}, CPU ${(summary.grt.cpu / summary.icat.cpu).toFixed(2)}; goal ≤ 0.6, RSS ≤ 150 MiB`);
}
const [grtSum, icatSum] = await Promise.all([sha256(join(out, 'grt', FILE_NAME)), sha256(join(out, 'icat.bin'))]);
console.log(grtSum === icatSum ? `  both wrote the same bytes (sha256 ${grtSum.slice(0, 16)}…)` : `  MISMATCH: grt ${grtSum}, icat ${icatSum}`);
rmSync(out, { recursive: true, force: true });
