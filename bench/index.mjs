#!/usr/bin/env node
// The estate index (after `npm run build`): ingest of a 100,000-file catalog, then 100 backups of a
// 100,000-file VM with 1% of files changing per backup — index size, `find '*.xlsx'` and
// `versions PATH` against the naive loop over the 100 catalogs, and each command's peak RSS —
// into SQLite and, when PostgreSQL is installed (or GRT_BENCH_PG names a server), PostgreSQL.
//   node bench/index.mjs [--files N] [--backups N] [--change PERCENT] [--no-pg]
// Catalogs are generated with the library from a synthetic file system. Benchmarks only print.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { buildCatalog, openCatalog } from '../dist/catalog/index.js';
import { openIndex } from '../dist/index/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const FILES = opt('--files', 100_000);
const BACKUPS = opt('--backups', 100);
const CHANGE = opt('--change', 1) / 100;
const FILES_PER_DIR = 100;
const EXTS = ['docx', 'txt', 'pdf', 'jpg', 'png', 'log', 'dll', 'ini'];
const DAY_US = 86_400_000_000n;
const BASE_FILETIME = 133_485_408_000_000_000n; // 2024-01-01

/** A file system the catalog builder walks: FILES files in folders of FILES_PER_DIR; 1 in 1000 is a .xlsx. */
function syntheticFs(state) {
  const entry = (path, name, type, record, parent, size, mtime) => ({
    path, name, type, size, times: { mtime, atime: mtime, ctime: mtime, btime: BASE_FILETIME }, attributes: type === 'dir' ? 0x10 : 0x20,
    streams: [], links: 1, id: { record, sequence: 1 }, ...(parent ? { parent: { record: parent, sequence: 1 } } : {}), warnings: [],
  });
  const dirs = Math.ceil(FILES / FILES_PER_DIR);
  const root = entry('/', '', 'dir', 5, 5, 0, BASE_FILETIME);
  const dirEntry = (d) => entry(`/d${d}`, `d${d}`, 'dir', 100 + d, 5, 0, BASE_FILETIME);
  return {
    kind: 'ntfs', info: { serial: '00000000BE7C0000', clusterSize: 4096 },
    nameRule() { return { kind: 'bytes' }; },
    async stat(path) { return path === '/' ? root : dirEntry(Number(path.slice(2))); },
    async readDir() { return Array.from({ length: dirs }, (_, d) => dirEntry(d)); },
    async *walk() {
      for (let d = 0; d < dirs; d++) {
        yield dirEntry(d);
        for (let i = d * FILES_PER_DIR; i < Math.min(FILES, (d + 1) * FILES_PER_DIR); i++) {
          const name = `file${i}.${i % 1000 === 7 ? 'xlsx' : EXTS[i % EXTS.length]}`;
          yield entry(`/d${d}/${name}`, name, 'file', 100_000 + i, 100 + d, state.size[i], state.mtime[i]);
        }
      }
    },
    async streamLayout(e) { return { name: '', size: e.size, initializedSize: e.size, encoding: 'raw', runs: e.size ? [{ streamOffset: 0, sourceOffset: e.id.record * 4096, length: e.size }] : [] }; },
    async openStream() { throw new Error('no data'); },
  };
}

const binding = { capacity: 2 ** 40, cids: [], partitions: [{ index: 1, start: 1_048_576, size: 2 ** 39, fs: 'ntfs', serial: '00000000BE7C0000' }] };
const catalogOfState = (state) => buildCatalog({ binding, volumes: [{ index: 1, start: 1_048_576, fs: syntheticFs(state) }] });

/** Backup states: each backup changes CHANGE of the files (new size and mtime), deterministically. */
function* states() {
  const state = { size: new Float64Array(FILES).map((_, i) => 1000 + (i % 5000)), mtime: new Array(FILES).fill(BASE_FILETIME) };
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let b = 0; b < BACKUPS; b++) {
    if (b > 0) for (let k = 0; k < FILES * CHANGE; k++) {
      const i = Math.floor(random() * FILES);
      state.size[i] += 1;
      state.mtime[i] = BASE_FILETIME + BigInt(b) * 864_000_000_000n;
    }
    yield state;
  }
}

/** Wall time, and this process's CPU time: on a shared machine the CPU time is the steadier figure. */
async function timed(fn) {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { value, seconds: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6 };
}
const both = (t) => `${t.seconds.toFixed(3)} s (cpu ${t.cpu.toFixed(3)} s)`;
async function count(rows) { let n = 0; for await (const _ of rows) n++; return n; }
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function startPostgres() {
  if (process.env.GRT_BENCH_PG) return { url: process.env.GRT_BENCH_PG, stop() {} };
  const lib = '/usr/lib/postgresql';
  const bins = [...(existsSync(lib) ? readdirSync(lib).sort().reverse().map((v) => join(lib, v, 'bin')) : []), '/usr/local/bin', '/usr/bin'];
  const bin = bins.find((b) => existsSync(join(b, 'initdb')) && existsSync(join(b, 'pg_ctl')));
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'grt-bench-pg-'));
  const root = process.getuid?.() === 0;
  if (root) chownSync(dir, Number(execFileSync('id', ['-u', 'nobody'])), Number(execFileSync('id', ['-g', 'nobody'])));
  const run = (cmd, a) => execFileSync(root ? 'runuser' : join(bin, cmd), root ? ['-u', 'nobody', '--', join(bin, cmd), ...a] : a, { stdio: 'pipe' });
  const port = await new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
  run('initdb', ['-D', join(dir, 'data'), '-U', 'grt', '--auth=trust', '-E', 'UTF8', '--no-locale']);
  run('pg_ctl', ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, '-w', 'start']);
  return { url: `postgres://grt@127.0.0.1:${port}/postgres`, stop() { run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', 'stop']); rmSync(dir, { recursive: true, force: true }); } };
}

/** Peak RSS of one grt-index command (GNU time), in MiB. */
function peakRss(db, argv) {
  const result = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, join(here, '../dist/cli/grt-index.js'), ...argv, '--db', db, '--json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const kib = Number(result.stderr.trim().split('\n').at(-1));
  return Number.isFinite(kib) ? `${(kib / 1024).toFixed(0)} MiB` : `? (${result.stderr.trim().split('\n')[0]})`;
}

const work = mkdtempSync(join(tmpdir(), 'grt-bench-index-'));
const pg = args.includes('--no-pg') ? undefined : await startPostgres();
try {
  console.log(`catalogs: ${FILES} files, ${BACKUPS} backups, ${(CHANGE * 100).toFixed(1)}% changed per backup; PostgreSQL ${pg ? 'yes' : 'no'}`);
  const catalogs = [];
  const built = await timed(async () => { for (const s of states()) catalogs.push(await catalogOfState(s)); });
  console.log(`generated ${catalogs.length} catalogs in ${built.seconds.toFixed(1)} s (${mib(catalogs[0].length)} each)`);
  const firstPath = join(work, 'first.grtcat');
  writeFileSync(firstPath, catalogs[0]);
  const backends = [['sqlite', join(work, 'index.sqlite')], ...(pg ? [['postgres', pg.url]] : [])];
  for (const [name, url] of backends) {
    const index = await openIndex(url);
    const ingest = await timed(() => index.add(catalogs[0], { backup: 'b000', vm: 'vm', time: new Date(Date.UTC(2024, 0, 1)) }));
    const oneBackup = name === 'sqlite' ? (await index.close(), statSync(url).size) : (await index.stats()).bytes;
    const again = name === 'sqlite' ? await openIndex(url) : index;
    console.log(`\n[${name}] ingest ${FILES} files: ${both(ingest)}; index ${mib(oneBackup)} = ${(oneBackup / FILES).toFixed(1)} bytes per version`);
    const adds = await timed(async () => {
      for (let b = 1; b < catalogs.length; b++) await again.add(catalogs[b], { backup: `b${String(b).padStart(3, '0')}`, vm: 'vm', time: new Date(Date.UTC(2024, 0, 1 + b)) });
    });
    const stats = await again.stats();
    if (name === 'sqlite') await again.close();
    const size = name === 'sqlite' ? statSync(url).size : stats.bytes;
    const extra = stats.rows.versions - FILES;
    console.log(`[${name}] ${catalogs.length - 1} more backups: ${(adds.seconds / Math.max(1, catalogs.length - 1)).toFixed(2)} s each (cpu ${(adds.cpu / Math.max(1, catalogs.length - 1)).toFixed(2)} s); ${stats.rows.versions} versions for ${FILES * catalogs.length} file-backup pairs`);
    console.log(`[${name}] index ${mib(size)}; ${extra > 0 ? ((size - oneBackup) / extra).toFixed(1) : '-'} bytes per added version (unchanged files cost no row per backup)`);
    const index2 = name === 'sqlite' ? await openIndex(url) : again;
    const find = await timed(() => count(index2.find('*.xlsx')));
    const path = '/d0/file7.xlsx';
    const versions = await timed(() => index2.versions(path));
    const scan = await timed(() => count(index2.find('*ile12345*')));
    const naive = await timed(async () => { let n = 0; for (const bytes of catalogs) n += await count((await openCatalog(bytes)).find(undefined, '*.xlsx')); return n; });
    console.log(`[${name}] find '*.xlsx': ${find.value} rows in ${both(find)}; naive loop over ${catalogs.length} catalogs ${naive.value} rows in ${both(naive)} (${(find.seconds / naive.seconds).toFixed(3)}x)`);
    console.log(`[${name}] versions ${path}: ${versions.value.length} versions in ${both(versions)}; find '*ile12345*' (every name read): ${scan.value} rows in ${both(scan)}`);
    await index2.close();
    const rss = ['find *.xlsx', 'versions /d0/file7.xlsx', 'list', 'stats', 'diff b000 b099'].map((c) => `${c.split(' ')[0]} ${peakRss(url, c.split(' '))}`);
    rss.push(`add ${peakRss(url, ['add', firstPath, '--backup', 'rss', '--vm', 'rss'])}`);
    console.log(`[${name}] peak RSS: ${rss.join(', ')}`);
  }
} finally {
  pg?.stop();
  if (!process.env.GRT_BENCH_KEEP) rmSync(work, { recursive: true, force: true }); else console.log('kept', work);
}
