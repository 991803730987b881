/** Hostile and damaged OVA packages: only GrtErrors, never a host file, never unbounded work. */
import fc from 'fast-check';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../../src/image.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { MAX_TAR_HEADERS, parsePaxRecords, readTarIndex, tarNumber } from '../../src/io/sources/tar.js';
import { diskFiles, memberNameOf, parseOvf } from '../../src/vm/ovf.js';
import { decodeReferences, MAX_XML_DEPTH, walkXml } from '../../src/vm/xml.js';
import { parseManifest } from '../../src/vm/ova-manifest.js';
import { grtCode, grtCodeOf } from '../helpers/grt-code.js';
import { buildTar, ovfText, type TarEntry } from './tar-builder.js';

const OVA = resolve(__dirname, '../../test-images/ova/vm.ova');
let work: string;
let original: Uint8Array;
let disk: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'grt-ova-damage-'));
  original = new Uint8Array(await readFile(OVA));
  const member = (await readTarIndex(new MemorySource(original))).find((m) => m.name === 'vm-disk1.vmdk')!;
  disk = original.slice(member.dataOffset, member.dataOffset + member.size);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

let counter = 0;
/** The error code of opening `bytes` as an .ova ('none' when it opens). */
async function openCode(bytes: Uint8Array, options: { allowUnsafeExtentPaths?: boolean } = {}): Promise<string> {
  const path = join(work, `p${counter++}.ova`);
  await writeFile(path, bytes);
  return grtCodeOf(openImage(path, options).then((image) => image.close()));
}

const FILE = '<File ovf:href="disk.vmdk" ovf:id="f1"/>';
const DISK = '<Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="2"/>';
const enc = (text: string) => new TextEncoder().encode(text);
/** A package with `ovf` as its descriptor and the real disk 1 as `disk.vmdk`, plus `more` members. */
const pkg = (ovf: string, more: TarEntry[] = [], diskName = 'disk.vmdk') => buildTar([{ name: 'vm.ovf', data: enc(ovf) }, { name: diskName, data: disk }, ...more]);

describe('a synthetic package', () => {
  it('opens when well-formed (the baseline the cases below break)', async () => {
    expect(await openCode(pkg(ovfText(FILE, DISK)))).toBe('none');
  });

  it('cut short inside the disk: TRUNCATED; inside a header: the disk is missing', async () => {
    const whole = pkg(ovfText(FILE, DISK));
    expect(await openCode(whole.subarray(0, 2048 + 512 + 5000))).toBe('TRUNCATED');
    expect(await openCode(whole.subarray(0, 1024 + 300))).toBe('NOT_FOUND');
  });

  it.each([
    ['../disk.vmdk', 'UNSAFE_PATH'],
    ['/etc/passwd', 'UNSAFE_PATH'],
    ['file:///etc/passwd', 'UNSAFE_PATH'],
    ['http://example.invalid/disk.vmdk', 'UNSAFE_PATH'],
    ['C:\\disk.vmdk', 'UNSAFE_PATH'],
    ['sub/../../disk.vmdk', 'UNSAFE_PATH'],
    ['./disk.vmdk', 'none'],
  ])('href %s: %s', async (href, code) => {
    expect(await openCode(pkg(ovfText(`<File ovf:href="${href}" ovf:id="f1"/>`, DISK)))).toBe(code);
  });

  it('a member named ../disk.vmdk or /disk.vmdk is not the disk.vmdk an href names', async () => {
    expect(await openCode(pkg(ovfText(FILE, DISK), [], '../disk.vmdk'))).toBe('NOT_FOUND');
    expect(await openCode(pkg(ovfText(FILE, DISK), [], '/disk.vmdk'))).toBe('NOT_FOUND');
  });

  it('a link member is never followed; a name stored twice is ambiguous', async () => {
    const link = buildTar([{ name: 'vm.ovf', data: enc(ovfText(FILE, DISK)) }, { name: 'disk.vmdk', type: '2', linkName: '/etc/passwd' }]);
    expect(await openCode(link)).toBe('UNSAFE_PATH');
    expect(await openCode(pkg(ovfText(FILE, DISK), [{ name: 'disk.vmdk', data: disk }]))).toBe('UNSUPPORTED');
  });

  it('an extent a disk member names outside the package is looked for in the package only', async () => {
    const descriptor = enc('# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 4 FLAT "/etc/passwd" 0\n');
    const ovf = ovfText(FILE, DISK);
    const bytes = buildTar([{ name: 'vm.ovf', data: enc(ovf) }, { name: 'disk.vmdk', data: descriptor }]);
    expect(await openCode(bytes)).toBe('UNSAFE_PATH');
    expect(await openCode(bytes, { allowUnsafeExtentPaths: true })).toBe('NOT_FOUND');
    // The base name beside the descriptor, inside the package, is what is read.
    const beside = buildTar([{ name: 'vm.ovf', data: enc(ovf) }, { name: 'disk.vmdk', data: descriptor }, { name: 'passwd', data: new Uint8Array(2048).fill(7) }]);
    expect(await openCode(beside)).toBe('none');
  });

  it('huge sizes: past the archive (TRUNCATED), past 2^53 (LIMIT_EXCEEDED), a pax size past the archive (TRUNCATED) or no number (BAD_HEADER)', async () => {
    expect(await openCode(buildTar([{ name: 'vm.ovf', data: enc(ovfText(FILE, DISK)) }, { name: 'disk.vmdk', sizeField: '77777777777\0' }]))).toBe('TRUNCATED');
    expect(grtCode(() => tarNumber(Uint8Array.of(0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0, 12, 0))).toBe('LIMIT_EXCEEDED');
    expect(grtCode(() => tarNumber(Uint8Array.of(0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 0, 12, 0))).toBe('BAD_HEADER');
    expect(tarNumber(Uint8Array.of(0x80, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0), 0, 12, 0)).toBe(2 * 2 ** 24);
    const pax = buildTar([{ name: 'vm.ovf', data: enc(ovfText(FILE, DISK)) }, { name: 'x', type: 'x', data: enc('20 size=99999999999\n') }, { name: 'disk.vmdk', data: disk }]);
    expect(await openCode(pax)).toBe('TRUNCATED');
    const notNumber = buildTar([{ name: 'vm.ovf', data: enc(ovfText(FILE, DISK)) }, { name: 'x', type: 'x', data: enc('11 size=9x\n') }, { name: 'disk.vmdk', data: disk }]);
    expect(await openCode(notNumber)).toBe('BAD_HEADER');
  });

  it('bounded: header count, long names, pax records', async () => {
    const many = buildTar(Array.from({ length: MAX_TAR_HEADERS + 1 }, (_, i) => ({ name: `f${i}` })));
    expect(await grtCodeOf(readTarIndex(new MemorySource(many)))).toBe('LIMIT_EXCEEDED');
    const longName = buildTar([{ name: '././@LongLink', type: 'L', data: new Uint8Array(5000).fill(0x61) }, { name: 'x' }]);
    expect(await grtCodeOf(readTarIndex(new MemorySource(longName)))).toBe('LIMIT_EXCEEDED');
    expect(grtCode(() => parsePaxRecords(enc('99 path=x\n'), 0))).toBe('BAD_HEADER');
    expect(grtCode(() => parsePaxRecords(enc('9 pathx\n'), 0))).toBe('BAD_HEADER');
    expect(parsePaxRecords(enc('11 path=ab\n'), 0).get('path')).toBe('ab');
  });

  it('a header with a wrong checksum or no ustar magic', async () => {
    const bytes = pkg(ovfText(FILE, DISK));
    const badSum = bytes.slice();
    badSum[3]! ^= 1;
    expect(await grtCodeOf(readTarIndex(new MemorySource(badSum)))).toBe('BAD_CHECKSUM');
    const noMagic = bytes.slice();
    noMagic.set(enc('xxxxx'), 257);
    expect(await grtCodeOf(readTarIndex(new MemorySource(noMagic)))).toBe('BAD_MAGIC');
  });

  it('descriptor damage: no .ovf, two, missing and duplicate references, compressed or chunked files, no disk', async () => {
    expect(await openCode(buildTar([{ name: 'disk.vmdk', data: disk }]))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg(ovfText(FILE, DISK), [{ name: 'other.ovf', data: enc(ovfText(FILE, DISK)) }]))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg(ovfText(FILE, '<Disk ovf:diskId="d1" ovf:fileRef="nope"/>')))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg(ovfText(FILE + FILE, DISK)))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg(ovfText(FILE, DISK + DISK)))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg(ovfText(FILE, DISK + '<Disk ovf:diskId="d2" ovf:fileRef="f1"/>')))).toBe('BAD_DESCRIPTOR');
    // gzip is read in place, so a disk marked gzip that is not one fails on its magic; other methods are not OVF's.
    expect(await openCode(pkg(ovfText('<File ovf:href="disk.vmdk" ovf:id="f1" ovf:compression="gzip"/>', DISK)))).toBe('BAD_MAGIC');
    expect(await openCode(pkg(ovfText('<File ovf:href="disk.vmdk" ovf:id="f1" ovf:compression="bzip2"/>', DISK)))).toBe('UNSUPPORTED');
    // Chunks named by ovf:chunkSize, but the file is stored whole.
    expect(await openCode(pkg(ovfText('<File ovf:href="disk.vmdk" ovf:id="f1" ovf:chunkSize="1000"/>', DISK)))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg(ovfText(FILE, '<Disk ovf:diskId="d1" ovf:capacity="2"/>')))).toBe('NOT_FOUND');
    expect(await openCode(pkg(ovfText(FILE, '<Disk ovf:fileRef="f1"/>')))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg('<NotAnEnvelope/>'))).toBe('BAD_DESCRIPTOR');
  });
});

describe('the XML subset', () => {
  it('refuses a DOCTYPE and undeclared entities (a billion laughs never expands)', async () => {
    const laughs = `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>`;
    expect(await openCode(pkg(ovfText(FILE, DISK, laughs)))).toBe('BAD_DESCRIPTOR');
    expect(await openCode(pkg(ovfText('<File ovf:href="&lol2;" ovf:id="f1"/>', DISK)))).toBe('BAD_DESCRIPTOR');
    expect(grtCode(() => parseOvf(ovfText(FILE, DISK).replace('<Info>disks</Info>', '<Info>&xxe;</Info>')))).toBe('BAD_DESCRIPTOR');
    expect(grtCode(() => decodeReferences('a & b'))).toBe('BAD_DESCRIPTOR');
    expect(grtCode(() => decodeReferences('&#xD800;'))).toBe('BAD_DESCRIPTOR');
  });

  it('decodes the predefined entities and character references, and resolves prefixes', () => {
    expect(decodeReferences('&lt;&amp;&#65;&#x42;&quot;&apos;&gt;')).toBe('<&AB"\'>');
    const ovf = parseOvf(`<e:Envelope xmlns:e="http://schemas.dmtf.org/ovf/envelope/2" xmlns:o="http://schemas.dmtf.org/ovf/envelope/2" xmlns:vmw="urn:x">
      <e:References><e:File o:href="a&amp;b.vmdk" vmw:href="wrong" o:id="f" o:size="12"/></e:References>
      <e:DiskSection><e:Disk o:diskId="d" o:fileRef="f"/></e:DiskSection></e:Envelope>`);
    expect(ovf.files).toEqual([{ id: 'f', href: 'a&b.vmdk', size: 12 }]);
    expect(diskFiles(ovf).disks[0]!.file.href).toBe('a&b.vmdk');
    expect(memberNameOf('dir/./a%20b.vmdk')).toBe('dir/a b.vmdk');
  });

  it('is bounded in depth and refuses what is not well-formed', () => {
    const deep = '<a>'.repeat(MAX_XML_DEPTH + 1) + '</a>'.repeat(MAX_XML_DEPTH + 1);
    expect(grtCode(() => walkXml(deep, () => undefined))).toBe('LIMIT_EXCEEDED');
    for (const text of ['<a><b></a></b>', '<a>', '<a x="1" x="2"/>', '<a/><b/>', '<a y:x="1"/>', '<a x=1/>', '', '<!-- never closed']) {
      expect(grtCode(() => walkXml(text, () => undefined))).toBe('BAD_DESCRIPTOR');
    }
  });
});

describe('the manifest', () => {
  it('reads ovftool and VirtualBox lines and refuses others', () => {
    const a = 'a'.repeat(40);
    expect(parseManifest(`SHA1(x.ovf)= ${a}\r\nSHA256 (y z.vmdk) = ${'B'.repeat(64)}\n`)).toEqual([
      { algorithm: 'SHA1', name: 'x.ovf', digest: a },
      { algorithm: 'SHA256', name: 'y z.vmdk', digest: 'b'.repeat(64) },
    ]);
    expect(grtCode(() => parseManifest('MD5(x)= 00'))).toBe('BAD_DESCRIPTOR');
    expect(grtCode(() => parseManifest(`SHA256(x)= ${a}`))).toBe('BAD_DESCRIPTOR');
  });
});

describe('mutated packages (property)', () => {
  it('any byte changes in the headers and descriptor give a GrtError or an image, never anything else', async () => {
    // The first 4 KiB hold the .ovf's header and text and the .mf's header.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(4095), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.option(fc.nat(original.length), { nil: undefined }), async (changes, cut) => {
        const bytes = original.slice(0, cut ?? original.length);
        for (const [at, value] of changes) if (at < bytes.length) bytes[at] = value;
        const code = await openCode(bytes);
        expect(typeof code).toBe('string');
      }),
      { numRuns: 60 },
    );
  });
});
