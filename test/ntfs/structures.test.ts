/**
 * Unit tests of the on-disk structures, with hand-made bytes: run lists, fixups, boot sector,
 * reparse points, attribute lists, $UpCase keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAttributeList } from '../../src/fs/ntfs/attribute-list.js';
import { parseBootSector } from '../../src/fs/ntfs/boot-sector.js';
import { parseMftRecord } from '../../src/fs/ntfs/mft-record.js';
import { parseInterixSymlink, parseReparsePoint } from '../../src/fs/ntfs/reparse-point.js';
import { decodeRunlist } from '../../src/fs/ntfs/runlist.js';
import { UpcaseTable } from '../../src/fs/ntfs/upcase.js';
import { encodeRuns } from '../builders/ntfs/attributes.js';
import { upcaseBytes } from '../builders/ntfs/upcase.js';
import { grtCode } from '../helpers/grt-code.js';

const runs = (bytes: number[], lastVcn: number, clusters = 1 << 30) => decodeRunlist(Uint8Array.from(bytes), 0, bytes.length, 0, lastVcn, clusters, 'test', 0);

describe('run lists', () => {
  it('decodes lengths, signed LCN deltas and sparse runs', () => {
    // 16 clusters at 0x100; 8 sparse; 4 clusters at 0x100 − 0x10 = 0xF0 (negative delta).
    expect(runs([0x21, 0x10, 0x00, 0x01, 0x01, 0x08, 0x11, 0x04, 0xf0, 0x00], 27)).toEqual([
      { vcn: 0, lcn: 0x100, clusterCount: 16 },
      { vcn: 16, lcn: null, clusterCount: 8 },
      { vcn: 24, lcn: 0xf0, clusterCount: 4 },
    ]);
  });

  it('refuses runs outside the volume, gaps against the VCN range and bad headers', () => {
    expect(grtCode(() => runs([0x21, 0x10, 0x00, 0x01, 0x00], 15, 0x105))).toBe('BAD_RUNLIST');
    expect(grtCode(() => runs([0x11, 0x10, 0xf0, 0x00], 15))).toBe('BAD_RUNLIST'); // negative LCN
    expect(grtCode(() => runs([0x21, 0x10, 0x00, 0x01, 0x00], 20))).toBe('BAD_RUNLIST'); // too short
    expect(grtCode(() => runs([0x21, 0x10, 0x00, 0x01, 0x00], 10))).toBe('BAD_RUNLIST'); // too long
    expect(grtCode(() => runs([0x91, 0x10, 0x00], 15))).toBe('BAD_RUNLIST');
    expect(grtCode(() => runs([0x10, 0x10], 15))).toBe('BAD_RUNLIST'); // zero-size length field
    expect(grtCode(() => runs([0x31, 0x10, 0x00], 15))).toBe('BAD_RUNLIST'); // cut off
  });

  it('round-trips what the test writer encodes', () => {
    const arbRun = fc.record({ length: fc.integer({ min: 1, max: 1 << 20 }), lcn: fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(arbRun, { minLength: 1, maxLength: 50 }), (list) => {
        const total = list.reduce((s, r) => s + r.length, 0);
        const decoded = decodeRunlist(encodeRuns(list), 0, 10_000, 0, total - 1, 2 ** 41, 'test', 0);
        let vcn = 0;
        expect(decoded).toEqual(list.map((r) => ({ vcn: (vcn += r.length) - r.length, lcn: r.lcn, clusterCount: r.length })));
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('only GrtError for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -1, max: 1000 }), (bytes, lastVcn) => {
        grtCode(() => decodeRunlist(bytes, 0, bytes.length, 0, lastVcn, 5000, 'test', 0));
      }),
      { seed: 8, numRuns: 500 },
    );
  });
});

/** A minimal FILE record: header, one resident $DATA attribute, end marker, fixups applied. */
function fileRecord(size: number, usn = 0x0102): Uint8Array {
  const record = new Uint8Array(size);
  const view = new DataView(record.buffer);
  record.set([0x46, 0x49, 0x4c, 0x45]);
  const strides = size / 512;
  view.setUint16(4, 48, true);
  view.setUint16(6, strides + 1, true);
  view.setUint16(16, 3, true); // sequence
  const first = (48 + (strides + 1) * 2 + 7) & ~7;
  view.setUint16(20, first, true);
  view.setUint16(22, 1, true); // in use
  // $DATA, resident, 5 bytes "hello"
  view.setUint32(first, 0x80, true);
  view.setUint32(first + 4, 32, true);
  view.setUint32(first + 16, 5, true);
  view.setUint16(first + 20, 24, true);
  record.set([104, 101, 108, 108, 111], first + 24);
  view.setUint32(first + 32, 0xffffffff, true);
  view.setUint32(24, first + 40, true);
  view.setUint32(28, size, true);
  // Protect: every stride's last two bytes go to the array, replaced by the USN.
  view.setUint16(48, usn, true);
  for (let i = 1; i <= strides; i++) {
    view.setUint16(i * 512 - 2, 0x1111 * i, true);
    view.setUint16(48 + i * 2, view.getUint16(i * 512 - 2, true), true);
    view.setUint16(i * 512 - 2, usn, true);
  }
  return record;
}

describe('MFT records and fixups', () => {
  for (const size of [1024, 4096]) {
    it(`${size}-byte records: fixups every 512 bytes restore the stride ends`, () => {
      const record = parseMftRecord(fileRecord(size), 42, 0, 100);
      expect(record.sequence).toBe(3);
      expect(record.inUse).toBe(true);
      expect(record.attributes).toHaveLength(1);
      expect(new TextDecoder().decode(record.attributes[0]!.value!)).toBe('hello');
    });
    it(`${size}-byte records: a torn stride is BAD_RECORD`, () => {
      const bytes = fileRecord(size);
      bytes[size - 2]! ^= 1;
      expect(grtCode(() => parseMftRecord(bytes, 42, 0, 100))).toBe('BAD_RECORD');
    });
  }
  it('a USA count that does not match the record size is BAD_RECORD', () => {
    const bytes = fileRecord(1024);
    new DataView(bytes.buffer).setUint16(6, 9, true);
    expect(grtCode(() => parseMftRecord(bytes, 1, 0, 100))).toBe('BAD_RECORD');
  });
  it('random damage to a record is only ever GrtError', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1023), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
        const bytes = fileRecord(1024);
        for (const [at, mask] of flips) bytes[at]! ^= mask;
        grtCode(() => parseMftRecord(bytes, 1, 0, 100));
      }),
      { seed: 9, numRuns: 500 },
    );
  });
});

function bootSector(spc: number, recordByte: number, sector = 512, indexByte = 1): Uint8Array {
  const bytes = new Uint8Array(512);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode('NTFS    '), 3);
  view.setUint16(0x0b, sector, true);
  bytes[0x0d] = spc;
  view.setBigUint64(0x28, 1_000_000n, true);
  view.setBigUint64(0x30, 4n, true);
  bytes[0x40] = recordByte;
  bytes[0x44] = indexByte;
  view.setBigUint64(0x48, 0x0123456789abcdefn, true);
  bytes[510] = 0x55;
  bytes[511] = 0xaa;
  return bytes;
}

describe('boot sector', () => {
  it('cluster sizes: counts up to 0x80, negative exponents above', () => {
    expect(parseBootSector(bootSector(8, 0xf6)).clusterSize).toBe(4096);
    expect(parseBootSector(bootSector(0x80, 0xf6)).clusterSize).toBe(65536);
    const big = parseBootSector(bootSector(0xf4, 0xf6, 512, 0xf4)); // 2^12 sectors = 2 MiB
    expect([big.clusterSize, big.recordSize, big.indexBlockSize]).toEqual([2 * 1024 * 1024, 1024, 4096]);
    expect(parseBootSector(bootSector(1, 0xf4, 4096)).recordSize).toBe(4096);
    expect(parseBootSector(bootSector(8, 0xf6)).serial).toBe('0123456789ABCDEF');
  });
  it('refuses bad geometry', () => {
    expect(grtCode(() => parseBootSector(bootSector(3, 0xf6)))).toBe('BAD_HEADER');
    expect(grtCode(() => parseBootSector(bootSector(8, 0x00)))).toBe('BAD_HEADER');
    expect(grtCode(() => parseBootSector(bootSector(8, 0xf6, 1000)))).toBe('BAD_HEADER');
    const noMagic = bootSector(8, 0xf6);
    noMagic[3] = 0;
    expect(grtCode(() => parseBootSector(noMagic))).toBe('BAD_MAGIC');
  });
});

function reparse(tag: number, sub: string, print: string, symlink: boolean): Uint8Array {
  const s = Buffer.from(sub, 'utf16le');
  const p = Buffer.from(print, 'utf16le');
  const head = symlink ? 12 : 8;
  const out = Buffer.alloc(8 + head + s.length + p.length);
  out.writeUInt32LE(tag, 0);
  out.writeUInt16LE(head + s.length + p.length, 4);
  out.writeUInt16LE(0, 8);
  out.writeUInt16LE(s.length, 10);
  out.writeUInt16LE(s.length, 12);
  out.writeUInt16LE(p.length, 14);
  s.copy(out, 8 + head);
  p.copy(out, 8 + head + s.length);
  return new Uint8Array(out);
}

describe('reparse points', () => {
  it('symlinks and junctions carry the print name; WOF and dedup are undecodable kinds', () => {
    expect(parseReparsePoint(reparse(0xa000000c, '\\??\\C:\\x', 'C:\\x', true), 't')).toEqual({ tag: 0xa000000c, kind: 'symlink', target: 'C:\\x' });
    expect(parseReparsePoint(reparse(0xa0000003, '\\??\\D:\\dir', '', false), 't').target).toBe('\\??\\D:\\dir');
    expect(parseReparsePoint(Uint8Array.from([0x17, 0, 0, 0x80, 0, 0, 0, 0]), 't').kind).toBe('wof');
    expect(parseReparsePoint(Uint8Array.from([0x13, 0, 0, 0x80, 0, 0, 0, 0]), 't').kind).toBe('dedup');
    const broken = reparse(0xa000000c, 'abc', 'def', true);
    broken[12] = 200;
    expect(grtCode(() => parseReparsePoint(broken, 't'))).toBe('BAD_ATTRIBUTE');
  });
  it('Interix symlinks', () => {
    const data = new Uint8Array([...new TextEncoder().encode('IntxLNK'), 1, ...Buffer.from('a/😀', 'utf16le')]);
    expect(parseInterixSymlink(data)).toBe('a/😀');
    expect(parseInterixSymlink(data.subarray(0, 7))).toBeUndefined();
  });
});

describe('attribute lists and names', () => {
  it('parses entries and bounds them', () => {
    const entry = new Uint8Array(32);
    const view = new DataView(entry.buffer);
    view.setUint32(0, 0x80, true);
    view.setUint16(4, 32, true);
    view.setBigUint64(8, 16n, true);
    view.setUint32(16, 17, true);
    view.setUint16(22, 2, true);
    expect(parseAttributeList(entry, 't')).toEqual([{ type: 0x80, name: '', startVcn: 16, holder: { record: 17, sequence: 2 }, id: 0 }]);
    view.setUint16(4, 64, true);
    expect(grtCode(() => parseAttributeList(entry, 't'))).toBe('BAD_ATTRIBUTE');
  });
  it('$UpCase keys fold through the table, not toUpperCase', () => {
    const table = UpcaseTable.fromBytes(upcaseBytes());
    expect(table.key('straße')).toBe(table.key('STRAßE')); // ß has no single-unit upper case
    expect(table.key('é😀')).toBe(table.key('É😀'));
    const custom = upcaseBytes().slice();
    new DataView(custom.buffer).setUint16(0x61 * 2, 0x61, true); // this volume does not fold 'a'
    expect(UpcaseTable.fromBytes(custom).key('a')).not.toBe(UpcaseTable.fromBytes(custom).key('A'));
  });
});
