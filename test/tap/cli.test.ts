/** grt-catalog -: the catalog of the image on standard input, with --image to read back what passed. */
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { growPipe, main, readStdin } from '../../src/cli/grt-catalog.js';
import type { CliIo } from '../../src/cli/output.js';
import { loadNativePipe } from '../../src/restore/native-pipe.js';

const ROOT = join(import.meta.dirname, '../../test-images');

async function run(argv: string[], input: Uint8Array) {
  const out: string[] = [];
  const err: string[] = [];
  async function* stdin() {
    for (let at = 0; at < input.length; at += 1 << 16) yield input.subarray(at, at + (1 << 16));
  }
  const io = { stdout: { write: (c: string) => (out.push(String(c)), true) }, stderr: { write: (c: string) => (err.push(String(c)), true) }, stdin: stdin() } as unknown as CliIo;
  const code = await main(argv, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('grt-catalog -', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grt-tap-cli-'));

  it('writes the catalog a post-pass over the file writes', async () => {
    const file = join(ROOT, 'ntfs/ntfs-mbr-stream.vmdk');
    const tapped = await run(['-', '-o', join(dir, 'tapped.grtc'), '--json'], new Uint8Array(readFileSync(file)));
    expect(tapped.code, tapped.stderr).toBe(0);
    expect(JSON.parse(tapped.stdout).volumes[0].fs).toBe('ntfs');
    const post = await run([file, '-o', join(dir, 'post.grtc')], new Uint8Array(0));
    expect(post.code, post.stderr).toBe(0);
    expect(readFileSync(join(dir, 'tapped.grtc')).equals(readFileSync(join(dir, 'post.grtc')))).toBe(true);
  });

  it('names what it is missing without --image, and reads it back with one', async () => {
    const raw = new Uint8Array(gunzipSync(readFileSync(join(ROOT, 'tap/ext4-64m.img.gz'))));
    const image = join(dir, 'ext4.img');
    writeFileSync(image, raw);
    const missing = await run(['-', '-o', join(dir, 'missing.grtc')], raw);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/MISSING_DATA: .*needs a post-pass.*give --image FILE/);
    const tapped = await run(['-', '-o', join(dir, 'ext.grtc'), '--image', image], raw);
    expect(tapped.code, tapped.stderr).toBe(0);
    expect((await run([image, '-o', join(dir, 'ext-post.grtc')], new Uint8Array(0))).code).toBe(0);
    expect(readFileSync(join(dir, 'ext.grtc')).equals(readFileSync(join(dir, 'ext-post.grtc')))).toBe(true);
  });

  it('refuses exports, a catalog over the image and --image without -', async () => {
    expect((await run(['-', '--format', 'ndjson'], new Uint8Array(0))).code).toBe(2);
    expect((await run(['-', '-o', join(dir, 'x.img'), '--image', join(dir, 'x.img')], new Uint8Array(0))).stderr).toMatch(/USAGE/);
    expect((await run([join(ROOT, 'ntfs/ntfs-mbr-stream.vmdk'), '-o', join(dir, 'y.grtc'), '--image', 'z'], new Uint8Array(0))).stderr).toMatch(/USAGE/);
  });
});

describe('readStdin', () => {
  it('yields the descriptor\'s bytes in order, a full buffer at a time, to their end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grt-tap-stdin-'));
    const bytes = randomBytes(2.5 * 1024 * 1024 + 123);
    writeFileSync(join(dir, 'in'), bytes);
    const fd = openSync(join(dir, 'in'), 'r');
    try {
      const chunks: Buffer[] = [];
      // Copied: each chunk is the one reused buffer, overwritten by the next read.
      for await (const chunk of readStdin(fd)) chunks.push(Buffer.from(chunk));
      expect(chunks.map((c) => c.length)).toEqual([1 << 20, 1 << 20, bytes.length - (2 << 20)]);
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });
});

describe('growPipe', () => {
  const pipeMax = (() => {
    try {
      return Number(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8'));
    } catch {
      return 0;
    }
  })();
  // The addon is built by `npm ci` (node-gyp); a machine without it, or whose pipe-max-size is below 1 MiB, reads 64 KiB at a time.
  const canGrow = loadNativePipe() !== undefined && pipeMax >= 1 << 20;

  it.skipIf(!canGrow)('grows a pipe to 1 MiB, so one read returns 1 MiB', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grt-tap-pipe-'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    // Opened for reading and writing (Linux): both ends in one descriptor, no other process needed.
    const fd = openSync(join(dir, 'fifo'), 'r+');
    try {
      expect(growPipe(fd)).toBe(1 << 20);
      // A 64 KiB pipe would block this write (a blocking descriptor) and return 64 KiB per read.
      const bytes = randomBytes(1 << 20);
      expect(writeSync(fd, bytes)).toBe(bytes.length);
      const read = Buffer.alloc(2 << 20);
      expect(readSync(fd, read, 0, read.length, null)).toBe(bytes.length);
      expect(read.subarray(0, bytes.length).equals(bytes)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('leaves what is not a pipe as it is, without an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grt-tap-pipe-'));
    writeFileSync(join(dir, 'file'), 'x');
    const fd = openSync(join(dir, 'file'), 'r');
    try {
      expect(growPipe(fd)).toBeUndefined();
    } finally {
      closeSync(fd);
    }
  });
});
