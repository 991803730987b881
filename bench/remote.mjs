#!/usr/bin/env node
// Requests, bytes and time of restores over HTTP against the same restore from the local file,
// side by side in one run. Issue 19's targets: a 4 KiB file from a streamOptimized VMDK through a
// catalog ≤ 6 requests and ≤ 2 MiB, without a catalog ≤ 30 requests; a 1 GiB file ≤ 1.3× the time
// from the local file, with bytes transferred ≤ 1.05× its stored size + 2 MiB.
//
//   npm run build && node bench/remote.mjs [--image FILE --file PATH] [--runs N] [--big-mib N | --no-big]
//
// Serves each image from a range server on 127.0.0.1 (node:http, keep-alive, counting requests and
// body bytes). Small case: test-images/ntfs/ntfs-mbr-stream.vmdk (streamOptimized, NTFS) and its
// 5000-byte /links/original.txt. Large case: an ext4 disk made once with `mke2fs -d` (no root) holding
// one file of random bytes, as a monolithicSparse VMDK (qemu-img), cached in bench/.work/remote/;
// skipped with a message when mke2fs or qemu-img is missing. Output goes to an in-process sink (no
// disk writes in the timing). Only prints; nothing here fails on a number.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    image: { type: 'string', default: join(root, 'test-images/ntfs/ntfs-mbr-stream.vmdk') },
    file: { type: 'string', default: '/links/original.txt' },
    runs: { type: 'string', default: '3' },
    'big-mib': { type: 'string', default: '1024' },
    'no-big': { type: 'boolean', default: false },
  },
});
const { main: extract } = await import(join(root, 'dist/cli/grt-extract.js'));
const { main: catalog } = await import(join(root, 'dist/cli/grt-catalog.js'));

/** The range server (bench/remote-server.mjs) in its own process, serving `paths`. */
async function serve(paths) {
  const child = spawn(process.execPath, [join(root, 'bench/remote-server.mjs'), ...paths], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((done) => child.stdout.once('data', (line) => done(Number(String(line).trim()))));
  const origin = `http://127.0.0.1:${port}`;
  const stats = async () => JSON.parse(await new Promise((done) => http.get(`${origin}/__stats`, (res) => { let text = ''; res.on('data', (c) => (text += c)); res.on('end', () => done(text)); })));
  return { url: (path) => `${origin}/${encodeURIComponent(basename(path))}`, stats, close: () => child.stdin.end() };
}

const sink = () => ({ write: () => true });
const quiet = { stdout: sink(), stderr: { write: (c) => (process.stderr.write(String(c)), true) } };

async function timed(argv) {
  const start = process.hrtime.bigint();
  const code = await extract(argv, quiet);
  if (code !== 0) throw new Error(`grt-extract ${argv.join(' ')} exited ${code}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Median and fastest of `times` (ms). */
const summary = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { median: sorted[sorted.length >> 1], fastest: sorted[0] };
};

/** Run each case `runs` times, alternating between them; the requests and bytes of one run. */
async function compare(server, cases, runs) {
  const results = cases.map(() => ({ times: [], one: undefined }));
  for (let run = 0; run < runs; run++) {
    for (const [i, [, argv]] of cases.entries()) {
      const before = await server.stats();
      results[i].times.push(await timed(argv));
      const after = await server.stats();
      results[i].one = { requests: after.requests - before.requests, bytes: after.bytes - before.bytes };
    }
  }
  return results.map((r, i) => ({ label: cases[i][0], ...summary(r.times), ...r.one }));
}

/** An ext4 disk with one file of `mib` MiB of random bytes, as a monolithicSparse VMDK; cached. */
function bigImage(mib) {
  const dir = join(root, 'bench/.work/remote');
  const vmdk = join(dir, `big-${mib}.vmdk`);
  if (existsSync(vmdk)) return vmdk;
  const missing = ['mke2fs', 'qemu-img', 'openssl'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) return { missing };
  mkdirSync(join(dir, 'tree'), { recursive: true });
  const sh = (command) => execFileSync('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
  sh(`head -c ${mib}M /dev/zero | openssl enc -aes-128-ctr -K 67727420626967206669656c65212121 -iv 0 > '${dir}/tree/big.bin'`);
  sh(`mke2fs -q -F -t ext4 -d '${dir}/tree' '${dir}/big.raw' ${mib + 64}M`);
  sh(`qemu-img convert -f raw -O vmdk '${dir}/big.raw' '${vmdk}' && rm -f '${dir}/big.raw' '${dir}/tree/big.bin'`);
  return vmdk;
}

const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const work = mkdtempSync(join(tmpdir(), 'grt-bench-remote-'));
try {
  const image = resolve(args.image);
  const catalogFile = join(work, 'image.grtc');
  if ((await catalog([image, '-o', catalogFile], quiet)) !== 0) throw new Error('grt-catalog failed');
  const big = args['no-big'] ? { missing: ['(--no-big)'] } : bigImage(Number(args['big-mib']));
  const server = await serve([image, ...(typeof big === 'string' ? [big] : [])]);
  const url = server.url(image);
  const cases = [
    ['local, no catalog', [image, args.file, '--stdout']],
    ['HTTP, no catalog', [url, args.file, '--stdout']],
    ['local, catalog', ['--catalog', catalogFile, image, args.file, '--stdout']],
    ['HTTP, catalog', ['--catalog', catalogFile, url, args.file, '--stdout']],
  ];
  console.log(`${basename(image)} ${args.file}, ${args.runs} runs each (median ms; requests and bytes of one run)`);
  for (const r of await compare(server, cases, Number(args.runs))) {
    const remote = r.label.startsWith('HTTP') ? `  ${r.requests} requests, ${(r.bytes / 1024).toFixed(1)} KiB` : '';
    console.log(`  ${r.label.padEnd(20)} ${r.median.toFixed(1).padStart(8)} ms${remote}`);
  }
  if (typeof big !== 'string') {
    console.log(`large file: skipped (missing ${big.missing.join(', ')})`);
  } else {
    const stored = Number(args['big-mib']) * 1024 * 1024;
    const bigCases = [
      ['local', [big, '/big.bin', '--stdout']],
      ['HTTP', [server.url(big), '/big.bin', '--stdout']],
    ];
    const [local, remote] = await compare(server, bigCases, Number(args.runs));
    console.log(`${basename(big)} /big.bin (${mib(stored)} stored), ${args.runs} runs each alternating (median / fastest ms)`);
    for (const r of [local, remote]) {
      const extra = r.label === 'HTTP' ? `  ${r.requests} requests, ${mib(r.bytes)} (${(r.bytes / stored).toFixed(3)}× stored)` : '';
      console.log(`  ${r.label.padEnd(8)} ${r.median.toFixed(0).padStart(7)} / ${r.fastest.toFixed(0).padStart(7)} ms  ${(stored / 1024 / 1024 / (r.median / 1000)).toFixed(0).padStart(5)} MiB/s${extra}`);
    }
    console.log(`  HTTP / local: ${(remote.median / local.median).toFixed(2)}× median, ${(remote.fastest / local.fastest).toFixed(2)}× fastest (target ≤ 1.3×); bytes ${remote.bytes <= stored * 1.05 + 2 * 1024 * 1024 ? 'within' : 'OVER'} 1.05× stored + 2 MiB`);
  }
  server.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}
