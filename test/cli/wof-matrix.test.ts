/**
 * The WOF done-when matrix, end to end through the commands: every format (XPRESS4K/8K/16K, LZX)
 * restores to its plaintext from the sparse and the streamOptimized VMDK of test-images/wof, by
 * path, by glob, with --stdout and through a catalog (grt-catalog, then grt-extract --catalog);
 * and the files' owners, groups and DACLs are listed, and the owners and groups cataloged.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as catalogCmd } from '../../src/cli/grt-catalog.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as ls } from '../../src/cli/grt-ls.js';

const DIR = resolve(__dirname, '../../test-images/wof');
interface WofFile { path: string; format: string; sha256: string; damaged: boolean }
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { files: WofFile[] };
const FORMATS = ['XPRESS4K', 'XPRESS8K', 'XPRESS16K', 'LZX'];
/** One file of each format, from /formats. */
const byFormat = FORMATS.map((format) => manifest.files.find((f) => f.format === format && f.path.startsWith('/formats/') && !f.damaged)!);
const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const name = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

function collect() {
  const out: Uint8Array[] = [];
  return { out, text: () => Buffer.concat(out).toString(), stream: { write: (c: string | Uint8Array) => (out.push(Buffer.from(c)), true) } };
}

type Way = 'path' | 'glob' | 'stdout' | 'catalog';
const WAYS: Way[] = ['path', 'glob', 'stdout', 'catalog'];

for (const image of ['wof.vmdk', 'wof-stream.vmdk']) {
  describe(`WOF formats × ways of restoring, from ${image}`, () => {
    let work: string;
    let catalog: string;
    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'grt-wof-matrix-'));
      catalog = join(work, 'wof.grtcat');
      const err = collect();
      expect(await catalogCmd([join(DIR, image), '-o', catalog], { stdout: collect().stream, stderr: err.stream }), err.text()).toBe(0);
    });
    afterAll(() => rm(work, { recursive: true, force: true }));

    it('has a file of every format', () => expect(byFormat.every(Boolean)).toBe(true));

    for (const format of FORMATS) {
      for (const way of WAYS) {
        it(`${format} ${way}`, async () => {
          const f = byFormat[FORMATS.indexOf(format)]!;
          const out = join(work, `${format}-${way}`);
          // A glob matching this one file: its extension replaced by '*'.
          const glob = f.path.replace(/\.[^./]*$/, '.*');
          const args: Record<Way, string[]> = {
            path: [join(DIR, image), f.path, '-o', out],
            glob: [join(DIR, image), glob, '-o', out],
            stdout: [join(DIR, image), f.path, '--stdout'],
            catalog: ['--catalog', catalog, join(DIR, image), f.path, '--stdout'],
          };
          const stdout = collect();
          const err = collect();
          expect(await extract(args[way], { stdout: stdout.stream, stderr: err.stream }), err.text()).toBe(0);
          const bytes = way === 'stdout' || way === 'catalog' ? Buffer.concat(stdout.out) : await readFile(join(out, name(f.path)));
          expect(sha(bytes)).toBe(f.sha256);
        });
      }
    }

    it('lists owner, group and DACL of every WOF file, and the catalog keeps owner and group', async () => {
      const rows = async (args: string[]) => {
        const stdout = collect();
        expect(await ls(args, { stdout: stdout.stream, stderr: collect().stream })).toBe(0);
        return stdout.text().trim().split('\n').map((line) => JSON.parse(line) as { path: string; owner?: string; group?: string; dacl?: unknown[] });
      };
      const fromImage = await rows([join(DIR, image), '/formats', '--json', '--security']);
      const fromCatalog = await rows(['--catalog', catalog, '/formats', '--json', '--security']);
      for (const f of byFormat) {
        const listed = fromImage.find((r) => r.path === f.path);
        expect(listed?.owner, f.path).toMatch(/^S-1-5-/);
        expect(listed?.group, f.path).toMatch(/^S-1-5-/);
        expect(Array.isArray(listed?.dacl) && listed.dacl.length > 0, f.path).toBe(true);
        const cataloged = fromCatalog.find((r) => r.path === f.path);
        expect([cataloged?.owner, cataloged?.group], f.path).toEqual([listed?.owner, listed?.group]);
      }
    });
  });
}
