#!/usr/bin/env node
// The estate index (after `npm run build`): ingest of a 100,000-file catalog, then 100 backups of a
// 100,000-file VM with 1% of files changing per backup — index size, `find '*.xlsx'` and
// `versions PATH` against the naive loop over the 100 catalogs, and each command's peak RSS —
// into SQLite and, when PostgreSQL is installed (or GRT_BENCH_PG names a server), PostgreSQL.
//   node bench/index.mjs [--files N] [--backups N] [--change PERCENT] [--no-pg] [--no-sqlite] [--grt-ls]
// Catalogs are generated with the library from a synthetic file system. The naive loop is the
// catalogs searched one by one in this process; --grt-ls also times `grt-ls --catalog C --find`
// run once per catalog, as a script would. PostgreSQL's figures add the CPU its server processes
// used (a throwaway cluster only). Benchmarks only print.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  return { url: `postgres://grt@127.0.0.1:${port}/postgres`, data: join(dir, 'data'), stop() { run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', 'stop']); rmSync(dir, { recursive: true, force: true }); } };
}

/** Bytes per file of each table and index of a SQLite index (the dbstat table: pages, not payload, so page slack counts). */
async function bytesPerObject(path, files) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all();
    return rows.filter((r) => r.bytes / files >= 0.5).map((r) => `${r.name} ${(r.bytes / files).toFixed(1)}`).join(', ');
  } finally {
    db.close();
  }
}

/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU seconds the cluster's processes used so far: the postmaster, the children it reaped, and the live ones. */
function serverCpu(data) {
  if (!data) return 0;
  const fields = (pid) => { try { return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' '); } catch { return undefined; } };
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const own = fields(postmaster);
  let ticks = own ? Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]) : 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const f = fields(pid);
    if (f && Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / USER_HZ;
}

/** `timed`, plus the server's CPU for PostgreSQL. */
async function timedWithServer(data, fn) {
  const before = serverCpu(data);
  const t = await timed(fn);
  return { ...t, server: serverCpu(data) - before };
}
const withServer = (t) => `${both(t)}${t.server !== undefined && t.server > 0 ? ` + server cpu ${t.server.toFixed(2)} s` : ''}`;

/** The naive loop as a script runs it: one grt-ls process per catalog; wall, and the children's CPU (GNU time). */
function grtLsLoop(paths, glob) {
  const start = performance.now();
  let cpu = 0;
  let rows = 0;
  for (const path of paths) {
    const result = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, join(here, '../dist/cli/grt-ls.js'), '--catalog', path, '--find', glob, '--json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    rows += result.stdout.split('\n').filter((l) => l.trim() !== '').length;
    const [user, sys] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    cpu += user + sys;
  }
  return { value: rows, seconds: (performance.now() - start) / 1000, cpu };
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
  const backends = [...(args.includes('--no-sqlite') ? [] : [['sqlite', join(work, 'index.sqlite')]]), ...(pg ? [['postgres', pg.url]] : [])];
  for (const [name, url] of backends) {
    const index = await openIndex(url);
    const data = name === 'postgres' ? pg.data : undefined;
    const ingest = await timedWithServer(data, () => index.add(catalogs[0], { backup: 'b000', vm: 'vm', time: new Date(Date.UTC(2024, 0, 1)) }));
    const oneBackup = name === 'sqlite' ? (await index.close(), statSync(url).size) : (await index.stats()).bytes;
    const again = name === 'sqlite' ? await openIndex(url) : index;
    console.log(`\n[${name}] ingest ${FILES} files: ${withServer(ingest)}; index ${mib(oneBackup)} = ${(oneBackup / FILES).toFixed(1)} bytes per version`);
    if (name === 'sqlite') console.log(`[${name}] bytes per version by table and index: ${await bytesPerObject(url, FILES)}`);
    const adds = await timedWithServer(data, async () => {
      for (let b = 1; b < catalogs.length; b++) await again.add(catalogs[b], { backup: `b${String(b).padStart(3, '0')}`, vm: 'vm', time: new Date(Date.UTC(2024, 0, 1 + b)) });
    });
    const stats = await again.stats();
    if (name === 'sqlite') await again.close();
    const size = name === 'sqlite' ? statSync(url).size : stats.bytes;
    const extra = stats.rows.versions - FILES;
    console.log(`[${name}] ${catalogs.length - 1} more backups: ${(adds.seconds / Math.max(1, catalogs.length - 1)).toFixed(2)} s each (cpu ${(adds.cpu / Math.max(1, catalogs.length - 1)).toFixed(2)} s${adds.server ? ` + server ${(adds.server / Math.max(1, catalogs.length - 1)).toFixed(2)} s` : ''}); ${stats.rows.versions} versions for ${FILES * catalogs.length} file-backup pairs`);
    console.log(`[${name}] index ${mib(size)}; ${extra > 0 ? ((size - oneBackup) / extra).toFixed(1) : '-'} bytes per added version (unchanged files cost no row per backup)`);
    const index2 = name === 'sqlite' ? await openIndex(url) : again;
    const find = await timed(() => count(index2.find('*.xlsx')));
    const path = '/d0/file7.xlsx';
    const versions = await timed(() => index2.versions(path));
    // Substrings: 9 and 3 literal characters (gram lists), and 2 (no trigram: every folder's names read).
    const substrings = [];
    for (const glob of ['*ile12345*', '*345*', '*sx']) substrings.push([glob, await timed(() => count(index2.find(glob)))]);
    const naive = await timed(async () => { let n = 0; for (const bytes of catalogs) n += await count((await openCatalog(bytes)).find(undefined, '*.xlsx')); return n; });
    console.log(`[${name}] find '*.xlsx': ${find.value} rows in ${both(find)}; naive loop over ${catalogs.length} catalogs ${naive.value} rows in ${both(naive)} (${(find.seconds / naive.seconds).toFixed(3)}x)`);
    if (args.includes('--grt-ls') && name === 'sqlite') {
      const paths = catalogs.map((bytes, b) => { const p = join(work, `c${b}.grtcat`); writeFileSync(p, bytes); return p; });
      const loop = grtLsLoop(paths, '*.xlsx');
      console.log(`[${name}] naive loop of grt-ls --catalog C --find '*.xlsx' over ${paths.length} catalogs: ${loop.value} rows in ${both(loop)} (find: ${(find.seconds / loop.seconds).toFixed(4)}x wall, ${(find.cpu / loop.cpu).toFixed(4)}x cpu)`);
    }
    console.log(`[${name}] versions ${path}: ${versions.value.length} versions in ${both(versions)}; ${substrings.map(([glob, t]) => `find '${glob}': ${t.value} rows in ${both(t)}`).join('; ')}`);
    await index2.close();
    const rss = ['find *.xlsx', 'find *345*', 'versions /d0/file7.xlsx', 'list', 'stats', 'diff b000 b099'].map((c) => `${c.split(' ').slice(0, c.startsWith('find') ? 2 : 1).join(' ')} ${peakRss(url, c.split(' '))}`);
    rss.push(`add ${peakRss(url, ['add', firstPath, '--backup', 'rss', '--vm', 'rss'])}`);
    console.log(`[${name}] peak RSS: ${rss.join(', ')}`);
  }
} finally {
  pg?.stop();
  if (!process.env.GRT_BENCH_KEEP) rmSync(work, { recursive: true, force: true }); else console.log('kept', work);
}
