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
