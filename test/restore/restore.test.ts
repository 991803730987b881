import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, lstat, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile, mkdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restore, type RestoreEvent } from '../../src/restore/restore.js';
import { GrtError } from '../../src/errors.js';
import { filetimeToNs, nsToUnixSeconds } from '../../src/util/time.js';
import { FakeFs } from '../helpers/fake-fs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-restore-'));
});
afterEach(async () => {
  await chmod(dir, 0o755).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

const T1 = filetimeToNs(132_100_000_001_234_567n); // sub-millisecond digits on purpose
const T2 = filetimeToNs(131_900_000_000_000_000n);
function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

async function listAll(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${d.name}` : d.name;
    out.push(rel);
    if (d.isDirectory()) out.push(...(await listAll(root, rel)));
  }
  return out.sort();
}

describe('restore', () => {
  it('restores a directory tree with bytes and times, directory relative to its parent', async () => {
    const big = pattern(5 * 1024 * 1024 + 17);
    const fs = new FakeFs({
      '/Users/bob/a.txt': { data: 'hello', times: { mtime: T1, atime: T2 } },
      '/Users/bob/docs/big.bin': { data: big },
      '/Users/bob/docs': { type: 'dir', time: T2 },
      '/Users/alice/x': { data: 'no' },
    });
    const events: RestoreEvent[] = [];
    const progress: number[] = [];
    const summary = await restore({ fs, paths: ['/Users/bob'], to: dir, onEvent: (e) => events.push(e), onProgress: (p) => progress.push(p.bytesDone) });
    expect(await listAll(dir)).toEqual(['bob', 'bob/a.txt', 'bob/docs', 'bob/docs/big.bin']);
    const st = await stat(join(dir, 'bob/a.txt')); // before reading it: a read may update atime
    expect(await readFile(join(dir, 'bob/a.txt'), 'utf8')).toBe('hello');
    expect(Buffer.compare(await readFile(join(dir, 'bob/docs/big.bin')), Buffer.from(big))).toBe(0);
    expect(st.mtimeMs / 1000).toBeCloseTo(nsToUnixSeconds(T1), 5);
    expect(st.atimeMs / 1000).toBeCloseTo(nsToUnixSeconds(T2), 5);
    const dirStat = await stat(join(dir, 'bob/docs'));
    expect(dirStat.mtimeMs / 1000).toBeCloseTo(nsToUnixSeconds(T2), 3);
    expect(summary).toMatchObject({ files: 2, dirs: 2, failed: 0, bytes: big.length + 5 });
    expect(progress[progress.length - 1]).toBe(big.length + 5);
    expect(events.at(-1)?.type).toBe('summary');
  });

  it('globs restore relative to their literal prefix; PATH:stream restores one stream', async () => {
    const fs = new FakeFs({
      '/Users/bob/Documents/a.DOCX': { data: 'A' },
      '/Users/eve/Documents/b.docx': { data: 'B' },
      '/Users/eve/Documents/c.txt': { data: 'C' },
      '/f.txt': { data: 'main', streams: { 'Zone.Identifier': '[ZoneTransfer]' } },
    });
    await restore({ fs, paths: ['/users/*/Documents/*.docx', '/f.txt:Zone.Identifier'], to: dir });
    expect(await listAll(dir)).toEqual(['bob', 'bob/Documents', 'bob/Documents/a.DOCX', 'eve', 'eve/Documents', 'eve/Documents/b.docx', 'f.txt.Zone.Identifier.ads']);
    expect(await readFile(join(dir, 'f.txt.Zone.Identifier.ads'), 'utf8')).toBe('[ZoneTransfer]');
  });

  it('leaves holes for sparse runs', async () => {
    const size = 8 * 1024 * 1024;
    const data = new Uint8Array(size);
    data.fill(7, 0, 4096);
    data.fill(9, size - 4096);
    const fs = new FakeFs({ '/sparse.bin': { data, holes: [[4096, size - 8192]] } });
    await restore({ fs, paths: ['/sparse.bin'], to: dir });
    const st = await stat(join(dir, 'sparse.bin'));
    expect(st.size).toBe(size);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
    expect(Buffer.compare(await readFile(join(dir, 'sparse.bin')), Buffer.from(data))).toBe(0);
  });

  it('a trailing hole still gives the file its size', async () => {
    const size = 4 * 1024 * 1024;
    const data = new Uint8Array(size).fill(5, 0, 4096);
    const fs = new FakeFs({ '/tail.bin': { data, holes: [[4096, size - 4096]] } });
    await restore({ fs, paths: ['/tail.bin'], to: dir });
    const st = await stat(join(dir, 'tail.bin'));
    expect(st.size).toBe(size);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
  });

  it('hard links become links, or copies when asked', async () => {
    const fs = new FakeFs({ '/a/one': { data: 'same', streams: { s: 'x' } }, '/a/two': { hardLinkOf: '/a/one' } });
    await restore({ fs, paths: ['/a'], to: join(dir, 'l') });
    const [one, two] = await Promise.all([stat(join(dir, 'l/a/one')), stat(join(dir, 'l/a/two'))]);
    expect(one.ino).toBe(two.ino);
    expect((await stat(join(dir, 'l/a/two.s.ads'))).ino).toBe((await stat(join(dir, 'l/a/one.s.ads'))).ino);
    await restore({ fs, paths: ['/a'], to: join(dir, 'c'), hardLinks: 'copy' });
    const [c1, c2] = await Promise.all([stat(join(dir, 'c/a/one')), stat(join(dir, 'c/a/two'))]);
    expect(c1.ino).not.toBe(c2.ino);
    expect(await readFile(join(dir, 'c/a/two'), 'utf8')).toBe('same');
  });

  it('recreates symlinks that stay inside, warns about the others', async () => {
    const fs = new FakeFs({
      '/d/file': { data: 'x' },
      '/d/ok': { type: 'symlink', target: 'file' },
      '/d/up': { type: 'symlink', target: '..\\d\\file' },
      '/d/out': { type: 'symlink', target: '../../etc/passwd' },
      '/d/abs': { type: 'junction', target: '\\??\\C:\\Windows' },
      '/d/mid': { type: 'symlink', target: 'ok/../../x' },
    });
    const events: RestoreEvent[] = [];
    const summary = await restore({ fs, paths: ['/d'], to: dir, onEvent: (e) => events.push(e) });
    expect(await readlink(join(dir, 'd/ok'))).toBe('file');
    expect(await readlink(join(dir, 'd/up'))).toBe('../d/file');
    expect(await listAll(dir)).toEqual(['d', 'd/file', 'd/ok', 'd/up']);
    expect(summary.warnings).toBe(3);
    expect(events.filter((e) => e.type === 'warning').map((e) => e.path).sort()).toEqual(['/d/abs', '/d/mid', '/d/out']);
  });

  it('hostile names stay inside the root and unique', async () => {
    const fs = new FakeFs({});
    fs.add('/h', { type: 'dir' });
    for (const name of ['..', '.', 'a\0b', 'x'.repeat(300) + '.txt', 'x'.repeat(301) + '.txt', 'CON']) {
      fs.add(`/h/${name.replace(/\//g, '')}`, { data: name });
    }
    fs.add('/h/deep', { type: 'dir' });
    // A name holding '/' cannot be added through a path: rename an entry in place.
    Object.assign(await fs.stat('/h/deep'), { name: '../../evil', path: '/h/../../evil' });
    const summary = await restore({ fs, paths: ['/h'], to: join(dir, 'out'), nameRules: { windows: true, caseInsensitive: true } });
    const names = await readdir(join(dir, 'out/h'));
    expect(names).toContain('__'); // '..' under the Win32 rules (trailing dots)
    expect(names).toContain('_CON');
    expect(names).toContain('.._.._evil');
    expect(names.every((n) => Buffer.byteLength(n) <= 255)).toBe(true);
    expect(await readdir(dir)).toEqual(['out']);
    expect(summary.failed).toBe(0);
  });

  it('existing targets: left alone and failed, skipped, or overwritten', async () => {
    const fs = new FakeFs({ '/f.txt': { data: 'new' } });
    await writeFile(join(dir, 'f.txt'), 'old');
    const never = await restore({ fs, paths: ['/f.txt'], to: dir });
    expect(never.failed).toBe(1);
    expect(await readFile(join(dir, 'f.txt'), 'utf8')).toBe('old');
    const skip = await restore({ fs, paths: ['/f.txt'], to: dir, overwrite: 'skip-existing' });
    expect(skip).toMatchObject({ failed: 0, skipped: 1 });
    const over = await restore({ fs, paths: ['/f.txt'], to: dir, overwrite: 'overwrite' });
    expect(over).toMatchObject({ failed: 0, files: 1 });
    expect(await readFile(join(dir, 'f.txt'), 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['f.txt']);
  });

  it('a read failure mid-file leaves neither the file nor a temp file, and the restore goes on', async () => {
    const fs = new FakeFs({ '/bad.bin': { data: pattern(6 * 1024 * 1024), failAt: 5 * 1024 * 1024 }, '/good.txt': { data: 'ok' } });
    const events: RestoreEvent[] = [];
    const summary = await restore({ fs, paths: ['/bad.bin', '/good.txt'], to: dir, onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ failed: 1, files: 1 });
    expect(await readdir(dir)).toEqual(['good.txt']);
    const failure = events.find((e) => e.type === 'failure');
    expect(failure).toMatchObject({ path: '/bad.bin', code: 'BAD_RUNLIST' });
  });

  it('abort stops, removes the file in progress, throws ABORTED', async () => {
    const controller = new AbortController();
    let reads = 0;
    const fs = new FakeFs({
      '/big.bin': { data: pattern(9 * 1024 * 1024), onRead: () => { if (++reads === 2) controller.abort(); } },
      '/later.txt': { data: 'never' },
    });
    const error = await restore({ fs, paths: ['/big.bin', '/later.txt'], to: dir, signal: controller.signal }).catch((e) => e);
    expect(error).toBeInstanceOf(GrtError);
    expect(error.code).toBe('ABORTED');
    expect(await readdir(dir)).toEqual([]);
  });

  it('never writes through a symlink already in the target', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await mkdir(join(dir, 'to'));
    await symlink(outside, join(dir, 'to/d'));
    const fs = new FakeFs({ '/d/f.txt': { data: 'x' } });
    const summary = await restore({ fs, paths: ['/d'], to: join(dir, 'to') });
    expect(summary.failed).toBeGreaterThan(0);
    expect(await readdir(outside)).toEqual([]);
    expect((await lstat(join(dir, 'to/d'))).isSymbolicLink()).toBe(true);
  });

  it('streams: files by default, skip reports each stream', async () => {
    const fs = new FakeFs({ '/f': { data: 'm', streams: { one: '1', two: '22' } }, '/d': { type: 'dir', streams: { meta: 'dir stream' } } });
    await restore({ fs, paths: ['/f', '/d'], to: join(dir, 'a') });
    expect(await listAll(join(dir, 'a'))).toEqual(['d', 'd.meta.ads', 'f', 'f.one.ads', 'f.two.ads']);
    expect(await readFile(join(dir, 'a/d.meta.ads'), 'utf8')).toBe('dir stream');
    const rootEvents: RestoreEvent[] = [];
    await restore({ fs: new FakeFs({ '/': { type: 'dir', streams: { s: 'x' } } }), paths: ['/'], to: join(dir, 'r'), onEvent: (e) => rootEvents.push(e) });
    expect(rootEvents.filter((e) => e.type === 'skipped').map((e) => e.path)).toEqual(['/:s']);
    const events: RestoreEvent[] = [];
    const s = await restore({ fs, paths: ['/f'], to: join(dir, 'b'), streams: 'skip', onEvent: (e) => events.push(e) });
    expect(s.skipped).toBe(2);
    expect(events.filter((e) => e.type === 'skipped').map((e) => e.path)).toEqual(['/f:one', '/f:two']);
  });

  it('read-only target directory: failures, not a crash', async () => {
    if (process.getuid?.() === 0) {
      console.log('skipped: running as root, where chmod 0555 does not stop writes');
      return;
    }
    await chmod(dir, 0o555);
    const fs = new FakeFs({ '/f': { data: 'x' } });
    const s = await restore({ fs, paths: ['/f'], to: dir }).catch((e) => e);
    expect(s instanceof GrtError || s.failed === 1).toBe(true);
  });
});
