/**
 * The catalog through the CLIs on the committed NTFS images: grt-catalog builds and exports,
 * grt-ls --catalog lists exactly what listing the image gives, grt-extract --catalog restores
 * exactly what a restore from the image gives, and a catalog of another image is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main as ls } from '../../src/cli/grt-ls.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as catalogCmd } from '../../src/cli/grt-catalog.js';

const IMAGES = resolve(__dirname, '../../test-images/ntfs');
const BASE = join(IMAGES, 'ntfs-mbr.vmdk');
const CHILD = join(IMAGES, 'ntfs-mbr-child2.vmdk');

function collect() {
  const out: (string | Uint8Array)[] = [];
  return { out, stream: { write: (c: string | Uint8Array) => (out.push(typeof c === 'string' ? c : Uint8Array.from(c)), true) } };
}
async function run(command: typeof ls, argv: string[]) {
  const stdout = collect();
  const stderr = collect();
  const code = await command(argv, { stdout: stdout.stream, stderr: stderr.stream });
  const text = (o: typeof stdout) => o.out.map((c) => (typeof c === 'string' ? c : Buffer.from(c).toString('latin1'))).join('');
  return { code, stdout: text(stdout), stderr: text(stderr), bytes: Buffer.concat(stdout.out.map((c) => Buffer.from(c))) };
}
const rows = (text: string) => text.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const byPath = (a: Record<string, unknown>, b: Record<string, unknown>) => (String(a.path) < String(b.path) ? -1 : String(a.path) > String(b.path) ? 1 : 0);

/** Every file under `root`: relative path → bytes, mtime and kind (what a restore produced). */
async function tree(root: string): Promise<Map<string, { kind: string; bytes?: string; mtimeMs: number; size: number; nlink?: number }>> {
  const out = new Map<string, { kind: string; bytes?: string; mtimeMs: number; size: number; nlink?: number }>();
  const visit = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const full = join(dir, name);
      const st = await lstat(full);
      const key = `${rel}/${name}`;
      if (st.isDirectory()) {
        out.set(key, { kind: 'dir', mtimeMs: st.mtimeMs, size: 0 });
        await visit(full, key);
      } else if (st.isFile()) {
        out.set(key, { kind: 'file', bytes: (await readFile(full)).toString('base64'), mtimeMs: st.mtimeMs, size: st.size, nlink: st.nlink });
      } else if (st.isSymbolicLink()) {
        out.set(key, { kind: 'symlink', bytes: await readlink(full), mtimeMs: st.mtimeMs, size: st.size });
      } else {
        out.set(key, { kind: 'other', mtimeMs: st.mtimeMs, size: st.size });
      }
    }
  };
  await visit(root, '');
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-catalog-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(BASE))('catalog CLIs on the committed NTFS images', () => {
  for (const [label, image] of [['ntfs-mbr', BASE], ['chain child2', CHILD]] as const) {
    describe(label, () => {
      let catalog: string;
      beforeAll(async () => {
        catalog = join(dir, `${label.replace(/ /g, '-')}.grtc`);
        const res = await run(catalogCmd, [image, '-o', catalog, '--json']);
        expect(res.stderr).toBe('');
        expect(res.code).toBe(0);
        const summary = JSON.parse(res.stdout);
        expect(summary.catalog).toBe(catalog);
        expect(summary.bytes).toBe((await stat(catalog)).size);
        expect(summary.volumes).toHaveLength(1);
        expect(summary.volumes[0].index).toBe(1);
        expect(summary.volumes[0].entries).toBeGreaterThan(1000);
        expect(typeof summary.seconds).toBe('number');
      }, 60_000);

      for (const flags of [['-R'], ['-R', '--all', '--deleted'], ['/links'], ['/']]) {
        it(`grt-ls --catalog ${flags.join(' ')} --json gives the image's rows`, async () => {
          const live = await run(ls, [image, ...flags, '--json']);
          const fromCatalog = await run(ls, ['--catalog', catalog, ...flags, '--json']);
          expect(live.code).toBe(0);
          expect(fromCatalog.code).toBe(0);
          const a = rows(live.stdout).sort(byPath);
          const b = rows(fromCatalog.stdout).sort(byPath);
          expect(b.length).toBeGreaterThan(0);
          expect(b).toEqual(a);
        }, 30_000);
      }

      it('grt-ls --find matches names anywhere, and whole paths when the glob has a /', async () => {
        const byName = rows((await run(ls, ['--catalog', catalog, '--find', 'A.TXT', '--json'])).stdout).map((r) => r.path);
        expect(byName).toContain('/frag/a.txt');
        expect(byName.every((p) => String(p).toLowerCase().endsWith('/a.txt'))).toBe(true);
        const txt = (await run(ls, ['--catalog', catalog, '--find', '/frag/*.txt'])).stdout.trimEnd().split('\n').sort();
        expect(txt).toEqual(['/frag/a.txt', '/frag/b.txt', '/frag/c.txt']);
        // The same search over the live image gives the same rows.
        for (const glob of ['*.txt', '/links/*', '**/*.bin']) {
          const live = rows((await run(ls, [image, '--find', glob, '--json'])).stdout).sort(byPath);
          const cat = rows((await run(ls, ['--catalog', catalog, '--find', glob, '--json'])).stdout).sort(byPath);
          expect(cat.length, glob).toBeGreaterThan(0);
          expect(cat, glob).toEqual(live);
        }
      }, 30_000);

      it('grt-extract --catalog restores what a restore from the image gives (bytes, streams, times)', async () => {
        const paths = ['/frag', '/links', '/streams', '/names', '/compressed', '/sparse', '/chain', '/hardlink-in-root.txt'];
        const fromImage = join(dir, `${label}-image-out`);
        const fromCatalog = join(dir, `${label}-catalog-out`);
        const a = await run(extract, [image, ...paths, '-o', fromImage]);
        const b = await run(extract, ['--catalog', catalog, image, ...paths, '-o', fromCatalog]);
        expect(b.code).toBe(a.code);
        const expected = await tree(fromImage);
        expect(expected.size).toBeGreaterThan(20);
        expect([...expected.keys()]).toContain('/streams/file-with-streams.txt.big.ads');
        expect([...expected.values()].some((f) => f.kind === 'symlink')).toBe(true);
        expect([...expected.values()].some((f) => (f.nlink ?? 1) > 1)).toBe(true); // hard links restored as links
        expect(await tree(fromCatalog)).toEqual(expected);
        // --stdout through the catalog too.
        const one = await run(extract, ['--catalog', catalog, image, '/frag/b.txt', '--stdout']);
        expect(one.code).toBe(0);
        expect(one.bytes.equals(await readFile(join(fromImage, 'frag/b.txt')))).toBe(true);
      }, 60_000);

      it('grt-catalog --format bodyfile / ndjson export the catalog', async () => {
        const body = await run(catalogCmd, [catalog, '--format', 'bodyfile']);
        expect(body.code).toBe(0);
        const lines = body.stdout.trimEnd().split('\n');
        expect(lines.length).toBeGreaterThan(1000);
        for (const line of lines) expect(line.split('|'), line).toHaveLength(11);
        expect(lines.some((l) => l.split('|')[1] === '/frag/a.txt')).toBe(true);
        const nd = await run(catalogCmd, [catalog, '--format', 'ndjson', '--partition', '1']);
        expect(nd.code).toBe(0);
        const listed = rows(nd.stdout);
        expect(listed.every((r) => r.volume === 1)).toBe(true);
        expect(listed.find((r) => r.path === '/frag/a.txt')?.size).toBe(50800);
      }, 30_000);
    });
  }

  it('a catalog of another image is refused with one CATALOG_MISMATCH line, exit 2', async () => {
    const catalog = join(dir, 'child2-for-mismatch.grtc');
    expect((await run(catalogCmd, [CHILD, '-o', catalog])).code).toBe(0);
    const out = join(dir, 'mismatch-out');
    const res = await run(extract, ['--catalog', catalog, BASE, '/frag', '-o', out]);
    expect(res.code).toBe(2);
    expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^grt-extract: .*CATALOG_MISMATCH/);
    expect(existsSync(out)).toBe(false);
  }, 30_000);

  it('usage mistakes exit 2 with one line', async () => {
    const notCatalog = join(dir, 'not-a-catalog.bin');
    await writeFile(notCatalog, 'hello');
    for (const [command, argv] of [
      [catalogCmd, [BASE]],
      [catalogCmd, [BASE, '--format', 'ndjson']],
      [catalogCmd, [BASE, '-o', join(dir, 'x.grtc'), '--format', 'csv']],
      [catalogCmd, [join(dir, 'missing.grtc'), '--format', 'ndjson']],
      [catalogCmd, [dir, '-o', join(dir, 'y.grtc')]],
      [ls, ['--catalog', notCatalog]],
      [ls, ['--catalog', join(dir, 'missing.grtc'), '--find', '*', '/frag']],
      [extract, ['--catalog', join(dir, 'missing.grtc'), BASE, '--disk', '-o', join(dir, 'd.raw')]],
    ] as const) {
      const res = await run(command, [...argv]);
      expect(res.code, argv.join(' ')).toBe(2);
      expect(res.stderr.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });
});
