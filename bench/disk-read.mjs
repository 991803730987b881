#!/usr/bin/env node
// Virtual-disk read throughput per layout, against reading the raw bytes with fs.read.
//
//   npm run build && node bench/disk-read.mjs [--small] [--work DIR] [--mib N] [--random N]
//
// Uses the images bench/peers.mjs builds (flat, monolithicSparse, streamOptimized of one NTFS disk,
// cached in bench/.work). Each layout's extent reader is opened the way openDisk opens it (a
// CachedSource over the file for the grained ones), so the block cache's hit rate can be printed.
// Sequential: the first --mib MiB of the disk in 4 MiB reads into one reused buffer. Random:
// --random reads of 64 KiB at seeded offsets in that range. Prints MiB/s; asserts nothing.
// seSparse and COWD: qemu-img cannot write them, so they are covered by the test suites only.
import { open } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    work: { type: 'string', default: join(root, 'bench', '.work') },
    small: { type: 'boolean', default: false },
    mib: { type: 'string', default: '1024' },
    random: { type: 'string', default: '2000' },
  },
});
if (!existsSync(join(root, 'dist', 'io', 'index.js'))) {
  console.log('bench/disk-read: run `npm run build` first');
  process.exit(1);
}
const { CachedSource, FileSource, pageAlignedBuffer, readInto } = await import(join(root, 'dist', 'io', 'index.js'));
const { FlatExtent, openSparseExtent } = await import(join(root, 'dist', 'vmdk', 'index.js'));

const MiB = 1024 * 1024;
const tag = args.small ? `${64 * MiB}-${32 * MiB}-10000` : `${1024 * MiB}-${512 * MiB}-100000`;
const dir = join(resolve(args.work), tag);
if (!existsSync(join(dir, 'stream.vmdk'))) {
  console.log(`bench/disk-read: no images in ${dir}; run \`node bench/peers.mjs --runs 1 --only none${args.small ? ' --small' : ''}\` first`);
  process.exit(0);
}
const flatFile = join(dir, readdirSync(dir).find((name) => name.endsWith('-flat.vmdk')));
const CHUNK = 4 * MiB;
const RANDOM_BYTES = 64 * 1024;
const zerosParent = async (out) => out.fill(0);

let seed = 1;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

async function measure(name, size, read, stats, buffer = pageAlignedBuffer(CHUNK)) {
  const span = Math.min(size, Number(args.mib) * MiB);
  let start = performance.now();
  for (let at = 0; at < span; at += CHUNK) await read(at, buffer.subarray(0, Math.min(CHUNK, span - at)));
  const sequential = span / MiB / ((performance.now() - start) / 1000);
  const before = stats ? { ...stats } : undefined;
  seed = 1;
  const count = Number(args.random);
  start = performance.now();
  for (let i = 0; i < count; i++) {
    const offset = Math.floor((random() * (span - RANDOM_BYTES)) / 512) * 512;
    await read(offset, buffer.subarray(0, RANDOM_BYTES));
  }
  const randomRate = (count * RANDOM_BYTES) / MiB / ((performance.now() - start) / 1000);
  let cache = '';
  if (stats) {
    const hits = stats.hits - before.hits;
    const misses = stats.misses - before.misses;
    cache = `  cache (random phase): ${hits} hits, ${misses} misses (${((100 * hits) / Math.max(1, hits + misses)).toFixed(0)}%), ${stats.bypassed} bypassed`;
  }
  console.log(`${name.padEnd(22)} sequential ${sequential.toFixed(0).padStart(6)} MiB/s   random 64 KiB ${randomRate.toFixed(0).padStart(6)} MiB/s${cache}`);
}

// `buffer`: where the bytes land. A large malloc'd Buffer often starts 16 bytes past a page
// boundary, and the kernel's copy out of the page cache is ~4× slower into such an address on this
// machine (src/io/aligned-buffer.ts): the last two lines show it.
async function rawBaseline(name, buffer) {
  const handle = await open(flatFile, 'r');
  const { size } = await handle.stat();
  await measure(name, size, (at, target) => handle.read(target, 0, target.length, at).then(() => undefined), undefined, buffer);
  await handle.close();
}

console.log(`virtual disk reads, first ${args.mib} MiB of ${dir}\n`);
await rawBaseline('raw fs.read (warming)');
{
  const file = await FileSource.open(flatFile);
  const extent = new FlatExtent(file, 0, file.size, flatFile);
  await measure('flat', extent.size, (at, target) => extent.read(at, target, zerosParent));
  await file.close();
}
for (const layout of ['sparse', 'stream']) {
  const path = join(dir, `${layout}.vmdk`);
  // As openDisk opens a grained file: reads of a block or more bypass the cache.
  const cached = new CachedSource(await FileSource.open(path), { bypassBytes: 64 * 1024 });
  const { extent } = await openSparseExtent(cached, { path });
  await measure(layout === 'sparse' ? 'monolithicSparse' : 'streamOptimized', extent.size, (at, target) => extent.read(at, target, zerosParent), cached.stats);
  await cached.close();
}
// The same reads through a CachedSource's readInto over the flat file, to show large reads bypass it.
{
  const cached = new CachedSource(await FileSource.open(flatFile));
  await measure('flat via CachedSource', cached.size, (at, target) => readInto(cached, at, target), cached.stats);
  await cached.close();
}
await rawBaseline('raw, page-aligned');
await rawBaseline('raw, page + 16 bytes', pageAlignedBuffer(CHUNK + 16).subarray(16));
