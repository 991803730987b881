/**
 * A restored symlink must not lead outside the output directory through links that are already on
 * disk there (issue 14, item 7): `out/a -> /tmp/victim` existed, and a restored `rel ->
 * a/victim-file` passed the text rules. Link targets are checked against the real directories and
 * links (linkEscape), and the output directory is made by grt one level at a time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lstat, mkdir, mkdtemp, readdir, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { restore, type RestoreEvent } from '../../src/restore/restore.js';
import { linkEscape } from '../../src/restore/target.js';
import { makeOutputDir } from '../../src/restore/output-dir.js';
import { FakeFs } from '../helpers/fake-fs.js';

let dir: string;
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'grt-link-escape-')));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('restored links and links already in the output', () => {
  it('a link through an existing out/a -> outside is not created; the others are', async () => {
    const victim = join(dir, 'victim');
    const out = join(dir, 'out');
    await mkdir(victim);
    await mkdir(join(out, 'inside'), { recursive: true });
    await symlink(victim, join(out, 'a'));
    await symlink('inside', join(out, 'b')); // a link that stays inside
    const fs = new FakeFs({
      '/rel': { type: 'symlink', target: 'a/victim-file' },
      '/rel2': { type: 'symlink', target: 'a' },
      '/ok': { type: 'symlink', target: 'b/file' },
      '/sub/deep': { type: 'symlink', target: '../a/x' },
    });
    const events: RestoreEvent[] = [];
    const summary = await restore({ fs, paths: ['/'], to: out, onEvent: (e) => events.push(e) });
    const warned = events.filter((e) => e.type === 'warning').map((e) => e.path).sort();
    expect(warned).toEqual(['/rel', '/rel2', '/sub/deep']);
    expect(summary.links).toBe(1);
    expect(await readlink(join(out, 'ok'))).toBe('b/file');
    expect(await readdir(out)).toEqual(expect.not.arrayContaining(['rel', 'rel2']));
    expect(await readdir(victim)).toEqual([]);
  });

  it('links restored in the same run still point at each other (a chain inside the root)', async () => {
    const fs = new FakeFs({
      '/d/file': { data: 'x' },
      '/d/b': { type: 'symlink', target: 'sub' },
      '/d/sub/f': { data: 'y' },
      '/d/c': { type: 'symlink', target: 'b/f' },
    });
    const summary = await restore({ fs, paths: ['/d'], to: join(dir, 'out') });
    expect(summary.warnings).toBe(0);
    expect(await readlink(join(dir, 'out/d/c'))).toBe('b/f');
  });

  it('linkEscape: follows absolute and relative links on disk, bounded on loops', async () => {
    const root = join(dir, 'root');
    await mkdir(join(root, 'x'), { recursive: true });
    await symlink(join(root, 'x'), join(root, 'abs-in'));
    await symlink('/etc', join(root, 'abs-out'));
    await symlink('loop2', join(root, 'loop1'));
    await symlink('loop1', join(root, 'loop2'));
    await symlink('../..', join(root, 'x', 'up2'));
    expect(linkEscape(root, 'abs-in/file', root)).toBeUndefined();
    expect(linkEscape(root, 'abs-out/passwd', root)).toMatch(/outside the restore root/);
    expect(linkEscape(root, 'loop1/f', root)).toMatch(/too many symbolic links/);
    expect(linkEscape(join(root, 'x'), 'up2/y', root)).toMatch(/outside/);
    expect(linkEscape(root, 'missing/../../z', root)).toBeUndefined(); // text rules refuse this shape first
    expect(linkEscape(root, '..', root)).toMatch(/outside/);
  });

  it('property: no link restored next to random existing links leads outside the root', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('..', '../..', 'b', 'c/..', '/etc', 'a/b', '.')), { maxLength: 4 }),
        fc.array(fc.tuple(fc.constantFrom('p', 'q'), fc.constantFrom('a', 'a/x', 'b/c/x', 'c/../a', 'x', 'b/../../y')), { minLength: 1, maxLength: 4 }),
        async (existing, restored) => {
          const work = await mkdtemp(join(dir, 'p-'));
          const out = join(work, 'out');
          await mkdir(out);
          for (const [name, target] of existing) await symlink(target, join(out, name)).catch(() => undefined);
          const spec: Record<string, { type: 'symlink'; target: string }> = {};
          for (const [name, target] of restored) spec[`/${name}`] = { type: 'symlink', target };
          await restore({ fs: new FakeFs(spec), paths: ['/'], to: out, overwrite: 'skip-existing' });
          for (const name of ['p', 'q']) {
            const made = await lstat(join(out, name)).catch(() => undefined);
            if (!made?.isSymbolicLink()) continue;
            // What the new link reaches now, one more component below it, must be inside the root.
            expect(linkEscape(out, `${name}/probe`, out)).toBeUndefined();
          }
          await rm(work, { recursive: true, force: true });
        },
      ),
      { seed: 7, numRuns: 60 },
    );
  });
});

describe('makeOutputDir', () => {
  it('makes missing levels, accepts a directory, names a file in the way', async () => {
    expect(makeOutputDir(join(dir, 'a/b/c'))).toBe(join(dir, 'a/b/c'));
    expect(makeOutputDir(join(dir, 'a/b/c'))).toBe(join(dir, 'a/b/c'));
    await writeFile(join(dir, 'afile'), 'x');
    expect(() => makeOutputDir(join(dir, 'afile'))).toThrow(expect.objectContaining({ code: 'NOT_A_DIRECTORY', message: expect.stringMatching(/a file stands where the output directory goes/) }));
    expect(() => makeOutputDir(join(dir, 'afile/sub'))).toThrow(expect.objectContaining({ code: 'NOT_A_DIRECTORY', message: expect.stringMatching(/afile is a file, not a directory/) }));
  });

  it.skipIf(process.platform !== 'linux')('under /proc (where mkdir says ENOENT) fails at once instead of spinning', async () => {
    const started = performance.now();
    const error = await restore({ fs: new FakeFs({ '/f': { data: 'x' } }), paths: ['/f'], to: '/proc/grt-no-such/x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IO_ERROR', message: expect.stringMatching(/cannot create the output directory.*ENOENT/) });
    expect(performance.now() - started).toBeLessThan(5000);
  }, 10_000);
});

describe('restore progress', () => {
  it('the last report has every file done: one file, and a tree with a refused link', async () => {
    const one: { filesDone: number; filesTotal: number; bytesDone: number }[] = [];
    await restore({ fs: new FakeFs({ '/f.txt': { data: 'hello' } }), paths: ['/f.txt'], to: join(dir, 'one'), onProgress: (p) => one.push(p) });
    expect(one[one.length - 1]).toEqual({ bytesDone: 5, bytesTotal: 5, filesDone: 1, filesTotal: 1 });
    const tree: { filesDone: number; filesTotal: number }[] = [];
    const fs = new FakeFs({ '/d/a': { data: 'a' }, '/d/out': { type: 'symlink', target: '../../x' }, '/d/b': { data: 'bb' } });
    await restore({ fs, paths: ['/d'], to: join(dir, 'tree'), onProgress: (p) => tree.push(p) });
    expect(tree[tree.length - 1]).toMatchObject({ filesDone: 3, filesTotal: 3 });
  });
});
