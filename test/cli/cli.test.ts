import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filetimeToNs } from '../../src/util/time.js';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as ls } from '../../src/cli/grt-ls.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as catalog } from '../../src/cli/grt-catalog.js';
import type { CliIo } from '../../src/cli/output.js';
import type { FileSystem } from '../../src/fs/file-system.js';
import { FakeFs } from '../helpers/fake-fs.js';
import { fakeDisk, fakeImage } from './fake-image.js';

class Sink {
  chunks: (string | Uint8Array)[] = [];
  isTTY = false;
  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(typeof chunk === 'string' ? chunk : Uint8Array.from(chunk));
    return true;
  }
  get text(): string {
    return this.chunks.map((c) => (typeof c === 'string' ? c : Buffer.from(c).toString('latin1'))).join('');
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks.map((c) => Buffer.from(typeof c === 'string' ? Buffer.from(c) : c)));
  }
}

const T = filetimeToNs(132_100_000_001_234_567n);
function tree(): FakeFs {
  return new FakeFs({
    '/Users/bob/notes.txt': { data: 'hello bob', time: T, streams: { 'Zone.Identifier': '[ZoneTransfer]' } },
    '/Users/bob/link': { type: 'symlink', target: 'notes.txt' },
    '/Users/bob/old.txt': { data: 'gone', deleted: true },
    '/readme.md': { data: '# hi' },
  });
}

function run(command: typeof ls, argv: string[], fileSystems: FileSystem[] = [tree()], diskBytes = new Uint8Array(1 << 20)) {
  const stdout = new Sink();
  const stderr = new Sink();
  const io: CliIo = { stdout, stderr, openImage: async () => fakeImage(fakeDisk(diskBytes), fileSystems) };
  return command(argv, io).then((code) => ({ code, stdout, stderr }));
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('argument errors: exit 2 and one line', () => {
  const cases: [typeof ls, string[]][] = [
    [ls, []],
    [ls, ['img', '--bogus']],
    [ls, ['img', '--partition', 'x']],
    [ls, ['img', '--info', '/path']],
    [extract, ['img', '/a']],
    [extract, ['img', '/a', '-o', 'x', '--overwrite', '--skip-existing']],
    [extract, ['img', '/a', '-o', 'x', '--streams=maybe']],
    [extract, ['img', '/a', '/b', '--stdout']],
    [extract, ['img', '--disk', '/a', '-o', 'x']],
    [extract, ['img', '/a/../b', '-o', 'x']],
    [catalog, []],
    [catalog, ['build', 'img', '-o', 'c']],
  ];
  it.each(cases.map(([c, a]) => [c === ls ? 'grt-ls' : c === extract ? 'grt-extract' : 'grt-catalog', a.join(' '), c, a] as const))('%s %s', async (name, _text, command, argv) => {
    const { code, stderr, stdout } = await run(command, argv);
    expect(code).toBe(2);
    expect(stdout.text).toBe('');
    expect(stderr.text).toMatch(new RegExp(`^${name}: (USAGE|UNSUPPORTED): [^\\n]+\\n$`));
  });

  it('--help (or -h, whatever else is given) prints usage, exit 0', async () => {
    for (const [command, name, argv] of [[ls, 'grt-ls', ['--help']], [extract, 'grt-extract', ['img', '-h']], [catalog, 'grt-catalog', ['--help', 'x', 'y']]] as const) {
      const { code, stdout } = await run(command, [...argv]);
      expect(code).toBe(0);
      expect(stdout.text).toMatch(new RegExp(`^usage: ${name}`));
    }
  });

  it('several volumes without --partition: USAGE listing them', async () => {
    const { code, stderr } = await run(ls, ['img'], [tree(), tree()]);
    expect(code).toBe(2);
    expect(stderr.text).toMatch(/^grt-ls: USAGE: several volumes: 1 \(ntfs "FAKE", 100 MiB\), 2 .*--partition ID\n$/);
  });

  it('--partition takes a volume id: a partition number, D:N or VG/LV; NOT_FOUND names the ids', async () => {
    const second = await run(ls, ['img', '--partition', '2', '/Users/bob'], [tree(), tree()]);
    expect(second.code).toBe(0);
    expect(second.stdout.text).toBe('notes.txt\nlink\n');
    for (const id of ['vg0/root', '2:1']) {
      const missing = await run(ls, ['img', '--partition', id], [tree(), tree()]);
      expect(missing.code).toBe(2);
      expect(missing.stderr.text).toBe(`grt-ls: NOT_FOUND: no partition ${id}; volumes: 1 (ntfs "FAKE", 100 MiB), 2 (ntfs "FAKE", 100 MiB)\n`);
    }
    const bad = await run(ls, ['img', '--partition', 'two words']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.text).toMatch(/USAGE: --partition takes a volume id/);
  });
});

describe('grt-ls', () => {
  it('lists a directory, long and recursive', async () => {
    expect((await run(ls, ['img', '/Users/bob'])).stdout.text).toBe('notes.txt\nlink\n');
    const long = (await run(ls, ['img', '/users/BOB', '-l'])).stdout.text.split('\n');
    expect(long[0]).toMatch(/^- +9 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d notes\.txt$/);
    expect(long[1]).toMatch(/^l +0 .* link -> notes\.txt$/);
    const rec = await run(ls, ['img', '-R', '--deleted']);
    // The file system's walk order: each directory before its contents.
    expect(rec.stdout.text).toBe('Users/\nUsers/bob/\nUsers/bob/notes.txt\nUsers/bob/link\nUsers/bob/old.txt (deleted)\nreadme.md\n');
  });

  it('--json: one object per line with the documented fields', async () => {
    const { code, stdout } = await run(ls, ['img', '/Users/bob', '--json']);
    expect(code).toBe(0);
    const lines = stdout.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      path: '/Users/bob/notes.txt', name: 'notes.txt', type: 'file', size: 9,
      mtime: '2019-08-11T12:26:40.123456700Z', atime: '2019-08-11T12:26:40.123456700Z', ctime: '2019-08-11T12:26:40.123456700Z', btime: '2019-08-11T12:26:40.123456700Z',
      attributes: 0x20, streams: [{ name: 'Zone.Identifier', size: 14 }], links: 1, mft: { record: expect.any(Number), sequence: 1 }, warnings: [],
    });
    expect(lines[1]).toMatchObject({ type: 'symlink', target: 'notes.txt' });
  });

  it('a missing path: exit 2, one line', async () => {
    const { code, stderr } = await run(ls, ['img', '/nope']);
    expect(code).toBe(2);
    expect(stderr.text).toMatch(/^grt-ls: NOT_FOUND: [^\n]+\n$/);
  });

  it('--info --json shape', async () => {
    const { code, stdout } = await run(ls, ['img', '--info', '--json']);
    expect(code).toBe(0);
    const info = JSON.parse(stdout.text);
    expect(info.image).toMatchObject({ path: '/images/fake.vmdk', format: 'vmdk', createType: 'monolithicSparse', capacity: 1 << 20, cid: '0a0b0c0d', parentCid: 'ffffffff' });
    expect(info.image.chain).toEqual([{ path: '/images/fake.vmdk', cid: '0a0b0c0d', parentCid: 'ffffffff', createType: 'monolithicSparse' }]);
    expect(info.partitions[0]).toEqual({ id: '1', index: 1, scheme: 'gpt', start: 1048576, size: 104857600, type: 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7', typeName: 'Microsoft basic data', name: 'part1', fs: 'ntfs', label: 'FAKE' });
    const text = (await run(ls, ['img', '--info'])).stdout.text;
    expect(text).toMatch(/partitions \(gpt, 512-byte sectors\):/);
    expect(text).toMatch(/ +1 +2048 +206847 +204800 +100 MiB +ntfs +Microsoft basic data/);
  });
});

describe('grt-extract', () => {
  it('restores a tree, prints a summary, --json events', async () => {
    const out = join(dir, 'out');
    const { code, stderr } = await run(extract, ['img', '/Users/bob', '-o', out]);
    expect(code).toBe(0);
    expect((await readdir(join(out, 'bob'))).sort()).toEqual(['link', 'notes.txt', 'notes.txt.Zone.Identifier.ads']);
    expect(stderr.text).toMatch(/^grt-extract: 2 files, 1 directories, 1 links/);
    const json = await run(extract, ['img', '/readme.md', '-o', out, '--json']);
    const events = json.stdout.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(['file', 'summary']);
    expect(events[1].summary).toMatchObject({ files: 1, failed: 0, bytes: 4 });
  });

  it('exit 1 when some files fail (existing target)', async () => {
    const out = join(dir, 'out');
    await run(extract, ['img', '/readme.md', '-o', out]);
    const again = await run(extract, ['img', '/readme.md', '/Users/bob/notes.txt', '-o', out]);
    expect(again.code).toBe(1);
    expect(again.stderr.text).toMatch(/^grt-extract: \/readme\.md: EXISTS: /);
    expect((await run(extract, ['img', '/readme.md', '-o', out, '--skip-existing'])).code).toBe(0);
  });

  it('--stdout writes one file or stream', async () => {
    expect((await run(extract, ['img', '/Users/bob/notes.txt', '--stdout'])).stdout.text).toBe('hello bob');
    expect((await run(extract, ['img', '/Users/bob/notes.txt:Zone.Identifier', '--stdout'])).stdout.text).toBe('[ZoneTransfer]');
  });

  it('--disk to a file keeps holes; --disk --stdout streams every byte', async () => {
    const bytes = new Uint8Array(4 << 20);
    bytes.fill(0xaa, 0, 65536);
    bytes.fill(0x55, bytes.length - 65536);
    const file = join(dir, 'disk.raw');
    const res = await run(extract, ['img', '--disk', '-o', file, '--json'], [tree()], bytes);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout.text)).toMatchObject({ type: 'summary', summary: { bytes: 131072 } });
    const st = await stat(file);
    expect(st.size).toBe(bytes.length);
    expect(st.blocks * 512).toBeLessThan(1 << 20);
    expect(Buffer.compare(await readFile(file), Buffer.from(bytes))).toBe(0);
    const piped = await run(extract, ['img', '--disk', '--stdout'], [tree()], bytes);
    expect(Buffer.compare(piped.stdout.bytes, Buffer.from(bytes))).toBe(0);
  });

  it('--disk progress ends at the disk size even when the disk ends in a hole', async () => {
    const bytes = new Uint8Array(4 << 20);
    bytes.fill(0xaa, 0, 65536); // data only in the first 64 KiB
    const stdout = new Sink();
    const stderr = new Sink();
    stderr.isTTY = true;
    const code = await extract(['img', '--disk', '-o', join(dir, 'disk.raw')], { stdout, stderr, openImage: async () => fakeImage(fakeDisk(bytes), [tree()]) });
    expect(code).toBe(0);
    const lines = stderr.text.split('\r').filter((line) => line.includes(' / '));
    expect(lines.at(-1)).toMatch(/^4(\.0)? MiB \/ 4(\.0)? MiB/);
  });

  it('walks the selection a second time for progress totals only when a progress line is shown', async () => {
    for (const isTTY of [false, true]) {
      const fs = tree();
      let walks = 0;
      const walk = fs.walk.bind(fs);
      fs.walk = (path, options) => (walks++, walk(path, options));
      const stdout = new Sink();
      const stderr = new Sink();
      stderr.isTTY = isTTY;
      const code = await extract(['img', '/Users', '-o', join(dir, `tty-${isTTY}`)], { stdout, stderr, openImage: async () => fakeImage(fakeDisk(new Uint8Array(512)), [fs]) });
      expect(code).toBe(0);
      expect(walks, `stderr is${isTTY ? '' : ' not'} a terminal`).toBe(isTTY ? 2 : 1);
      expect(await readFile(join(dir, `tty-${isTTY}/Users/bob/notes.txt`), 'utf8')).toBe('hello bob');
    }
  });

  it('interrupted (signal): exit 1, one line, nothing left under the output', async () => {
    const controller = new AbortController();
    const fs = new FakeFs({ '/big.bin': { data: new Uint8Array(9 << 20).fill(3), onRead: () => controller.abort() } });
    const stdout = new Sink();
    const stderr = new Sink();
    const out = join(dir, 'out');
    const code = await extract(['img', '/big.bin', '-o', out], { stdout, stderr, signal: controller.signal, openImage: async () => fakeImage(fakeDisk(new Uint8Array(512)), [fs]) });
    expect(code).toBe(1);
    expect(stderr.text).toBe('grt-extract: ABORTED: restore aborted\n');
    expect(await readdir(out)).toEqual([]);
  });
});
