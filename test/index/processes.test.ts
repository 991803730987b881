/**
 * Separate processes on one index: an add killed half-way (SIGKILL) leaves the index as it was,
 * and two processes adding at once both succeed, on both back ends.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openIndex } from '../../src/index/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { catalogOf, day, type Tree } from './catalogs.js';

/** Files in the catalog the killed process adds: enough that its add takes a while. */
const BIG_FILES = 20_000;
let dir = '';

function child(db: string, catalog: string, backup: string, vm: string): { done: Promise<{ code: number | null; signal: string | null; out: string }>; opened: Promise<void>; kill(): void } {
  const proc = spawn('node_modules/.bin/vite-node', ['test/index/child-add.ts'], {
    env: { ...process.env, GRT_CHILD_DB: db, GRT_CHILD_CATALOG: catalog, GRT_CHILD_BACKUP: backup, GRT_CHILD_VM: vm, GRT_CHILD_TIME: '2024-05-01T00:00:00Z' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let signalOpened: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (signalOpened = resolve));
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('opened')) signalOpened();
  });
  proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
    proc.on('exit', (code, signal) => {
      signalOpened();
      resolve({ code, signal, out: out + err });
    });
  });
  return { done, opened, kill: () => proc.kill('SIGKILL') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grt-index-proc-'));
  const big: Tree = {};
  for (let i = 0; i < BIG_FILES; i++) big[`/d${i % 100}/f${i}.dat`] = { data: 'x', time: day(i % 7) };
  writeFileSync(join(dir, 'big.grtcat'), await catalogOf(big));
  for (const n of [1, 2]) writeFileSync(join(dir, `small${n}.grtcat`), await catalogOf({ [`/only-in-${n}.txt`]: { data: 'a' }, '/shared.txt': { data: 'b' } }, `00000000000000${n}${n}`));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(BACKENDS)('%s', (backend) => {
  const newUrl = useBackend(backend);

  it('an add killed half-way leaves the index as it was', async () => {
    const url = await newUrl();
    const index = await openIndex(url);
    await index.add(join(dir, 'small1.grtcat'), { backup: 'before', vm: 'v' });
    const before = { list: await index.list(), stats: { ...(await index.stats()), bytes: 0 } };
    await index.close();
    let killed = 0;
    // Short delays first: an add of BIG_FILES takes a few hundred ms, less on a quiet machine.
    for (const delayMs of [50, 0, 150, 20, 300, 700, 1500]) {
      const run = child(url, join(dir, 'big.grtcat'), 'big', 'v');
      await run.opened;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      run.kill();
      const result = await run.done;
      if (result.signal !== 'SIGKILL') continue; // finished before the kill: try a shorter moment
      killed++;
      const after = await openIndex(url);
      expect({ list: await after.list(), stats: { ...(await after.stats()), bytes: 0 } }).toEqual(before);
      await after.close();
      if (killed === 2) break;
    }
    expect(killed).toBeGreaterThan(0);
  }, 180_000);

  it('two processes adding at once both succeed', async () => {
    const url = await newUrl();
    await (await openIndex(url)).close();
    const runs = [child(url, join(dir, 'big.grtcat'), 'big', 'v1'), child(url, join(dir, 'small1.grtcat'), 's1', 'v1'), child(url, join(dir, 'small2.grtcat'), 's2', 'v2')];
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.out).toBe(0);
    const index = await openIndex(url);
    expect((await index.list()).map((b) => b.backup).sort()).toEqual(['big', 's1', 's2']);
    expect((await index.list('v1')).map((b) => b.files).sort((a, b) => a - b)).toEqual([2, BIG_FILES]);
    // The gram lists the adds merged into at once hold every one's folders (none lost to the other's rewrite).
    const found: string[] = [];
    for await (const r of index.find('*ared.t*')) found.push(`${r.backup} ${r.path}`);
    expect(found.sort()).toEqual(['s1 /shared.txt', 's2 /shared.txt']);
    let bigFound = 0;
    for await (const r of index.find('*12345.d*')) bigFound += r.path === '/d45/f12345.dat' ? 1 : 0;
    expect(bigFound).toBe(1);
    await index.close();
  }, 180_000);
});
