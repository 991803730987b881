/**
 * SIGINT, SIGTERM and SIGHUP stop every command alike (issue 14, item 4): the run is aborted, its
 * temp files are removed (no `.part` under any name is left, `--disk` too), and it exits 1 once
 * it had started writing. The command runs as a real process (bundled with esbuild, as the inflate
 * tests do) over a fake image whose reads are slow, and gets the signal while a large file is
 * half written.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STOP_SIGNALS } from '../../src/cli/output.js';

/** Each read of the fake image waits this long: a 48 MiB file takes ~2 s, long enough to interrupt. */
const READ_DELAY_MS = 40;

let dir: string;
let entry: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-signals-'));
  const esbuild = await import('esbuild');
  await esbuild.build({
    stdin: {
      contents: `
        import { main } from '../../src/cli/grt-extract.ts';
        import { runAsScript } from '../../src/cli/output.ts';
        import { FakeFs } from '../helpers/fake-fs.ts';
        import { fakeDisk, fakeImage } from './fake-image.ts';
        const MiB = 1024 * 1024;
        const sleep = () => new Promise((resolve) => setTimeout(resolve, ${READ_DELAY_MS}));
        export function start() {
          const fs = new FakeFs({ '/big.bin': { data: new Uint8Array(48 * MiB).fill(7), onRead: sleep }, '/small.txt': { data: 'small' } });
          const base = fakeDisk(new Uint8Array(48 * MiB).fill(1));
          const disk = { ...base, read: async (offset, length) => { await sleep(); return base.read(offset, length); } };
          const image = fakeImage(disk, [fs]);
          runAsScript((argv, io) => main(argv, { ...io, openImage: async () => image }));
        }`,
      resolveDir: __dirname,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(dir, 'bundle.mjs'),
    logLevel: 'error',
  });
  // A separate entry: the bundle's own `isMain` check must not start grt-extract a second time.
  entry = join(dir, 'entry.mjs');
  await writeFile(entry, "import { start } from './bundle.mjs';\nstart();\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Files under `root` (recursively) whose name holds `.part`. */
async function partFiles(root: string): Promise<string[]> {
  const names = (await readdir(root, { recursive: true })) as string[];
  return names.filter((name) => name.includes('.part'));
}

/** Run grt-extract with `args`; once `ready()` holds, send `signal`. Resolves with the exit code and stderr. */
function interrupt(args: string[], signal: NodeJS.Signals, ready: () => Promise<boolean>): Promise<{ code: number | null; stderr: string; sent: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, 'fake.vmdk', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const poll = setInterval(() => {
      void ready().then((yes) => {
        if (yes && !sent) {
          sent = true;
          child.kill(signal);
        }
      });
    }, 10);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, stderr, sent });
    });
  });
}

describe('stop signals', () => {
  it.each(STOP_SIGNALS)('%s during a restore of a large file: exit 1, no temp file left', async (signal) => {
    const out = join(dir, `out-${signal}`);
    const result = await interrupt(['/small.txt', '/big.bin', '-o', out], signal, async () => existsSync(out) && (await partFiles(out)).length > 0);
    expect(result.sent).toBe(true);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ABORTED/);
    expect(await partFiles(out)).toEqual([]);
    expect(existsSync(join(out, 'big.bin'))).toBe(false);
  }, 20_000);

  it.each(STOP_SIGNALS)('%s during --disk -o FILE: exit 1, no temp file left', async (signal) => {
    const out = join(dir, `disk-${signal}`);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out);
    const result = await interrupt(['--disk', '-o', join(out, 'disk.raw')], signal, async () => (await partFiles(out)).length > 0);
    expect(result.sent).toBe(true);
    expect(result.code).toBe(1);
    expect(await partFiles(out)).toEqual([]);
    expect(await readdir(out)).toEqual([]);
  }, 20_000);
});
