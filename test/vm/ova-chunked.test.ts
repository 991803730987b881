/**
 * A package stored in chunks and signed (test-images/ova/vm-chunked.ova, made by make-chunked.sh
 * with split, tar and openssl): disk 1 joined from its chunk members; the .cert's signature of the
 * .mf checked; damaged chunk lists, manifests and signatures refused or reported.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as ls } from '../../src/cli/grt-ls.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { openImage } from '../../src/image.js';
import { ConcatSource } from '../../src/io/concat-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { readTarIndex } from '../../src/io/sources/tar.js';
import { MAX_CERT_BYTES, parseCertFile } from '../../src/vm/ova-cert.js';
import { grtCode, grtCodeOf } from '../helpers/grt-code.js';
import { runCli } from '../helpers/run-cli.js';
import { buildTar, ovfText } from './tar-builder.js';

const IMAGES = resolve(__dirname, '../../test-images/ova');
const PATH = join(IMAGES, 'vm-chunked.ova');
interface Chunked {
  disk1: { href: string; size: number; chunkSize: number; chunks: string[] };
  certificate: { subject: string; notBefore: string; notAfter: string };
}
interface Manifest {
  disks: { rawSha256: string; files: { path: string; sha256: string }[] }[];
}
const chunked = JSON.parse(await readFile(join(IMAGES, 'chunked.json'), 'utf8')) as Chunked;
const manifest = JSON.parse(await readFile(join(IMAGES, 'manifest.json'), 'utf8')) as Manifest;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const enc = (text: string) => new TextEncoder().encode(text);

let work: string;
let original: Uint8Array;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'grt-ova-chunked-'));
  original = new Uint8Array(await readFile(PATH));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

let counter = 0;
async function written(bytes: Uint8Array): Promise<string> {
  const path = join(work, `p${counter++}.ova`);
  await writeFile(path, bytes);
  return path;
}

/** A copy of the package with the member `name`'s data changed by `change` (same length). */
async function withMember(name: string, change: (data: Uint8Array) => void): Promise<string> {
  const bytes = original.slice();
  const member = (await readTarIndex(new MemorySource(bytes))).find((m) => m.name === name)!;
  change(bytes.subarray(member.dataOffset, member.dataOffset + member.size));
  return written(bytes);
}

/** Change the last hex digit of the first line (the .mf's first digest, the .cert's signature). */
function changeFirstLineEnd(data: Uint8Array): void {
  const at = data.indexOf(0x0a) - 1;
  data[at] = data[at] === 0x30 ? 0x31 : 0x30;
}

describe('an OVA whose disk is stored in chunks', () => {
  it('joins the chunks into disk 1: the raw disk, the same files', async () => {
    const image = await openImage(PATH);
    try {
      expect(image.disks[0]!.info.path).toBe(join(PATH, chunked.disk1.href));
      for (const [i, disk] of image.disks.entries()) expect(sha256(await disk.read(0, disk.size))).toBe(manifest.disks[i]!.rawSha256);
    } finally {
      await image.close();
    }
    for (const entry of manifest.disks[0]!.files) {
      const res = await runCli(extract, [PATH, '--partition', '0', entry.path, '--stdout']);
      expect(res.stderr).toBe('');
      expect(sha256(res.bytes)).toBe(entry.sha256);
    }
  });

  it('--verify checks each chunk, then the signature, and names the certificate', async () => {
    const res = await runCli(ls, [PATH, '--verify']);
    expect(res.code).toBe(0);
    for (const chunk of chunked.disk1.chunks) expect(res.stdout).toMatch(new RegExp(`^OK\\s+SHA256\\s+${chunk.replace(/\./g, '\\.')}$`, 'm'));
    expect(res.stdout).not.toMatch(/unlisted|UNLISTED/);
    const cert = res.stdout.split('\n').find((l) => l.includes('vm-chunked.cert'))!;
    expect(cert).toMatch(/^OK\s+SHA256\s+vm-chunked\.cert\s+signature of vm-chunked\.mf verified/);
    expect(cert).toContain('CN=grt OVA signing test');
    expect(cert).toContain(`valid ${chunked.certificate.notBefore} to ${chunked.certificate.notAfter}`);
    expect(cert).toContain('the certificate chain is not checked');
    const json = await runCli(ls, [PATH, '--verify', '--json']);
    const last = JSON.parse(json.stdout.trim().split('\n').pop()!) as { status: string; certificate: { signatureValid: boolean; chainChecked: boolean; notAfter: string } };
    expect(last).toMatchObject({ status: 'ok', certificate: { signatureValid: true, chainChecked: false, notAfter: chunked.certificate.notAfter } });
  });

  it('a tampered .mf fails the signature (and the digest it changed), exit 1', async () => {
    const path = await withMember('vm-chunked.mf', changeFirstLineEnd);
    const res = await runCli(ls, [path, '--verify']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^MISMATCH\s+SHA256\s+vm-chunked\.ovf\s+expected/m);
    expect(res.stdout).toMatch(/^MISMATCH\s+SHA256\s+vm-chunked\.cert\s+the signature does not match the manifest/m);
  });

  it('a wrong signature over an intact .mf fails; so does an unreadable .cert, as a line', async () => {
    const flipped = await withMember('vm-chunked.cert', changeFirstLineEnd);
    const res = await runCli(ls, [flipped, '--verify']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^OK\s+SHA256\s+vm-chunked\.ovf$/m);
    expect(res.stdout).toMatch(/^MISMATCH\s+SHA256\s+vm-chunked\.cert\s+the signature does not match/m);
    const garbled = await withMember('vm-chunked.cert', (data) => data.fill(0x41, 0, 20));
    const bad = await runCli(ls, [garbled, '--verify']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^MISMATCH\s+-\s+vm-chunked\.cert\s+.*the first line is not/m);
  });

  it('the .cert parser: openssl\'s RSA- prefix, no certificate, odd hex', () => {
    const pem = new TextDecoder().decode(original).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
    expect(parseCertFile(`RSA-SHA256(x.mf)= 00ff\n${pem}\n`).signed).toBe('x.mf');
    expect(grtCode(() => parseCertFile('SHA256(x.mf)= 00ff\n'))).toBe('BAD_DESCRIPTOR');
    expect(grtCode(() => parseCertFile(`SHA256(x.mf)= 0ff\n${pem}`))).toBe('BAD_DESCRIPTOR');
    expect(grtCode(() => parseCertFile(`SHA256(x.mf)= 00\n${pem.replace(/[A-Za-z]{8}\n/, 'zzzzzzzz\n')}`))).toBe('BAD_DESCRIPTOR');
    // Each error says where in the .cert file: the signature line, where the PEM should start, the PEM.
    const where = (text: string): unknown => {
      try {
        return parseCertFile(text);
      } catch (error) {
        return error;
      }
    };
    expect(where('\nSHA256(x.mf)= 0ff\n')).toMatchObject({ offset: 1, space: 'file' });
    expect(where('SHA256(x.mf)= 00ff\n')).toMatchObject({ offset: 19, space: 'file' });
    expect(where(`SHA256(x.mf)= 00\n${pem.replace(/[A-Za-z]{8}\n/, 'zzzzzzzz\n')}`)).toMatchObject({ offset: 17, space: 'file' });
  });
});

describe('chunk damage', () => {
  const disk = new Uint8Array(3000).fill(7);
  const file = (chunkSize: number) => `<File ovf:href="disk.vmdk" ovf:id="f1" ovf:chunkSize="${chunkSize}"/>`;
  const DISK = '<Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="2"/>';
  const pkg = (chunkSize: number, chunks: { name: string; data: Uint8Array }[]) => buildTar([{ name: 'vm.ovf', data: enc(ovfText(file(chunkSize), DISK)) }, ...chunks]);
  const openCode = async (bytes: Uint8Array) => grtCodeOf(openImage(await written(bytes)).then((image) => image.close()));
  const chunk = (n: number, length: number) => ({ name: `disk.vmdk.${String(n).padStart(9, '0')}`, data: disk.subarray(0, length) });

  it('a gap in the numbers, a short middle chunk, a long last one, a zero chunk size, no chunks', async () => {
    expect(await openCode(pkg(1024, [chunk(0, 1024), chunk(2, 100)]))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg(1024, [chunk(0, 1000), chunk(1, 100)]))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg(1024, [chunk(0, 1024), chunk(1, 2000)]))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg(1024, [chunk(0, 1024), chunk(1, 0)]))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg(0, [chunk(0, 1024)]))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg(1024, []))).toBe('NOT_FOUND');
    // Well-formed chunks of a file that is no disk: past the join, the disk's own check refuses it.
    expect(['BAD_MAGIC', 'UNSUPPORTED', 'BAD_HEADER', 'none']).toContain(await openCode(pkg(1024, [chunk(0, 1024), chunk(1, 1024), chunk(2, 952)])));
  });

  it('a .cert past the size limit, or with a signature over another file, is a MISMATCH line, not a stop', async () => {
    const ovf = enc(ovfText('<File ovf:href="disk.vmdk" ovf:id="f1"/>', DISK));
    const mf = enc(`SHA256(vm.ovf)= ${createHash('sha256').update(ovf).digest('hex')}\nSHA256(disk.vmdk)= ${sha256(disk)}\n`);
    const pem = new TextDecoder().decode(original).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
    const signed = (cert: Uint8Array) => buildTar([{ name: 'vm.ovf', data: ovf }, { name: 'vm.mf', data: mf }, { name: 'vm.cert', data: cert }, { name: 'disk.vmdk', data: disk }]);
    const huge = await runCli(ls, [await written(signed(new Uint8Array(MAX_CERT_BYTES + 1).fill(0x41))), '--verify']);
    expect(huge.code).toBe(1);
    expect(huge.stdout).toMatch(/^OK\s+SHA256\s+disk\.vmdk$/m);
    expect(huge.stdout).toMatch(/^MISMATCH\s+-\s+vm\.cert\s+.*past the limit/m);
    const other = await runCli(ls, [await written(signed(enc(`SHA256(other.mf)= 00ff\n${pem}\n`))), '--verify']);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/^MISMATCH\s+SHA256\s+vm\.cert\s+the signature is over "other\.mf", not the package's manifest "vm\.mf"/m);
  });

  it('a compression other than gzip is refused, saying why', async () => {
    const bytes = buildTar([{ name: 'vm.ovf', data: enc(ovfText('<File ovf:href="disk.vmdk" ovf:id="f1" ovf:compression="bzip2"/>', DISK)) }, { name: 'disk.vmdk', data: disk }]);
    const res = await runCli(ls, [await written(bytes), '--info']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/"bzip2"-compressed; the OVF format defines only gzip/);
  });
});

describe('ConcatSource', () => {
  it('reads across parts as the joined bytes, refuses reads outside', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), fc.nat(), fc.nat(), async (parts, a, b) => {
        const whole = Uint8Array.from(parts.flatMap((p) => [...p]));
        const source = new ConcatSource(parts.map((p) => new MemorySource(p)));
        expect(source.size).toBe(whole.length);
        const offset = whole.length === 0 ? 0 : a % (whole.length + 1);
        const length = (b % (whole.length - offset + 1));
        expect(await source.read(offset, length)).toEqual(whole.subarray(offset, offset + length));
        expect(await grtCodeOf(source.read(offset, whole.length - offset + 1))).toBe('OUT_OF_RANGE');
      }),
    );
  });
});
