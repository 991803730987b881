/**
 * End to end: grt-extract restores WOF (Compact OS) files as their plaintext from the sparse and
 * streamOptimized VMDKs of test-images/wof, by path, by glob and with --stdout.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as extract } from '../../src/cli/grt-extract.js';

const DIR = resolve(__dirname, '../../test-images/wof');
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { files: { path: string; size: number; sha256: string; damaged: boolean }[] };
const good = manifest.files.filter((f) => !f.damaged);
const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

function collect() {
  const out: Uint8Array[] = [];
  return { out, stream: { write: (c: string | Uint8Array) => (out.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c)), true) } };
}

for (const image of ['wof.vmdk', 'wof-stream.vmdk']) {
  describe(`grt-extract of WOF files from ${image}`, () => {
    it('restores /formats by glob and /shapes by path to their plaintext, without WofCompressedData sidecars', async () => {
      const out = await mkdtemp(join(tmpdir(), 'grt-wof-'));
      try {
        const err = collect();
        const code = await extract([join(DIR, image), '/formats/*', '/shapes', '-o', out], { stdout: collect().stream, stderr: err.stream });
        expect(Buffer.concat(err.out).toString()).not.toMatch(/error/);
        expect(code).toBe(0);
        // A glob's matches land in the output directory itself; a directory keeps its name.
        const restored = (path: string): string => join(out, path.replace(/^\/formats\//, '/'));
        for (const f of good) expect(sha(await readFile(restored(f.path))), f.path).toBe(f.sha256);
        expect((await readdir(out, { recursive: true })).filter((n) => n.includes('Wof'))).toEqual([]);
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    });

    it('streams a WOF file with --stdout', async () => {
      const f = good.find((x) => x.path === '/formats/lzx.exe')!;
      const stdout = collect();
      expect(await extract([join(DIR, image), f.path, '--stdout'], { stdout: stdout.stream, stderr: collect().stream })).toBe(0);
      expect(sha(Buffer.concat(stdout.out))).toBe(f.sha256);
    });

    it('refuses a WIM-backed file with its reason and a damaged one with a GrtError, exit 1', async () => {
      for (const path of ['/refused/wim-backed.dll', '/damaged/bad-chunk.lzx.txt']) {
        const err = collect();
        const code = await extract([join(DIR, image), path, '--stdout'], { stdout: collect().stream, stderr: err.stream });
        expect(code, path).not.toBe(0);
        expect(Buffer.concat(err.out).toString(), path).toMatch(path.includes('wim') ? /WIM image outside the volume/ : /BAD_COMPRESSED_DATA|chunk 1/);
      }
    });
  });
}

describe('a catalog of a volume with WOF files', () => {
  it('is built, lists WOF files with their real size, and a catalog restore gives their plaintext', async () => {
    const { main: catalogCmd } = await import('../../src/cli/grt-catalog.js');
    const { main: ls } = await import('../../src/cli/grt-ls.js');
    const dir = await mkdtemp(join(tmpdir(), 'grt-wof-catalog-'));
    try {
      const image = join(DIR, 'wof-stream.vmdk');
      const catalog = join(dir, 'wof.grtcat');
      const built = collect();
      const buildCode = await catalogCmd([image, '-o', catalog], { stdout: collect().stream, stderr: built.stream });
      expect(buildCode, Buffer.concat(built.out).toString()).toBe(0);
      const listed = collect();
      expect(await ls(['--catalog', catalog, '/formats', '--json'], { stdout: listed.stream, stderr: collect().stream })).toBe(0);
      const rows = Buffer.concat(listed.out).toString().trim().split('\n').map((line) => JSON.parse(line) as { path: string; size: number });
      for (const f of good.filter((x) => x.path.startsWith('/formats/'))) expect(rows.find((r) => r.path === f.path)?.size, f.path).toBe(f.size);
      const lzx = good.find((x) => x.path === '/formats/lzx.exe')!;
      const restored = collect();
      expect(await extract(['--catalog', catalog, image, lzx.path, '--stdout'], { stdout: restored.stream, stderr: collect().stream })).toBe(0);
      expect(createHash('sha256').update(Buffer.concat(restored.out)).digest('hex')).toBe(lzx.sha256);
      const plain = collect();
      expect(await extract(['--catalog', catalog, image, '/plain.txt', '--stdout'], { stdout: plain.stream, stderr: collect().stream })).toBe(0);
      expect(Buffer.concat(plain.out).toString()).toBe('plain file beside the WOF files\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
