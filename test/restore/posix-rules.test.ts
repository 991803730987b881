/**
 * The Linux restore rules on synthetic entries: names verbatim (`\`, `:`, `*`, `?`, newline),
 * link text verbatim (absolute or climbing) yet never followed by grt, setuid kept after the
 * owner is set, `owner: false`, `user.*` xattrs only, device nodes as root, sockets a warning.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileEntry, FileSystem } from '../../src/fs/file-system.js';
import { restore, type RestoreEvent } from '../../src/restore/index.js';
import { PosixFakeFs, type FakeSpec } from '../helpers/fake-fs.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-posix-rules-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Xattr = { name: string; value: Uint8Array };

/** A POSIX volume from a fake tree: `fields` add mode/owner/kind per path, `xattrs` its xattrs. */
function posixFs(tree: Record<string, FakeSpec>, fields: Record<string, Partial<FileEntry>> = {}, xattrs: Record<string, Xattr[]> = {}): FileSystem {
  const inner = new PosixFakeFs(tree);
  const decorate = (entry: FileEntry): FileEntry => ({ ...entry, mode: entry.type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, ...fields[entry.path] });
  const pathOf = (target: string | FileEntry) => (typeof target === 'string' ? target : target.path);
  return {
    kind: 'ext4',
    info: inner.info,
    nameRule: () => ({ kind: 'bytes' }),
    stat: async (path) => decorate(await inner.stat(path)),
    readDir: async (path, options) => (await inner.readDir(path, options)).map(decorate),
    async *walk(path, options) {
      for await (const entry of inner.walk(path, options)) yield decorate(entry);
    },
    openStream: (target, stream) => inner.openStream(pathOf(target), stream),
    streamLayout: (target, stream) => inner.streamLayout(pathOf(target), stream),
    xattrs: async (target) => xattrs[pathOf(target)] ?? [],
  };
}

async function run(fs: FileSystem, name: string, options: { owner?: boolean } = {}): Promise<{ to: string; events: RestoreEvent[]; failed: number }> {
  const to = join(dir, name);
  const events: RestoreEvent[] = [];
  const summary = await restore({ fs, paths: ['/'], to, onEvent: (e) => events.push(e), ...options });
  return { to, events, failed: summary.failed };
}

describe('restore onto Linux from a POSIX volume', () => {
  it('keeps names verbatim that Linux accepts, and makes only /, NUL, . and .. safe', async () => {
    const names = ['back\\slash', 'co:lon', 'st*ar?', 'new\nline', ' lead and trail. '];
    const tree: Record<string, FakeSpec> = {};
    for (const name of names) tree[`/${name}`] = { data: name };
    const { to, failed } = await run(posixFs(tree), 'names');
    expect(failed).toBe(0);
    expect(readdirSync(to).sort()).toEqual([...names].sort());
  });

  it('recreates link text verbatim (absolute, climbing out) and never writes through a restored link', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    const fs = posixFs({
      '/abs': { type: 'symlink', target: outside },
      '/up': { type: 'symlink', target: '../../../etc/passwd' },
      '/d': { type: 'symlink', target: outside },
      '/d/x': { data: 'must not land outside' },
    });
    const { to, events } = await run(fs, 'links');
    expect(readlinkSync(join(to, 'abs'))).toBe(outside);
    expect(readlinkSync(join(to, 'up'))).toBe('../../../etc/passwd');
    expect(readdirSync(outside)).toEqual([]);
    expect(events.find((e) => e.path === '/d/x')).toMatchObject({ type: 'failure' });
  });

  it('sets the owner as root (unless owner: false), and the mode after it, so setuid and setgid stay', async () => {
    const fields = { '/suid': { mode: 0o6755, uid: 1234, gid: 5678 }, '/sticky': { mode: 0o1777, uid: 42, gid: 42 }, '/ro': { mode: 0o500 } };
    const fs = posixFs({ '/suid': { data: 'x' }, '/sticky': {}, '/ro': {}, '/ro/inside': { data: 'y' } }, fields);
    const owned = await run(fs, 'owned');
    expect(owned.failed).toBe(0);
    const suid = lstatSync(join(owned.to, 'suid'));
    expect(suid.mode & 0o7777).toBe(0o6755);
    expect(lstatSync(join(owned.to, 'sticky')).mode & 0o7777).toBe(0o1777);
    expect(lstatSync(join(owned.to, 'ro')).mode & 0o7777).toBe(0o500); // set last: its file was written first
    expect([suid.uid, suid.gid]).toEqual(isRoot ? [1234, 5678] : [process.getuid?.(), process.getgid?.()]);
    const unowned = await run(fs, 'unowned', { owner: false });
    const plain = lstatSync(join(unowned.to, 'suid'));
    expect([plain.uid, plain.gid]).toEqual([process.getuid?.(), process.getgid?.()]);
    expect(plain.mode & 0o777).toBe(0o755);
  });

  it('sets user.* xattrs and no others', async () => {
    const value = (text: string) => new TextEncoder().encode(text);
    const fs = posixFs({ '/f': { data: 'x' } }, {}, { '/f': [{ name: 'user.comment', value: value('hello') }, { name: 'trusted.secret', value: value('no') }, { name: 'security.selinux', value: value('no') }] });
    const { to, failed } = await run(fs, 'xattrs');
    expect(failed).toBe(0);
    let dump: string;
    try {
      dump = execFileSync('getfattr', ['-d', '-m', '-', '--absolute-names', join(to, 'f')], { encoding: 'utf8' });
    } catch {
      return; // no getfattr here: the restore warned instead (see the events)
    }
    expect(dump).toContain('user.comment="hello"');
    expect(dump).not.toContain('trusted.secret');
  });

  it('makes a FIFO, and device nodes as root from their numbers; a socket, or a device without root, is a warning', async () => {
    const fields: Record<string, Partial<FileEntry>> = {
      '/fifo': { type: 'other', kind: 'fifo', mode: 0o640 },
      '/null': { type: 'other', kind: 'chardev', mode: 0o666, details: { deviceMajor: 1, deviceMinor: 3 } },
      '/sock': { type: 'other', kind: 'socket', mode: 0o755 },
    };
    const fs = posixFs({ '/fifo': { data: '' }, '/null': { data: '' }, '/sock': { data: '' } }, fields);
    const { to, events, failed } = await run(fs, 'special');
    expect(failed).toBe(0);
    const fifo = lstatSync(join(to, 'fifo'));
    expect(fifo.isFIFO()).toBe(true);
    expect(fifo.mode & 0o7777).toBe(0o640);
    if (isRoot) {
      const node = lstatSync(join(to, 'null'));
      expect(node.isCharacterDevice()).toBe(true);
      expect(node.rdev).toBe(lstatSync('/dev/null').rdev);
    } else {
      expect(events.find((e) => e.path === '/null')).toMatchObject({ type: 'warning', code: 'UNSUPPORTED' });
    }
    expect(events.find((e) => e.path === '/sock')).toMatchObject({ type: 'warning', code: 'UNSUPPORTED' });
    expect(readdirSync(to)).not.toContain('sock');
  });
});
