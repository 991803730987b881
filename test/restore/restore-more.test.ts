import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { GrtError } from '../../src/errors.js';
import { restore } from '../../src/restore/restore.js';
import { xattrToolAvailable } from '../../src/restore/xattr.js';
import { FakeFs } from '../helpers/fake-fs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-restore-more-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function walkDisk(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(root, { withFileTypes: true })) {
    const path = join(root, d.name);
    out.push(path);
    if (d.isDirectory()) out.push(...(await walkDisk(path)));
  }
  return out;
}

describe('restore with hostile trees', () => {
  it('property: every file lands inside the root, one output per entry, no temp files left', async () => {
    const segment = fc.oneof(fc.constantFrom('..', '.', 'CON', 'a', 'A', 'x'.repeat(260), 'a:b', 'ñ', 'n\u0303'), fc.string({ minLength: 1, maxLength: 8 }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(segment, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }), fc.boolean(), fc.boolean(), async (paths, windows, caseInsensitive) => {
        const fs = new FakeFs({ '/top': { type: 'dir' } });
        const added = new Set<string>();
        let files = 0;
        for (const segs of paths) {
          // Path lookups in the fake fold case and split on '/': skip what it cannot hold.
          const clean = segs.map((s) => s.replace(/\//g, '_'));
          const key = ['top', ...clean].join('/').toLowerCase();
          if ([...added].some((p) => p.startsWith(`${key}/`) || key.startsWith(`${p}/`)) || added.has(key)) continue;
          if (clean.some((s) => s === '' || s === '.' || s === '..')) continue;
          added.add(key);
          fs.add(`/top/${clean.join('/')}`, { data: key });
          files++;
        }
        const root = join(dir, `run-${Math.random().toString(36).slice(2)}`, 'to');
        const summary = await restore({ fs, paths: ['/top'], to: root, nameRules: { windows, caseInsensitive } });
        expect(summary.failed).toBe(0);
        expect(summary.files).toBe(files);
        const onDisk = await walkDisk(join(root, '..'));
        for (const path of onDisk) {
          expect(path.startsWith(root + sep) || path === root).toBe(true);
          expect(path).not.toMatch(/\.grt-[0-9a-f]+\.part$/);
        }
        const regular = [];
        for (const path of onDisk) if ((await lstat(path)).isFile()) regular.push(relative(root, path));
        expect(regular.length).toBe(files);
      }),
      { seed: 7, numRuns: 25 },
    );
  });

  it('case-insensitive target: names differing in case get distinct outputs', async () => {
    const fs = new FakeFs({ '/d/Read.me': { data: '1' } });
    fs.add('/d/x', { data: '2' });
    Object.assign(await fs.stat('/d/x'), { name: 'READ.ME', path: '/d/READ.ME' });
    const summary = await restore({ fs, paths: ['/d'], to: dir, nameRules: { windows: false, caseInsensitive: true } });
    expect(summary.files).toBe(2);
    expect((await readdir(join(dir, 'd'))).sort()).toEqual(['READ (2).ME', 'Read.me']);
  });
});

describe.skipIf(process.platform !== 'linux')('streams as xattrs', () => {
  it('sets user.<stream> on the restored file, or reports every stream skipped', async () => {
    await mkdir(join(dir, 'x'));
    const fs = new FakeFs({
      '/f': { data: 'main', streams: { 'Zone.Identifier': '[ZoneTransfer]\r\nZoneId=3', big: new Uint8Array(70000), mid: new Uint8Array(20000).fill(1) } },
    });
    const events: { type: string; path: string }[] = [];
    const summary = await restore({ fs, paths: ['/f'], to: join(dir, 'x'), streams: 'xattr', onEvent: (e) => events.push(e) });
    expect(await readFile(join(dir, 'x/f'), 'utf8')).toBe('main');
    const skipped = events.filter((e) => e.type === 'skipped').map((e) => e.path);
    if (!(await xattrToolAvailable())) {
      expect(skipped).toEqual(['/f:Zone.Identifier', '/f:big']);
      return;
    }
    expect(skipped).toEqual(['/f:big']); // larger than an xattr may be
    expect(summary.skipped).toBe(1);
    // 20 000 bytes fit some file systems' xattr space (XFS, btrfs, tmpfs) but not ext4's one block:
    // either way the file itself is restored and the stream is accounted for.
    const failed = events.filter((e) => e.type === 'failure').map((e) => e.path);
    expect(failed.every((p) => p === '/f:mid')).toBe(true);
    expect(summary.bytes).toBe(4 + 24 + (failed.length ? 0 : 20000));
    const dump = execFileSync('getfattr', ['-n', 'user.Zone.Identifier', '--only-values', join(dir, 'x/f')]).toString();
    expect(dump).toBe('[ZoneTransfer]\r\nZoneId=3');
  });
  it('sets user.<stream> on a restored directory too', async () => {
    if (!(await xattrToolAvailable())) return;
    const fs = new FakeFs({ '/d': { type: 'dir', streams: { meta: 'dir stream' } } });
    const summary = await restore({ fs, paths: ['/d'], to: join(dir, 'x'), streams: 'xattr' });
    expect(summary).toMatchObject({ dirs: 1, failed: 0, bytes: 10 });
    expect(await readdir(join(dir, 'x'))).toEqual(['d']);
    const dump = execFileSync('getfattr', ['-n', 'user.meta', '--only-values', join(dir, 'x/d')]).toString();
    expect(dump).toBe('dir stream');
  });
});

describe('selections that resolve to nothing', () => {
  it('a missing path among others is a failure; alone it throws NOT_FOUND', async () => {
    const fs = new FakeFs({ '/a.txt': { data: 'a' } });
    const events: { type: string; path: string }[] = [];
    const summary = await restore({ fs, paths: ['/nope', 'C:\\A.TXT', '/*.zip'], to: join(dir, 'x'), onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ files: 1, failed: 2 });
    expect(events.filter((e) => e.type === 'failure').map((e) => e.path)).toEqual(['/nope', '/*.zip']);
    await expect(restore({ fs, paths: ['/nope'], to: join(dir, 'y') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('summary bytes', () => {
  it('count completed files only, not the part of a failed one', async () => {
    const data = new Uint8Array(6 * 1024 * 1024).fill(1);
    const fs = new FakeFs({ '/bad': { data, failAt: 5 * 1024 * 1024 }, '/ok': { data: 'abc' } });
    const summary = await restore({ fs, paths: ['/bad', '/ok'], to: dir });
    expect(summary).toMatchObject({ bytes: 3, failed: 1, files: 1 });
  });
});

describe('sidecar names', () => {
  it('never take the place of a real entry with the same name', async () => {
    const fs = new FakeFs({ '/d/x': { data: 'x', streams: { s: 'stream' } }, '/d/x.s.ads/inner': { data: 'real dir' } });
    const summary = await restore({ fs, paths: ['/d'], to: dir });
    expect(summary.failed).toBe(0);
    expect((await readdir(join(dir, 'd'))).sort()).toEqual(['x', 'x.s (2).ads', 'x.s.ads']);
    expect(await readFile(join(dir, 'd/x.s.ads/inner'), 'utf8')).toBe('real dir');
    expect(await readFile(join(dir, 'd/x.s (2).ads'), 'utf8')).toBe('stream');
  });

  it('nor of one the walk lists later, after a subdirectory (walks that go depth first)', async () => {
    const fs = new FakeFs({ '/d/a': { data: 'a', streams: { s: 'stream' } }, '/d/a.r/inner': { data: 'i' }, '/d/a.s.ads': { data: 'real file' } });
    const walked: string[] = [];
    for await (const entry of fs.walk('/d')) walked.push(entry.path);
    expect(walked).toEqual(['/d/a', '/d/a.r', '/d/a.r/inner', '/d/a.s.ads']); // the order this test is about
    const summary = await restore({ fs, paths: ['/d'], to: dir });
    expect(summary.failed).toBe(0);
    expect(await readFile(join(dir, 'd/a.s.ads'), 'utf8')).toBe('real file');
    expect(await readFile(join(dir, 'd/a.s (2).ads'), 'utf8')).toBe('stream');
  });

  it('a sibling that cannot be looked up keeps nothing back; a bug in the lookup is not swallowed', async () => {
    const spec = { '/d/a': { data: 'a', streams: { s: 'stream' } } };
    const damaged = new FakeFs(spec);
    const stat = damaged.stat.bind(damaged);
    damaged.stat = (path) => (path === '/d/a.s.ads' ? Promise.reject(new GrtError('BAD_RECORD', 'damaged index')) : stat(path));
    expect(await restore({ fs: damaged, paths: ['/d'], to: join(dir, 'one') })).toMatchObject({ files: 2, failed: 0 });
    expect(await readFile(join(dir, 'one/d/a.s.ads'), 'utf8')).toBe('stream');
    const buggy = new FakeFs(spec);
    const stat2 = buggy.stat.bind(buggy);
    buggy.stat = (path) => (path === '/d/a.s.ads' ? Promise.reject(new TypeError('bug')) : stat2(path));
    await expect(restore({ fs: buggy, paths: ['/d'], to: join(dir, 'two') })).rejects.toThrow(TypeError);
  });
});
