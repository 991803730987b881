#!/usr/bin/env node
// The range server bench/remote.mjs reads from, in its own process so that serving does not take
// the client's event loop: `node bench/remote-server.mjs FILE...` serves each FILE at /BASENAME on
// 127.0.0.1 (keep-alive, ETag, 206 answers read from the file), prints its port, and answers
// GET /__stats with the requests and body bytes served so far (not counted). Ends with stdin.
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import { basename } from 'node:path';

const files = new Map(process.argv.slice(2).map((path) => [`/${encodeURIComponent(basename(path))}`, { path, size: statSync(path).size }]));
const stats = { requests: 0, bytes: 0 };
const server = http.createServer((req, res) => {
  if (req.url === '/__stats') return void res.end(JSON.stringify(stats));
  stats.requests++;
  const file = files.get(req.url ?? '');
  if (!file) return void res.writeHead(404).end();
  const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  if (!match) return void res.writeHead(416).end();
  const first = Number(match[1]);
  const last = Math.min(Number(match[2]), file.size - 1);
  stats.bytes += last - first + 1;
  res.writeHead(206, { etag: `"${file.size}-bench"`, 'content-range': `bytes ${first}-${last}/${file.size}`, 'content-length': String(last - first + 1) });
  createReadStream(file.path, { start: first, end: last, highWaterMark: 1024 * 1024 }).pipe(res);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
