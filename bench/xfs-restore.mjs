#!/usr/bin/env node
// Side-by-side: restoring one 1 GiB file from XFS, `grt-extract` against `dd` of the file's
// extents as `xfs_db bmap` lists them — the limit, the bytes copied with the map known in
// advance; issue 17's goal being grt ≤ 0.6× that with peak RSS ≤ 150 MiB. No Sleuth Kit before
// 4.12 reads XFS.
//
//   npx tsup && node bench/xfs-restore.mjs [--runs N] [--work DIR] [--mib N]
//
// Builds (once, cached in --work, /tmp by default) a raw XFS volume by `mkfs.xfs -p` from a
// protofile (no mount needed) holding one random file of N MiB (default 1024). dd copies each
// extent (iflag=skip_bytes,count_bytes, oflag=seek_bytes) twice over: with bs=4k, the file
// system's block (`dd-4k`), and with bs=64k (`dd-64k`), the fastest size on the development VM
// (1 MiB writes into new page-cache folios run several times slower there, write-thread.ts). Each
// case runs grt and both dd alternately as whole processes: to a new file (`-o`, `--stdout > FILE`) and
// to /dev/null, each side removing its last output first (in the timed command, alike) after a
// `sync` (untimed); medians, ratios and peak RSS as bench/restore-cases.mjs prints them, then both
// outputs checked against the file's sha256. Needs mkfs.xfs, xfs_db, dd and /usr/bin/time;
// without them it says what is missing and exits 0.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compareCases, sha256 } from './restore-cases.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    work: { type: 'string', default: '/tmp/grt-xfs-restore' },
    mib: { type: 'string', default: '1024' },
  },
});
const runs = Number(args.runs);
const fileMiB = Number(args.mib);
const work = resolve(args.work);
/**
 * Room beside the file in each of the volume's two allocation groups: an AG larger than the file
 * (mkfs.xfs 6.1 -p wrote a file larger than an AG over the next AG's superblock).
 */
const AG_SLACK_MIB = 256;
/** dd's block sizes: the file system's block, and the fastest on the development VM. */
const DD_BLOCK_BYTES = { 'dd-4k': 4096, 'dd-64k': 64 * 1024 };
const FILE_NAME = 'big.bin';

const missing = ['mkfs.xfs', 'xfs_db', 'dd', '/usr/bin/time'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length > 0) {
  console.log(`bench/xfs-restore: skipped, missing tools: ${missing.join(', ')}`);
  process.exit(0);
}
const grtExtract = join(root, 'dist', 'cli', 'grt-extract.js');
if (!existsSync(grtExtract)) {
  console.log('bench/xfs-restore: run `npx tsup` first');
  process.exit(1);
}

const sh = (command) => execFileSync('sh', ['-c', command], { encoding: 'utf8' });

/** The volume, the file's extents as { fileOffset, volumeOffset, length } in bytes, and its sha256. */
function build() {
  const done = join(work, `done-${fileMiB}.json`);
  if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8'));
  console.log(`building an XFS volume with a ${fileMiB} MiB file in ${work} (one time)…`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const source = join(work, FILE_NAME);
  const image = join(work, `xfs-${fileMiB}M.img`);
  sh(`head -c ${fileMiB}M /dev/urandom > ${source}`);
  writeFileSync(join(work, 'proto'), ['/dev/null', '0 0', 'd--755 0 0', ` ${FILE_NAME} ---644 0 0 ${source}`, '$', ''].join('\n'));
  sh(`truncate -s ${2 * (fileMiB + AG_SLACK_MIB)}M ${image} && mkfs.xfs -q -f -d agcount=2 -p ${work}/proto ${image}`);
  const inode = sh(`xfs_db -r -c 'ls /' ${image}`).split('\n').find((l) => new RegExp(` ${FILE_NAME.replace('.', '\\.')}( \\(good\\))?$`).test(l.trim())).trim().split(/\s+/)[1];
  const blockSize = Number(sh(`xfs_db -r -c 'sb 0' -c 'p blocksize' ${image}`).split('=')[1]);
  const extents = [];
  // bmap lines: "data offset 0 startblock 1234 (0/1234) count 2097151 flag 0"
  for (const line of sh(`xfs_db -r -c 'inode ${inode}' -c 'bmap' ${image}`).split('\n').filter(Boolean)) {
    const [, offset, startBlock, count] = line.match(/offset (\d+) startblock (\d+) .* count (\d+)/);
    const daddr = Number(sh(`xfs_db -r -c 'convert fsb ${startBlock} daddr' ${image}`).split(' ')[0]);
    extents.push({ fileOffset: Number(offset) * blockSize, volumeOffset: daddr * 512, length: Number(count) * blockSize });
  }
  const sum = createHash('sha256').update(readFileSync(source)).digest('hex');
  rmSync(source);
  const result = { image, extents, sha256: sum };
  writeFileSync(done, JSON.stringify(result));
  return result;
}

const { image, extents, sha256: expected } = build();
/** dd of every extent to `target` (each at its file offset; to a device, in order). */
const ddExtents = (target, blockBytes) =>
  (target === '/dev/null' ? '' : `rm -f ${target} && `) +
  extents
    .map((e) => `dd if=${image} of=${target} bs=${blockBytes} iflag=skip_bytes,count_bytes oflag=seek_bytes skip=${e.volumeOffset} seek=${e.fileOffset} count=${e.length} conv=notrunc status=none`)
    .join(' && ');
/** Both dd commands for one target. */
const dd = (target) => Object.fromEntries(Object.entries(DD_BLOCK_BYTES).map(([name, bytes]) => [name, ddExtents(target, bytes)]));
const out = join(work, 'out');
const cases = {
  'to a file (-o DIR)': {
    grt: `rm -rf ${out}/grt && ${process.execPath} ${grtExtract} ${image} /${FILE_NAME} -o ${out}/grt`,
    ...dd(`${out}/dd.bin`),
  },
  'to a file (--stdout > FILE)': {
    grt: `rm -f ${out}/grt-stdout.bin && ${process.execPath} ${grtExtract} ${image} /${FILE_NAME} --stdout > ${out}/grt-stdout.bin`,
    ...dd(`${out}/dd.bin`),
  },
  'to /dev/null': {
    grt: `${process.execPath} ${grtExtract} ${image} /${FILE_NAME} --stdout > /dev/null`,
    ...dd('/dev/null'),
  },
};
mkdirSync(out, { recursive: true });
console.log(`restore one ${fileMiB} MiB file (${extents.length} extents) from a raw XFS volume, ${runs} runs each, alternating`);
// Each command starts with the page cache written back (`sync`, untimed): otherwise a run pays
// for the dirty pages of the 1 GiB files the runs before it wrote and removed, which moved one
// side's CPU time by 0.5–1 s from run to run (stdout's looked 1.4× -o's in one run, the same
// path by strace).
compareCases(cases, runs, { goal: 0.6, before: () => execFileSync('sync') });
const sums = await Promise.all([join(out, 'grt', FILE_NAME), join(out, 'grt-stdout.bin'), join(out, 'dd.bin')].map(sha256));
console.log(sums.every((s) => s === expected) ? `  grt and dd wrote the file's bytes (sha256 ${expected.slice(0, 16)}…)` : `  MISMATCH: grt, grt --stdout, dd: ${sums.join(', ')}; expected ${expected}`);
rmSync(out, { recursive: true, force: true });
