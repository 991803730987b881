#!/usr/bin/env node
// Decompression throughput of the WOF codecs on realistic data, one chunk per call as WOF reads
// them: grt's XPRESS Huffman (4/8/16 KiB chunks) and LZX (32 KiB), beside grt's LZNT1 (64 KiB
// NTFS compression units) and node:zlib inflateSync on the same data (64 KiB). Input chunks are
// compressed by wimlib's own compressors (test-images/wof/wofpack.c, needs libwim-dev and cc);
// without them only LZNT1/zlib run. MB/s of decompressed output per CPU second, the best of
// --rounds rounds; asserts nothing. Needs `npm run build`.
//
//   node bench/wof-codecs.mjs [--megabytes N] [--rounds N]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { deflateSync, inflateSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ntfs = await import(pathToFileURL(join(root, 'dist', 'fs', 'ntfs', 'index.js')).href);
// The test-side LZNT1 compressor is TypeScript without imports: esbuild (a tsup dependency) makes it a module.
const { compressLznt1 } = await (async () => {
  const { transformSync } = await import('esbuild');
  const source = readFileSync(join(root, 'test', 'builders', 'lznt1-compress.ts'), 'utf8');
  const file = join(mkdtempSync(join(tmpdir(), 'grt-bench-')), 'lznt1-compress.mjs');
  writeFileSync(file, transformSync(source, { loader: 'ts', format: 'esm' }).code);
  return import(pathToFileURL(file).href);
})();
const { values: args } = parseArgs({ options: { megabytes: { type: 'string', default: '32' }, rounds: { type: 'string', default: '5' } } });
const total = Number(args.megabytes) * 1e6;
const rounds = Math.max(1, Number(args.rounds));

/** Realistic data: /usr/bin executables and text (man pages, licences), concatenated to 4 MiB. */
function corpus(kind) {
  const files = kind === 'exe' ? ['/usr/bin/perl', '/usr/bin/gzip', '/usr/bin/ls', '/usr/bin/tar'] : ['/usr/share/common-licenses/GPL-3', '/usr/share/common-licenses/Apache-2.0', '/usr/share/common-licenses/GFDL-1.3', '/usr/share/common-licenses/LGPL-2.1'];
  const parts = [];
  let size = 0;
  for (const f of files) {
    try {
      const b = readFileSync(f);
      parts.push(b);
      size += b.length;
    } catch {}
  }
  const one = Buffer.concat(parts);
  const out = Buffer.alloc(4 << 20);
  for (let at = 0; at < out.length; at += one.length) one.copy(out, at);
  return out;
}

/** The chunks of `data` compressed by wimlib (format as WOF numbers them), or undefined. */
function wimlibChunks(data, format, chunkSize) {
  try {
    const dir = mkdtempSync(join(tmpdir(), 'grt-bench-'));
    execFileSync('cc', ['-O2', '-o', join(dir, 'wofpack'), join(root, 'test-images', 'wof', 'wofpack.c'), '-lwim']);
    writeFileSync(join(dir, 'in'), data);
    execFileSync(join(dir, 'wofpack'), [String(format), '50', String(data.length), join(dir, 'in'), join(dir, 'out')]);
    const stream = readFileSync(join(dir, 'out'));
    const count = Math.ceil(data.length / chunkSize);
    const tableEnd = (count - 1) * 4;
    const chunks = [];
    for (let i = 0; i < count; i++) {
      const start = i === 0 ? tableEnd : tableEnd + stream.readUInt32LE((i - 1) * 4);
      const end = i === count - 1 ? stream.length : tableEnd + stream.readUInt32LE(i * 4);
      const size = Math.min(chunkSize, data.length - i * chunkSize);
      if (end - start < size) chunks.push({ packed: stream.subarray(start, end), size });
    }
    return chunks;
  } catch {
    return undefined;
  }
}

function time(name, chunks, run) {
  const bytesPerPass = chunks.reduce((sum, c) => sum + c.size, 0);
  const passes = Math.max(1, Math.round(total / rounds / bytesPerPass));
  for (const c of chunks.slice(0, 200)) run(c); // warm up: the JIT compiles the decoder for this data
  // CPU time of this process, not wall time: on a loaded machine (the 2-core box this was written
  // on ran ~15 other jobs) wall time measures the scheduler more than the decoder. The best of
  // several rounds: a round that shared its core with another job is slow for no fault of its own.
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    const start = process.cpuUsage();
    for (let p = 0; p < passes; p++) for (const c of chunks) run(c);
    const used = process.cpuUsage(start);
    best = Math.max(best, (passes * bytesPerPass) / 1e6 / ((used.user + used.system) / 1e6));
  }
  const ratio = chunks.reduce((sum, c) => sum + c.packed.length, 0) / bytesPerPass;
  console.log(`  ${name.padEnd(34)} ${best.toFixed(0).padStart(6)} MB/s   (compressed to ${(ratio * 100).toFixed(0)}%)`);
}

for (const kind of ['exe', 'text']) {
  const data = corpus(kind);
  console.log(`${kind} (${data.length} bytes, from ${kind === 'exe' ? '/usr/bin' : '/usr/share/common-licenses'}):`);
  // One decoder and one output buffer per format, reused as the WOF reader reuses its decoder:
  // the numbers are the decoder's, not the allocator's.
  for (const [format, chunkSize, name] of [[0, 4096, 'XPRESS4K'], [2, 8192, 'XPRESS8K'], [3, 16384, 'XPRESS16K'], [1, 32768, 'LZX']]) {
    const chunks = wimlibChunks(data, format, chunkSize);
    if (!chunks) continue;
    const decoder = format === 1 ? new ntfs.LzxDecompressor() : new ntfs.XpressHuffmanDecompressor();
    const output = new Uint8Array(chunkSize);
    time(`grt ${name}`, chunks, (c) => decoder.decompress(c.packed, output.subarray(0, c.size)));
  }
  const units = [];
  for (let at = 0; at < data.length; at += 65536) units.push(data.subarray(at, at + 65536));
  {
    const lznt1 = units.map((u) => ({ packed: compressLznt1(u), size: u.length }));
    time('grt LZNT1 (64 KiB units)', lznt1, (c) => ntfs.decompressLznt1(c.packed, c.size));
  }
  const zlib = units.map((u) => ({ packed: deflateSync(u), size: u.length }));
  time('node:zlib inflateSync (64 KiB)', zlib, (c) => inflateSync(c.packed));
}
