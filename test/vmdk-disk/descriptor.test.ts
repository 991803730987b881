import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { EXTENT_TYPES, MAX_DESCRIPTOR_BYTES, parseDescriptor, type ExtentLine } from '../../src/vmdk/descriptor.js';
import { expectGrtError, writeDescriptor } from './helpers.js';

const ascii = (text: string) => new TextEncoder().encode(text);
const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...ascii(p)] : p)));

const QEMU_FLAT = `# Disk DescriptorFile
version=1
CID=ab09420f
parentCID=ffffffff
createType="monolithicFlat"

# Extent description
RW 512 FLAT "flat-flat.vmdk" 0

# The Disk Data Base
#DDB

ddb.virtualHWVersion = "4"
ddb.geometry.cylinders = "0"
ddb.geometry.heads = "16"
ddb.geometry.sectors = "63"
ddb.adapterType = "ide"
ddb.toolsVersion = "2147483647"
`;

const WORKSTATION_SPLIT = `# Disk DescriptorFile
version=1
encoding="windows-1252"
CID=2c3a8e8b
parentCID=ffffffff
isNativeSnapshot="no"
createType="twoGbMaxExtentSparse"

# Extent description
RW 8323072 SPARSE "Windows 10 x64-s001.vmdk"
RW 8323072 SPARSE "Windows 10 x64-s002.vmdk"
RW 2048 SPARSE "Windows 10 x64-s003.vmdk"

# The Disk Data Base 
#DDB

ddb.adapterType = "lsisas1068"
ddb.geometry.cylinders = "1044"
ddb.geometry.heads = "255"
ddb.geometry.sectors = "63"
ddb.longContentID = "0e0b2a1d43c6c47f4bd1b2f82c3a8e8b"
ddb.uuid = "60 00 C2 9b 69 2f c9 76-74 c4 07 9e 10 b2 3a 4c"
ddb.virtualHWVersion = "16"
`;

const ESXI_VMFS = `# Disk DescriptorFile
version=1
encoding="UTF-8"
CID=fffffffe
parentCID=ffffffff
createType="vmfs"

# Extent description
RW 83886080 VMFS "web01-flat.vmdk"

# The Disk Data Base
#DDB

ddb.adapterType = "lsilogic"
ddb.deletable = "true"
ddb.thinProvisioned = "1"
ddb.uuid = "60 00 C2 93 d6 2b 5f 01-8a 1d 9e 6c 0b 55 8c 1f"
`;

const ESXI_DELTA = `# Disk DescriptorFile
version=1
encoding="UTF-8"
CID=a1b2c3d4
parentCID=fffffffe
isNativeSnapshot="no"
createType="vmfsSparse"
parentFileNameHint="web01.vmdk"
# Extent description
RW 83886080 VMFSSPARSE "web01-000001-delta.vmdk"

# The Disk Data Base
#DDB

ddb.longContentID = "9c8d7e6f5a4b3c2d1e0f9a8ba1b2c3d4"
`;

const ESXI_SESPARSE = `version=1
encoding="UTF-8"
CID=0000beef
parentCID=a1b2c3d4
createType="seSparse"
parentFileNameHint="/vmfs/volumes/datastore1/web01/web01-000001.vmdk"
RW 83886080 SESPARSE "web01-000002-sesparse.vmdk"
`;

const ESXI_RDM = `version=1
CID=fffffffe
parentCID=ffffffff
createType="vmfsPassthroughRawDeviceMap"
RW 4194304 VMFSRDM "db01-rdmp.vmdk"
`;

describe('parseDescriptor: real-world texts', () => {
  it('reads qemu-img monolithicFlat', () => {
    const d = parseDescriptor(ascii(QEMU_FLAT), 'flat.vmdk');
    expect(d).toMatchObject({ version: 1, cid: 'ab09420f', parentCid: 'ffffffff', createType: 'monolithicFlat' });
    expect(d.extents).toEqual([{ access: 'RW', sectorCount: 512, type: 'FLAT', file: 'flat-flat.vmdk', sectorOffset: 0 }]);
    expect(d.ddb['ddb.geometry.heads']).toBe('16');
    expect(d.ddb['ddb.adapterType']).toBe('ide');
    expect(d.warnings).toEqual([]);
  });

  it('reads a Workstation split sparse disk with names holding spaces', () => {
    const d = parseDescriptor(ascii(WORKSTATION_SPLIT));
    expect(d.encoding).toBe('windows-1252');
    expect(d.extents.map((e) => e.file)).toEqual(['Windows 10 x64-s001.vmdk', 'Windows 10 x64-s002.vmdk', 'Windows 10 x64-s003.vmdk']);
    expect(d.extents.map((e) => e.sectorCount)).toEqual([8323072, 8323072, 2048]);
    expect(d.properties['isNativeSnapshot']).toBe('no');
    expect(d.ddb['ddb.uuid']).toBe('60 00 C2 9b 69 2f c9 76-74 c4 07 9e 10 b2 3a 4c');
  });

  it('reads ESXi VMFS, VMFSSPARSE, SESPARSE and VMFSRDM descriptors', () => {
    expect(parseDescriptor(ascii(ESXI_VMFS)).extents).toEqual([{ access: 'RW', sectorCount: 83886080, type: 'VMFS', file: 'web01-flat.vmdk' }]);
    const delta = parseDescriptor(ascii(ESXI_DELTA));
    expect(delta).toMatchObject({ cid: 'a1b2c3d4', parentCid: 'fffffffe', parentFileNameHint: 'web01.vmdk', createType: 'vmfsSparse' });
    expect(delta.extents[0]!.type).toBe('VMFSSPARSE');
    const se = parseDescriptor(ascii(ESXI_SESPARSE));
    expect(se).toMatchObject({ cid: '0000beef', parentCid: 'a1b2c3d4', parentFileNameHint: '/vmfs/volumes/datastore1/web01/web01-000001.vmdk' });
    expect(se.extents[0]!.type).toBe('SESPARSE');
    expect(parseDescriptor(ascii(ESXI_RDM)).extents[0]!.type).toBe('VMFSRDM');
  });

  it('reads CRLF line ends, a UTF-8 BOM, spaces around = and a Windows parent path', () => {
    const text = '\ufeff# Disk DescriptorFile\r\nversion = 1\r\nCID = 4f7a579\r\nparentCID = 442EDCF9\r\n' +
      'parentFileNameHint = "C:\\VMs\\base\\base.vmdk"\r\ncreateType = monolithicSparse\r\n' +
      'RW 4096 SPARSE "child.vmdk"\r\n\r\nddb.adapterType = "ide"\r\n';
    const d = parseDescriptor(ascii(text));
    expect(d).toMatchObject({ version: 1, cid: '04f7a579', parentCid: '442edcf9', createType: 'monolithicSparse', parentFileNameHint: 'C:\\VMs\\base\\base.vmdk' });
    expect(d.extents).toEqual([{ access: 'RW', sectorCount: 4096, type: 'SPARSE', file: 'child.vmdk' }]);
    expect(d.ddb['ddb.adapterType']).toBe('ide');
  });

  it('reads the NUL padding of a descriptor embedded in a sparse file', () => {
    const padded = new Uint8Array(1024);
    padded.set(ascii(QEMU_FLAT));
    expect(parseDescriptor(padded).extents).toHaveLength(1);
  });

  it('reads ZERO, RDONLY, NOACCESS, unquoted and quote-holding names', () => {
    const d = parseDescriptor(ascii('RDONLY 10 FLAT "a "quoted" name.vmdk" 7\nRW 20 ZERO\nNOACCESS 30 FLAT plain.vmdk 5\nrw 1 flat "x"\n'));
    expect(d.extents).toEqual([
      { access: 'RDONLY', sectorCount: 10, type: 'FLAT', file: 'a "quoted" name.vmdk', sectorOffset: 7 },
      { access: 'RW', sectorCount: 20, type: 'ZERO' },
      { access: 'NOACCESS', sectorCount: 30, type: 'FLAT', file: 'plain.vmdk', sectorOffset: 5 },
      { access: 'RW', sectorCount: 1, type: 'FLAT', file: 'x' },
    ]);
  });

  // Each code page with a non-ASCII extent name; 表 (Shift_JIS 95 5C) and 功 (Big5 A5 5C) end in
  // the byte of '\', which a byte-wise parser would take for a path separator.
  const encodings: [label: string, name: number[], expected: string][] = [
    ['windows-1252', [0x63, 0x61, 0x66, 0xe9], 'café'],
    ['Shift_JIS', [0x83, 0x65, 0x83, 0x58, 0x83, 0x67, 0x95, 0x5c], 'テスト表'],
    ['cp932', [0x95, 0x5c], '表'],
    ['GBK', [0xb2, 0xe2, 0xca, 0xd4], '测试'],
    ['cp936', [0xb2, 0xe2], '测'],
    ['Big5', [0xb4, 0xfa, 0xb8, 0xd5, 0xa5, 0x5c], '測試功'],
    ['cp950', [0xa5, 0x5c], '功'],
    ['UTF-8', [...new TextEncoder().encode('диск ✓')], 'диск ✓'],
  ];
  it.each(encodings)('decodes a %s extent name', (label, name, expected) => {
    const d = parseDescriptor(bytes(`version=1\nencoding="${label}"\nCID=1\nparentCID=ffffffff\nRW 8 FLAT "`, name, '-flat.vmdk" 0\n'));
    expect(d.encoding).toBe(label);
    expect(d.extents[0]!.file).toBe(`${expected}-flat.vmdk`);
    expect(d.warnings).toEqual([]);
  });

  it('reads a descriptor without encoding line as UTF-8, or else as windows-1252', () => {
    const utf8 = parseDescriptor(bytes('RW 8 FLAT "', [...new TextEncoder().encode('é')], '" 0\n'));
    expect([utf8.extents[0]!.file, utf8.warnings]).toEqual(['é', []]);
    const legacy = parseDescriptor(bytes('RW 8 FLAT "caf', [0xe9], '" 0\n'));
    expect(legacy.extents[0]!.file).toBe('café');
    expect(legacy.warnings.map((w) => w.code)).toEqual(['BAD_DESCRIPTOR']);
  });

  it('warns on an unknown encoding and reads UTF-8', () => {
    const d = parseDescriptor(ascii('encoding="klingon"\nRW 8 ZERO\n'));
    expect(d.warnings.map((w) => w.code)).toEqual(['UNSUPPORTED']);
  });
});

describe('parseDescriptor: refusals', () => {
  it('refuses a text that is not a descriptor with one line', async () => {
    const error = await expectGrtError(() => parseDescriptor(ascii('Yuvraj Saxena <someone@example.com>\n'), 'invalid.vmdk'), 'BAD_DESCRIPTOR');
    expect(error.message).toContain('invalid.vmdk');
  });
  it('refuses binary data, unknown extent types, nameless FLAT extents and huge counts', async () => {
    await expectGrtError(() => parseDescriptor(bytes('RW 8 ZERO\n', [0, 1, 2])), 'BAD_DESCRIPTOR');
    await expectGrtError(() => parseDescriptor(ascii('RW 8 QCOW\n')), 'BAD_DESCRIPTOR');
    await expectGrtError(() => parseDescriptor(ascii('RW 8 FLAT\n')), 'BAD_DESCRIPTOR');
    await expectGrtError(() => parseDescriptor(ascii('RW 8 FLAT "a.vmdk" 0\nRW 8 VMFS "b.vmdk" 0 extra\n')), 'BAD_DESCRIPTOR');
    await expectGrtError(() => parseDescriptor(ascii('RW 8 ZERO\nRDONLY -5 ZERO\n')), 'BAD_DESCRIPTOR');
    await expectGrtError(() => parseDescriptor(ascii('RW 99999999999999999999 ZERO\n')), 'BAD_DESCRIPTOR');
    await expectGrtError(() => parseDescriptor(new Uint8Array(MAX_DESCRIPTOR_BYTES + 1).fill(0x23)), 'LIMIT_EXCEEDED');
  });
});

// Names a descriptor can carry: spaces, quotes, non-ASCII; not line breaks or NULs.
const fileName = fc
  .string({ unit: fc.oneof(fc.constantFrom(' ', '"', '-', '.', '\\', '表', 'é', '✓', '𝄞'), fc.string({ minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 24 })
  .map((s) => s.replace(/[\r\n\0]/g, '_'))
  .filter((s) => s.trim() === s && s !== '');
const extentLine: fc.Arbitrary<ExtentLine> = fc
  .record({
    access: fc.constantFrom('RW', 'RDONLY', 'NOACCESS'),
    sectorCount: fc.integer({ min: 0, max: 2 ** 40 }),
    type: fc.constantFrom(...EXTENT_TYPES),
    file: fileName,
    sectorOffset: fc.integer({ min: 0, max: 2 ** 40 }),
  })
  .map((e): ExtentLine => {
    if (e.type === 'ZERO') return { access: e.access, sectorCount: e.sectorCount, type: e.type };
    if (e.type === 'FLAT' || e.type === 'VMFS') return e;
    return { access: e.access, sectorCount: e.sectorCount, type: e.type, file: e.file };
  });
const hex8 = fc.integer({ min: 0, max: 0xffffffff }).map((n) => n.toString(16).padStart(8, '0'));

describe('parseDescriptor: properties', () => {
  it('reads back what a writer wrote', () => {
    fc.assert(
      fc.property(
        fc.record({
          cid: hex8,
          parentCid: hex8,
          createType: fc.constantFrom('monolithicFlat', 'twoGbMaxExtentSparse', 'vmfs', 'custom'),
          parentFileNameHint: fileName,
          extents: fc.array(extentLine, { minLength: 1, maxLength: 8 }),
          ddb: fc.dictionary(fc.stringMatching(/^ddb\.[a-zA-Z.]{1,12}$/), fc.stringMatching(/^[ -!#-~]{0,20}$/).map((s) => s.trim())),
        }),
        (d) => {
          const parsed = parseDescriptor(new TextEncoder().encode(writeDescriptor(d)));
          expect(parsed).toMatchObject({ cid: d.cid, parentCid: d.parentCid, createType: d.createType, parentFileNameHint: d.parentFileNameHint });
          expect(parsed.extents).toEqual(d.extents);
          expect(parsed.ddb).toEqual(d.ddb);
        },
      ),
      { seed: 4242, numRuns: 300 },
    );
  });

  it('damaged descriptors fail only with GrtError', () => {
    const base = new TextEncoder().encode(WORKSTATION_SPLIT);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 20 }), (edits) => {
        const damaged = base.slice();
        for (const [at, value] of edits) damaged[at] = value;
        try {
          parseDescriptor(damaged);
        } catch (error) {
          if (!(error instanceof GrtError)) throw error;
        }
      }),
      { seed: 77, numRuns: 500 },
    );
  });
});
