/**
 * A package with gzip-compressed disks (test-images/ova/vm-gzip.ova, made by make-gzip.sh with
 * gzip -9, split and tar, as `ovftool --compress` stores them): disk 1 gzip'd whole, disk 2 gzip'd
 * then split in chunks; both read in place, the manifest checked over the stored bytes.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as ls } from '../../src/cli/grt-ls.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { openImage } from '../../src/image.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { readTarIndex } from '../../src/io/sources/tar.js';
import { openOva } from '../../src/vm/ova.js';
import { localFileOpener } from '../../src/io/local-opener.js';
import { grtCodeOf } from '../helpers/grt-code.js';
import { GrtError } from '../../src/errors.js';
import { buildTar, ovfText } from './tar-builder.js';
import { countingOpener } from './counting-opener.js';
import { runCli } from '../helpers/run-cli.js';
import { startServer, type TestServer } from '../io/remote-server.js';

const IMAGES = resolve(__dirname, '../../test-images/ova');
const PATH = join(IMAGES, 'vm-gzip.ova');
interface Gzipped {
  disk1: { href: string; storedSize: number; vmdkSize: number; vmdkSha256: string };
  disk2: { href: string; storedSize: number; vmdkSize: number; vmdkSha256: string; chunks: string[] };
}
interface Manifest {
  disks: { rawSha256: string; files: { path: string; sha256: string }[] }[];
}
const gzipped = JSON.parse(await readFile(join(IMAGES, 'gzip.json'), 'utf8')) as Gzipped;
const manifest = JSON.parse(await readFile(join(IMAGES, 'manifest.json'), 'utf8')) as Manifest;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

let work: string;
let original: Uint8Array;
let http: TestServer;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'grt-ova-gzip-'));
  original = new Uint8Array(await readFile(PATH));
  http = await startServer({ '/vm-gzip.ova': original });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await http.close();
});

describe('vm-gzip.ova', () => {
  it('opens both gzip disks (one whole, one in chunks) as the VMDKs they hold, each the raw disk', async () => {
    const pkg = await openOva(localFileOpener, PATH);
    try {
      expect(pkg.disks.map((d) => [d.member, d.compression, d.chunks?.length])).toEqual([
        [gzipped.disk1.href, 'gzip', undefined],
        [gzipped.disk2.href, 'gzip', gzipped.disk2.chunks.length],
      ]);
      expect(pkg.warnings).toEqual([]);
      for (const [i, d] of pkg.disks.entries()) {
        const stored = await pkg.opener.open(d.location);
        const vmdk = await pkg.diskOpener.open(d.location);
        const expected = i === 0 ? gzipped.disk1 : gzipped.disk2;
        expect([stored.size, vmdk.size]).toEqual([expected.storedSize, expected.vmdkSize]);
        expect(sha256(await vmdk.read(0, vmdk.size))).toBe(expected.vmdkSha256);
        await stored.close();
        await vmdk.close();
      }
    } finally {
      await pkg.opener.release();
    }
    const image = await openImage(PATH);
    try {
      expect(image.disks.map((d) => d.info.createType)).toEqual(['streamOptimized', 'streamOptimized']);
      for (const [i, disk] of image.disks.entries()) expect(sha256(await disk.read(0, disk.size))).toBe(manifest.disks[i]!.rawSha256);
    } finally {
      await image.close();
    }
  });

  it('opens of one gzip disk share its decompressor; the archive closes with the last of them', async () => {
    const counting = countingOpener();
    const pkg = await openOva(counting, PATH);
    const location = pkg.disks[0]!.location;
    const first = await pkg.diskOpener.open(location);
    const end = await first.read(first.size - 512, 512);
    const before = counting.counts.bytesRead;
    const second = await pkg.diskOpener.open(location);
    // The second open reuses the first's decoder: its size, and the end without reading the member again.
    expect(await second.read(second.size - 512, 512)).toEqual(end);
    expect(counting.counts.bytesRead).toBe(before);
    await pkg.opener.release();
    await first.close();
    expect(counting.counts.closed).toBe(0);
    await second.close();
    await second.close();
    expect([counting.counts.opened, counting.counts.closed]).toEqual([1, 1]);
  });

  it('lists and restores every file of both disks bit-exact', async () => {
    const listed = await runCli(ls, [PATH, '--partition', '2:0', '/data']);
    expect(listed.stderr).toBe('');
    expect(listed.stdout.split('\n')).toContain('big.bin');
    for (const [i, disk] of manifest.disks.entries()) {
      for (const entry of disk.files) {
        const res = await runCli(extract, [PATH, '--partition', i === 0 ? '0' : '2:0', entry.path, '--stdout']);
        expect(res.stderr).toBe('');
        expect(sha256(res.bytes)).toBe(entry.sha256);
      }
    }
  });

  it('--info says which disks are stored gzip\'d and in how many chunks, in text and JSON; a plain package says nothing', async () => {
    const text = await runCli(ls, [PATH, '--info']);
    expect(text.stdout).toMatch(/^stored: +gzip-compressed \(ovf:compression="gzip"\)/m);
    const diskLines = text.stdout.split('\n').filter((l) => /^ +[12] +vmdk/.test(l));
    expect(diskLines).toHaveLength(2);
    expect(diskLines[0]).toMatch(/stored gzip-compressed .*in place$/);
    expect(diskLines[1]).toMatch(new RegExp(`stored gzip-compressed .*, in ${gzipped.disk2.chunks.length} chunks \\(ovf:chunkSize\\)$`));
    const json = JSON.parse((await runCli(ls, [PATH, '--info', '--json'])).stdout) as { image: Record<string, unknown>; disks: Record<string, unknown>[] };
    expect(json.image.compression).toBe('gzip');
    expect(json.disks.map((d) => [d.compression, d.chunks])).toEqual([['gzip', undefined], ['gzip', gzipped.disk2.chunks.length]]);
    // The fields a reader of the old output knows are all still there.
    expect(Object.keys(json.disks[0]!)).toEqual(expect.arrayContaining(['path', 'format', 'createType', 'capacity']));
    const plain = await runCli(ls, [join(IMAGES, 'vm.ova'), '--info', '--json']);
    expect(JSON.parse(plain.stdout).disks.map((d: Record<string, unknown>) => 'compression' in d || 'chunks' in d)).toEqual([false, false]);
    expect((await runCli(ls, [join(IMAGES, 'vm.ova'), '--info'])).stdout).not.toMatch(/stored/);
  });

  it('--verify checks the digests of the stored (compressed) members', async () => {
    const res = await runCli(ls, [PATH, '--verify', '--json']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; status: string });
    expect(lines.map((l) => l.name)).toEqual(['vm-gzip.ovf', gzipped.disk1.href, ...gzipped.disk2.chunks, gzipped.disk1.href, gzipped.disk2.href]);
    expect(lines.every((l) => l.status === 'ok')).toBe(true);
  });

  it('--verify decompresses each gzip disk to its end and checks its CRC32 and ISIZE, and says so', async () => {
    const text = await runCli(ls, [PATH, '--verify']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`OK        gzip    ${gzipped.disk1.href}  CRC32 and ISIZE of the ${gzipped.disk1.vmdkSize} decompressed bytes match the gzip trailer\n`);
    expect(text.stdout).toContain(`OK        gzip    ${gzipped.disk2.href}  CRC32 and ISIZE of the ${gzipped.disk2.vmdkSize} decompressed bytes match`);
  });

  it('--verify: a wrong gzip CRC32 or ISIZE fails the check even where the manifest was made from the damaged bytes', async () => {
    const index = await readTarIndex(new MemorySource(original));
    const member = (name: string) => index.find((m) => m.name === name)!;
    /** A copy with `at` (an offset in member `name`) xor'd, and the .mf's line for it made to match the damage. */
    const damaged = async (name: string, at: number): Promise<string> => {
      const bytes = original.slice();
      const m = member(name);
      bytes[m.dataOffset + at]! ^= 0x01;
      const mf = member('vm-gzip.mf');
      const text = new TextDecoder().decode(bytes.subarray(mf.dataOffset, mf.dataOffset + mf.size));
      const fixed = text.replace(new RegExp(`(SHA256\\(${name.replace(/\./g, '\\.')}\\)= )[0-9a-f]+`), `$1${sha256(bytes.subarray(m.dataOffset, m.dataOffset + m.size))}`);
      expect(fixed).not.toBe(text);
      bytes.set(new TextEncoder().encode(fixed), mf.dataOffset);
      const path = join(work, `verify-${name}-${at}.ova`);
      await writeFile(path, bytes);
      return path;
    };
    const lastChunk = gzipped.disk2.chunks[gzipped.disk2.chunks.length - 1]!;
    const cases = [
      { path: await damaged(gzipped.disk1.href, gzipped.disk1.storedSize - 8), disk: gzipped.disk1.href, says: /CRC32/ },
      { path: await damaged(lastChunk, member(lastChunk).size - 4), disk: gzipped.disk2.href, says: /ISIZE|more than/ },
    ];
    for (const c of cases) {
      const res = await runCli(ls, [c.path, '--verify', '--json']);
      expect(res.code).toBe(1);
      const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; status: string; algorithm?: string; detail?: string });
      // The manifest's digests pass (made from the damaged bytes); the gzip check alone fails.
      expect(lines.filter((l) => l.algorithm === 'SHA256').every((l) => l.status === 'ok')).toBe(true);
      const gzip = lines.filter((l) => l.algorithm === 'gzip');
      expect(gzip.map((l) => [l.name, l.status])).toEqual([gzipped.disk1.href, gzipped.disk2.href].map((n) => [n, n === c.disk ? 'mismatch' : 'ok']));
      expect(gzip.find((l) => l.name === c.disk)!.detail).toMatch(c.says);
      expect((await runCli(ls, [c.path, '--verify'])).stdout).toMatch(new RegExp(`^MISMATCH  gzip    ${c.disk.replace(/\./g, '\\.')}  `, 'm'));
    }
  });

  it('over HTTP: restores a file of the chunked gzip disk', async () => {
    const file = manifest.disks[1]!.files.find((f) => f.path === '/data/big.bin')!;
    const before = http.requests.length;
    const res = await runCli(extract, [`${http.origin}/vm-gzip.ova`, '--partition', '2:0', file.path, '--stdout']);
    expect(res.stderr).toBe('');
    expect(sha256(res.bytes)).toBe(file.sha256);
    const requests = http.requests.length - before;
    console.log(`vm-gzip.ova over HTTP: ${requests} requests to restore ${file.path}`);
    // Tar headers, descriptor, each compressed member read once in slabs: no more than the plain package.
    expect(requests).toBeLessThan(40);
  });

  it('chunks gzip\'d one by one (split, then compressed: no writer found does it) are refused with the order DSP0243 §7.1 implies', async () => {
    const plain = new Uint8Array(await readFile(join(IMAGES, 'vm.ova')));
    const member = (await readTarIndex(new MemorySource(plain))).find((m) => m.name === 'vm-disk1.vmdk')!;
    const vmdk = plain.subarray(member.dataOffset, member.dataOffset + member.size);
    const chunkSize = 32768;
    const chunks = Array.from({ length: Math.ceil(vmdk.length / chunkSize) }, (_, i) => ({ name: `d.vmdk.${String(i).padStart(9, '0')}`, data: new Uint8Array(gzipSync(vmdk.subarray(i * chunkSize, (i + 1) * chunkSize))) }));
    const ovf = ovfText(`<File ovf:href="d.vmdk" ovf:id="f1" ovf:compression="gzip" ovf:chunkSize="${chunkSize}"/>`, '<Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="2"/>');
    const path = join(work, 'per-chunk-gzip.ova');
    await writeFile(path, buildTar([{ name: 'p.ovf', data: new TextEncoder().encode(ovf) }, ...chunks]));
    const error = await openImage(path).then(
      async (image) => image.close(),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GrtError);
    expect((error as GrtError).code).toBe('BAD_DESCRIPTOR');
    expect(String((error as Error).message)).toMatch(/compressed whole and then split \(DSP0243 §7\.1\).*each gzip'd on their own/);
  });

  it('damage: a flipped byte in a compressed disk gives a GrtError or the right bytes, never other bytes', async () => {
    const member = (await readTarIndex(new MemorySource(original))).find((m) => m.name === gzipped.disk1.href)!;
    const codes: string[] = [];
    for (const at of [member.size - 8, member.size - 3, Math.floor(member.size / 2), 40]) {
      const bytes = original.slice();
      bytes[member.dataOffset + at]! ^= 0x10;
      const path = join(work, `damaged-${at}.ova`);
      await writeFile(path, bytes);
      const code = await grtCodeOf(
        openImage(path).then(async (image) => {
          try {
            expect(sha256(await image.disks[0]!.read(0, image.disks[0]!.size))).toBe(manifest.disks[0]!.rawSha256);
          } finally {
            await image.close();
          }
        }),
      );
      codes.push(code);
      if (at >= member.size - 8) {
        // The disk never reads the VMDK's last bytes; the trailer is checked when a read reaches them.
        const pkg = await openOva(localFileOpener, path);
        const vmdk = await pkg.diskOpener.open(pkg.disks[0]!.location);
        expect(await grtCodeOf(vmdk.read(0, vmdk.size))).toBe(at < member.size - 4 ? 'BAD_CHECKSUM' : 'BAD_COMPRESSED_DATA');
        await vmdk.close();
        await pkg.opener.release();
      }
    }
    expect(codes.slice(2).every((c) => c !== 'none')).toBe(true);
  });
});
