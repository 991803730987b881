#!/usr/bin/env node
// gzip'd OVA disks: (1) grt's DEFLATE decoder (src/codecs/deflate.ts) beside node:zlib's
// inflateRawSync on the same input — text (licences, man pages), executables, and a
// streamOptimized VMDK (already-compressed grains) — in MB/s of output per CPU second, the best
// of --rounds rounds, the two alternating; (2) CPU seconds to list a directory and restore one
// file from test-images/ova/vm-gzip.ova against the plain vm.ova, alternating. Asserts nothing.
// Bundles src/ with esbuild (a tsup dependency): no build needed.
//
//   node bench/gzip.mjs [--megabytes N] [--rounds N]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { megabytes: { type: 'string', default: '16' }, rounds: { type: 'string', default: '5' } } });
const total = Number(args.megabytes) * 1e6;
const rounds = Math.max(1, Number(args.rounds));

// Inside the project (bench/.work/, ignored by git), so the bundle finds node_modules.
const out = join(root, 'bench', '.work', 'gzip-entry.mjs');
await build({
  stdin: {
    contents: `export { Inflater, InflateStatus } from './src/codecs/deflate.ts';
      export { main as ls } from './src/cli/grt-ls.ts';
      export { main as extract } from './src/cli/grt-extract.ts';`,
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  outfile: out,
  logLevel: 'error',
});
const grt = await import(pathToFileURL(out).href);

function corpus(files) {
  const parts = [];
  for (let size = 0; size < total; ) {
    for (const f of files) {
      const bytes = readFileSync(f);
      parts.push(bytes);
      size += bytes.length;
    }
  }
  return Buffer.concat(parts).subarray(0, total);
}

function inflateGrt(input) {
  const inflater = new grt.Inflater(1 << 20);
  inflater.feed(input, true);
  let bytes = 0;
  for (;;) {
    const status = inflater.run(Number.MAX_SAFE_INTEGER);
    if (status === grt.InflateStatus.End) return bytes + inflater.outputEnd;
    if (inflater.full) {
      const before = inflater.outputEnd;
      inflater.slide();
      bytes += before - inflater.outputEnd;
    }
  }
}

const cpu = (run) => {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

const vmdk = (() => {
  const ova = readFileSync(join(root, 'test-images/ova/vm.ova'));
  // The second disk of vm.ova, repeated: grains qemu-img already deflated, and the zeros between.
  const parts = [];
  for (let size = 0; size < total; size += 169472) parts.push(ova.subarray(137728, 137728 + 169472));
  return Buffer.concat(parts).subarray(0, total);
})();
const inputs = {
  text: corpus(['/usr/share/common-licenses/GPL-3', '/usr/share/common-licenses/Apache-2.0', '/usr/share/common-licenses/GFDL-1.3']),
  exe: corpus(['/usr/bin/perl', '/usr/bin/tar', '/usr/bin/ls']),
  vmdk,
};
console.log('decoder: MB/s of output per CPU second (best of %d, alternating)', rounds);
for (const [name, data] of Object.entries(inputs)) {
  const compressed = deflateRawSync(data, { level: 9 });
  let ours = Infinity;
  let zlib = Infinity;
  for (let r = 0; r < rounds; r++) {
    ours = Math.min(ours, cpu(() => inflateGrt(compressed)));
    zlib = Math.min(zlib, cpu(() => inflateRawSync(compressed)));
  }
  const rate = (seconds) => (data.length / 1e6 / seconds).toFixed(0);
  console.log(`  ${name.padEnd(5)} ${(data.length / compressed.length).toFixed(1).padStart(5)}:1  grt ${rate(ours).padStart(5)}  zlib ${rate(zlib).padStart(5)}  (${(zlib / ours).toFixed(2)}×)`);
}

const io = { stdout: { write: () => true }, stderr: { write: (t) => (process.stderr.write(t), true) } };
const ovaCpu = { plain: Infinity, gzip: Infinity };
for (let r = 0; r < rounds; r++) {
  for (const [kind, file] of [['plain', 'vm.ova'], ['gzip', 'vm-gzip.ova']]) {
    const path = join(root, 'test-images/ova', file);
    const start = process.cpuUsage();
    await grt.ls([path, '--partition', '2:0', '/data'], io);
    await grt.extract([path, '--partition', '2:0', '/data/big.bin', '--stdout'], io);
    const used = process.cpuUsage(start);
    ovaCpu[kind] = Math.min(ovaCpu[kind], (used.user + used.system) / 1e6);
  }
}
console.log(`list /data + restore /data/big.bin (CPU s, best of ${rounds}): vm.ova ${ovaCpu.plain.toFixed(3)}, vm-gzip.ova ${ovaCpu.gzip.toFixed(3)}`);
