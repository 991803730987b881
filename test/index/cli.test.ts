/** grt-index as a command: JSON rows of each subcommand, readable text, one-line errors and exit codes. */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/grt-index.js';
import { catalogOf, day, type Tree } from './catalogs.js';

let dir = '';
const db = () => join(dir, 'cli.sqlite');

async function grtIndex(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--db', db()], {
    stdout: { write: (c) => (out.push(String(c)), true) },
    stderr: { write: (c) => (err.push(String(c)), true) },
    env: {},
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const rows = (text: string) => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grt-index-cli-'));
  const trees: Tree[] = [
    { '/Users/a/budget.xlsx': { data: 'one', time: day(1) }, '/Users/a/old.txt': { data: 'x', time: day(1) } },
    { '/Users/a/budget.xlsx': { data: 'two!', time: day(2) }, '/Users/a/new.txt': { data: 'y', time: day(2) } },
  ];
  for (const [i, tree] of trees.entries()) {
    const path = join(dir, `b${i}.grtcat`);
    writeFileSync(path, await catalogOf(tree));
    const time = new Date(Date.UTC(2024, 2, 1 + i));
    utimesSync(path, time, time);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('grt-index', () => {
  it('add, list, find, versions, diff, remove, stats with --json rows', async () => {
    expect((await grtIndex('add', join(dir, 'b0.grtcat'), '--backup', 'mon', '--vm', 'pc1', '--json')).code).toBe(0);
    const second = await grtIndex('add', join(dir, 'b1.grtcat'), '--backup', 'tue', '--vm', 'pc1', '--image', '/backups/tue.vmdk', '--json');
    expect(rows(second.stdout)).toEqual([{ backup: 'tue', vm: 'pc1', added: true, files: 2 }]);
    const list = rows((await grtIndex('list', '--json')).stdout);
    expect(list.map((r) => [r.backup, r.vm, r.time, r.files])).toEqual([['tue', 'pc1', '2024-03-02T00:00:00.000000Z', 2], ['mon', 'pc1', '2024-03-01T00:00:00.000000Z', 2]]);
    const find = rows((await grtIndex('find', '*.XLSX', '--json')).stdout);
    expect(find.map((r) => [r.backup, r.path, r.size])).toEqual([['tue', '/Users/a/budget.xlsx', 4], ['mon', '/Users/a/budget.xlsx', 3]]);
    expect(Object.keys(find[0]!)).toEqual(expect.arrayContaining(['backup', 'vm', 'time', 'volume', 'path', 'size', 'mtime']));
    expect(rows((await grtIndex('find', '--name', 'budget.xlsx', '--min-size', '4', '--json')).stdout).map((r) => r.backup)).toEqual(['tue']);
    expect(rows((await grtIndex('find', '*', '--until', '2024-03-01T12:00:00Z', '--json')).stdout).every((r) => r.backup === 'mon')).toBe(true);
    const versions = rows((await grtIndex('versions', '/Users/a/budget.xlsx', '--json')).stdout);
    expect(versions.map((v) => [v.size, v.backups])).toEqual([[4, ['tue']], [3, ['mon']]]);
    const diff = rows((await grtIndex('diff', 'mon', 'tue', '--json')).stdout);
    expect(diff).toEqual(expect.arrayContaining([
      { change: 'added', path: '/Users/a/new.txt', volume: 1, type: 'file' },
      { change: 'removed', path: '/Users/a/old.txt', volume: 1, type: 'file' },
      { change: 'changed', path: '/Users/a/budget.xlsx', volume: 1, type: 'file' },
    ]));
    expect(diff.at(-1)).toMatchObject({ added: 1, removed: 1 });
    expect((await grtIndex('diff', 'mon', 'tue')).stdout).toMatch(/^~ 1:\/Users\/a\/budget.xlsx$/m);
    expect(rows((await grtIndex('stats', '--json')).stdout)[0]).toMatchObject({ backups: 2, vms: [{ vm: 'pc1', backups: 2 }] });
    expect((await grtIndex('remove', 'mon')).code).toBe(0);
    expect(rows((await grtIndex('list', '--json')).stdout).map((r) => r.backup)).toEqual(['tue']);
  });

  it('default backup id and time come from the catalog; adding it again is a no-op', async () => {
    const first = rows((await grtIndex('add', join(dir, 'b0.grtcat'), '--json')).stdout)[0]!;
    expect(first.backup).toMatch(/^b-[0-9a-f]{16}$/);
    expect(first.vm).toBe('disk-00000000000000aa');
    expect(rows((await grtIndex('add', join(dir, 'b0.grtcat'), '--json')).stdout)[0]).toMatchObject({ added: false });
    expect(rows((await grtIndex('list', '--vm', 'disk-00000000000000aa', '--json')).stdout)[0]).toMatchObject({ time: '2024-03-01T00:00:00.000000Z' });
  });

  it('mistakes are one line on stderr and exit 2', async () => {
    for (const argv of [['nosuch'], ['find'], ['add', join(dir, 'missing.grtcat')], ['remove', 'nobody'], ['find', '*', '--since', 'yesterday']]) {
      const result = await grtIndex(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^grt-index: [^\n]+\n$/);
    }
  });
});
