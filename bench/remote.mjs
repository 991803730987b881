#!/usr/bin/env node
// Requests, bytes and time of restores over HTTP against the same restore from the local file,
// side by side in one run (issue 19's targets: a 4 KiB file from a streamOptimized VMDK through a
// catalog ≤ 6 requests and ≤ 2 MiB; without a catalog ≤ 30 requests).
//
//   npm run build && node bench/remote.mjs [--image FILE --file PATH] [--runs N]
//
// Serves the image from a range server on 127.0.0.1 (node:http, keep-alive, counting requests and
// body bytes). Default image: test-images/ntfs/ntfs-mbr-stream.vmdk (streamOptimized, NTFS) and its
// 5000-byte /links/original.txt. Only prints; nothing here fails on a number.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  },
});
const { main: extract } = await import(join(root, 'dist/cli/grt-extract.js'));
const { main: catalog } = await import(join(root, 'dist/cli/grt-catalog.js'));

function serve(bytes, name) {
  const stats = { requests: 0, bytes: 0 };
  const etag = `"${bytes.length}-bench"`;
  const server = http.createServer((req, res) => {
    stats.requests++;
    const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (req.url !== `/${name}`) return void res.writeHead(404).end();
    if (!match) return void res.writeHead(416).end();
    const first = Number(match[1]);
    const last = Math.min(Number(match[2]), bytes.length - 1);
    const body = bytes.subarray(first, last + 1);
    stats.bytes += body.length;
    res.writeHead(206, { etag, 'content-range': `bytes ${first}-${last}/${bytes.length}` }).end(body);
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done({ server, stats, url: `http://127.0.0.1:${server.address().port}/${name}` })));
}

const sink = () => ({ write: () => true });
const quiet = { stdout: sink(), stderr: { write: (c) => (process.stderr.write(String(c)), true) } };

async function timed(argv) {
  const start = process.hrtime.bigint();
  const code = await extract(argv, quiet);
  if (code !== 0) throw new Error(`grt-extract ${argv.join(' ')} exited ${code}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const work = mkdtempSync(join(tmpdir(), 'grt-bench-remote-'));
try {
  const image = resolve(args.image);
  const catalogFile = join(work, 'image.grtc');
  if ((await catalog([image, '-o', catalogFile], quiet)) !== 0) throw new Error('grt-catalog failed');
  const { server, stats, url } = await serve(readFileSync(image), basename(image));
  const cases = [
    ['local, no catalog', [image, args.file, '--stdout']],
    ['HTTP, no catalog', [url, args.file, '--stdout']],
    ['local, catalog', ['--catalog', catalogFile, image, args.file, '--stdout']],
    ['HTTP, catalog', ['--catalog', catalogFile, url, args.file, '--stdout']],
  ];
  console.log(`${basename(image)} ${args.file}, ${args.runs} runs each (median ms; requests and bytes of one run)`);
  for (const [label, argv] of cases) {
    const times = [];
    let one;
    for (let run = 0; run < Number(args.runs); run++) {
      const before = { ...stats };
      times.push(await timed(argv));
      one = { requests: stats.requests - before.requests, bytes: stats.bytes - before.bytes };
    }
    times.sort((a, b) => a - b);
    const remote = label.startsWith('HTTP') ? `  ${one.requests} requests, ${(one.bytes / 1024).toFixed(1)} KiB` : '';
    console.log(`  ${label.padEnd(20)} ${times[times.length >> 1].toFixed(1).padStart(8)} ms${remote}`);
  }
  server.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}
