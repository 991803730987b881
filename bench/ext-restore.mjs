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
// /dev/null (`grt-extract --stdout`, `icat`). Prints median wall and CPU time, their ratios and
// each tool's peak RSS (bench/restore-cases.mjs), and checks that both wrote the file's bytes.
// Needs mke2fs, qemu-img, icat and /usr/bin/time; without them it says what is missing and exits 0.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compareCases, sha256 } from './restore-cases.mjs';

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
compareCases(cases, runs, { goal: 0.6 });
const [grtSum, stdoutSum, icatSum] = await Promise.all([join(out, 'grt', FILE_NAME), join(out, 'grt-stdout.bin'), join(out, 'icat.bin')].map(sha256));
const same = grtSum === icatSum && stdoutSum === icatSum;
console.log(same ? `  both wrote the same bytes (sha256 ${grtSum.slice(0, 16)}…)` : `  MISMATCH: grt ${grtSum}, grt --stdout ${stdoutSum}, icat ${icatSum}`);
rmSync(out, { recursive: true, force: true });
