/**
 * End to end: --raw-wof on grt-ls and grt-extract reads WOF (Compact OS) files as stored — the
 * sparse unnamed stream and the WofCompressedData stream — through openImage's plumbing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as ls } from '../../src/cli/grt-ls.js';

const DIR = resolve(__dirname, '../../test-images/wof');
const IMAGE = join(DIR, 'wof.vmdk');
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { files: { path: string; size: number; sha256: string; streamBytes: number }[] };
const lzx = manifest.files.find((f) => f.path === '/formats/lzx.exe')!;
const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

function collect() {
  const out: Uint8Array[] = [];
  return { out, bytes: () => Buffer.concat(out), stream: { write: (c: string | Uint8Array) => (out.push(Buffer.from(c)), true) } };
}

describe('--raw-wof', () => {
  it('grt-ls lists the WofCompressedData stream beside the plaintext size', async () => {
    const stdout = collect();
    expect(await ls([IMAGE, lzx.path, '--json', '--raw-wof'], { stdout: stdout.stream, stderr: collect().stream })).toBe(0);
    const row = JSON.parse(stdout.bytes().toString()) as { size: number; streams: { name: string; size: number }[] };
    expect(row.size).toBe(lzx.size);
    expect(row.streams).toContainEqual({ name: 'WofCompressedData', size: lzx.streamBytes });
    const plain = collect();
    expect(await ls([IMAGE, lzx.path, '--json'], { stdout: plain.stream, stderr: collect().stream })).toBe(0);
    expect((JSON.parse(plain.bytes().toString()) as typeof row).streams).toEqual([]);
  });

  it('grt-extract --stdout gives the stored bytes: zeros for the sparse stream, the chunks for WofCompressedData', async () => {
    const main = collect();
    expect(await extract([IMAGE, lzx.path, '--stdout', '--raw-wof'], { stdout: main.stream, stderr: collect().stream })).toBe(0);
    expect(main.bytes().length).toBe(lzx.size);
    expect(main.bytes().every((b) => b === 0)).toBe(true);
    const chunks = collect();
    expect(await extract([IMAGE, `${lzx.path}:WofCompressedData`, '--stdout', '--raw-wof'], { stdout: chunks.stream, stderr: collect().stream })).toBe(0);
    expect(chunks.bytes().length).toBe(lzx.streamBytes);
    const plain = collect();
    expect(await extract([IMAGE, lzx.path, '--stdout'], { stdout: plain.stream, stderr: collect().stream })).toBe(0);
    expect(sha(plain.bytes())).toBe(lzx.sha256);
  });
});
