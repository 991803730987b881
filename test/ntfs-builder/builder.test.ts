import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbNtfsSpec, buildNtfsVolume, compareNtfsNames, upcaseName, type NtfsSpec } from '../builders/ntfs-builder.js';

const ascii = (bytes: Uint8Array, at: number, length: number) => new TextDecoder('latin1').decode(bytes.subarray(at, at + length));

/** Undo the update sequence protection; fails the test when a stride does not end with the USN. */
function undoFixups(block: Uint8Array): Uint8Array {
  const copy = block.slice();
  const view = new DataView(copy.buffer);
  const usaOffset = view.getUint16(4, true);
  const usaCount = view.getUint16(6, true);
  expect(usaCount).toBe(block.length / 512 + 1);
  const usn = view.getUint16(usaOffset, true);
  for (let i = 1; i < usaCount; i++) {
    const end = i * 512 - 2;
    expect(view.getUint16(end, true)).toBe(usn);
    view.setUint16(end, view.getUint16(usaOffset + 2 * i, true), true);
  }
  return copy;
}

function boot(image: Uint8Array) {
  const v = new DataView(image.buffer, image.byteOffset);
  const sectorSize = v.getUint16(0x0b, true);
  const spcByte = v.getUint8(0x0d);
  const sectorsPerCluster = spcByte <= 0x80 ? spcByte : 2 ** (256 - spcByte);
  const perRecord = v.getInt8(0x40);
  return {
    oem: ascii(image, 3, 8),
    sectorSize,
    clusterSize: sectorSize * sectorsPerCluster,
    totalSectors: Number(v.getBigUint64(0x28, true)),
    mftLcn: Number(v.getBigUint64(0x30, true)),
    mirrLcn: Number(v.getBigUint64(0x38, true)),
    recordSize: perRecord > 0 ? perRecord * sectorSize * sectorsPerCluster : 2 ** -perRecord,
    signature: v.getUint16(0x1fe, true),
  };
}

const text = (n: number) => new TextEncoder().encode('abcdefghij'.repeat(Math.ceil(n / 10)).slice(0, n));

const SPEC: NtfsSpec = {
  clusterSize: 1024,
  root: {
    kind: 'dir',
    name: '',
    children: [
      { kind: 'file', name: 'small.txt', data: text(20) },
      { kind: 'file', name: 'large.txt', data: text(10_000), dosName: 'LARGE~1.TXT' },
      { kind: 'dir', name: 'big', children: Array.from({ length: 150 }, (_, i) => ({ kind: 'file' as const, name: `entry-${i}-padding-padding`, data: text(i) })) },
    ],
  },
};

function checkStructure(spec: NtfsSpec): void {
  const built = buildNtfsVolume(spec);
  const { image } = built;
  const b = boot(image);
  expect(b.oem).toBe('NTFS    ');
  expect(b.signature).toBe(0xaa55);
  expect(b.sectorSize).toBe(built.sectorSize);
  expect(b.clusterSize).toBe(built.clusterSize);
  expect(b.recordSize).toBe(built.recordSize);
  expect(b.totalSectors).toBe((built.totalClusters * built.clusterSize) / built.sectorSize);
  expect(image.length).toBe((b.totalSectors + 1) * b.sectorSize);
  // Backup boot sector in the last sector.
  expect(image.subarray(image.length - b.sectorSize, image.length - b.sectorSize + 512)).toEqual(image.subarray(0, 512));
  // Records 0–11 in use, FILE signature, fixups intact, record number field right.
  const mft = b.mftLcn * b.clusterSize;
  for (let r = 0; r < 12; r++) {
    const record = undoFixups(image.subarray(mft + r * b.recordSize, mft + (r + 1) * b.recordSize));
    const v = new DataView(record.buffer);
    expect(ascii(record, 0, 4)).toBe('FILE');
    expect(v.getUint16(0x16, true) & 1).toBe(1);
    expect(v.getUint32(0x2c, true)).toBe(r);
    expect(v.getUint32(0x1c, true)).toBe(b.recordSize);
    const inUse = v.getUint32(0x18, true);
    expect(v.getUint32(inUse - 8, true)).toBe(0xffffffff);
  }
  // $MFTMirr holds the first records byte for byte.
  const mirrored = Math.max(4, b.clusterSize / b.recordSize);
  const mirr = b.mirrLcn * b.clusterSize;
  expect(image.subarray(mirr, mirr + 4 * b.recordSize)).toEqual(image.subarray(mft, mft + 4 * b.recordSize));
  expect(mirrored).toBeGreaterThanOrEqual(4);
  // Every user record is a FILE record with good fixups.
  // (With an attribute list the MFT is in two extents; user records sit in the second.)
  for (const record of spec.mftAttributeList ? [] : built.records.values()) {
    const bytes = undoFixups(image.subarray(mft + record * b.recordSize, mft + (record + 1) * b.recordSize));
    expect(ascii(bytes, 0, 4)).toBe('FILE');
  }
}

describe('buildNtfsVolume', () => {
  it('writes a boot sector, MFT, mirror and INDX blocks with intact fixups', () => {
    checkStructure(SPEC);
    const { image, clusterSize } = buildNtfsVolume(SPEC);
    let blocks = 0;
    for (let at = 0; at < image.length; at += Math.min(clusterSize, 4096)) {
      if (ascii(image, at, 4) === 'INDX') {
        undoFixups(image.subarray(at, at + 4096));
        blocks++;
      }
    }
    expect(blocks).toBeGreaterThan(1);
  });

  it.each([
    [512, 512, 1024],
    [512, 4096, 1024],
    [512, 128 * 1024, 1024],
    [4096, 4096, 4096],
    [4096, 2 * 1024 * 1024, 4096],
  ] as const)('handles sector %i, cluster %i, record %i', (sectorSize, clusterSize, recordSize) => {
    checkStructure({ ...SPEC, sectorSize, clusterSize, recordSize, freeClusters: 1 });
  });

  it('encodes large clusters as a negative power of two in the boot sector', () => {
    const { image } = buildNtfsVolume({ ...SPEC, clusterSize: 128 * 1024, freeClusters: 1 });
    expect(image[0x0d]).toBe(0xf8); // 256 sectors = 2^8
    expect(image[0x40]).toBe(0xf6); // 1024-byte records: −10
    expect(image[0x44]).toBe(0xf4); // 4096-byte index blocks: −12
  });

  it('builds $MFT with an attribute list', () => {
    checkStructure({ ...SPEC, mftAttributeList: true });
  });

  it('refuses specs it cannot write faithfully', () => {
    const file = (extra: object) => ({ root: { kind: 'dir' as const, name: '', children: [{ kind: 'file' as const, name: 'f', data: text(8192), ...extra }] } });
    expect(() => buildNtfsVolume(file({ sparseRanges: [[0, 4096]] }))).toThrow(/not zero/);
    expect(() => buildNtfsVolume(file({ initializedSize: 100 }))).toThrow(/past initializedSize/);
    expect(() => buildNtfsVolume({ ...file({ compressed: true }), clusterSize: 8192 })).toThrow(/4096/);
    expect(() =>
      buildNtfsVolume({ root: { kind: 'dir', name: '', children: [{ kind: 'file', name: 'A', data: text(1) }, { kind: 'file', name: 'a', data: text(1) }] } }),
    ).toThrow(/duplicate/);
  });

  it('collates names by upcased code units', () => {
    expect(compareNtfsNames('abc', 'ABD')).toBeLessThan(0);
    expect(compareNtfsNames('ab', 'ABC')).toBeLessThan(0);
    expect(compareNtfsNames('_', 'a')).toBeGreaterThan(0); // '_' (0x5F) sorts after 'A' (0x41)
    expect(upcaseName('straße')).toBe('STRAßE');
  });

  it('builds structurally valid volumes from random specs', () => {
    fc.assert(
      fc.property(arbNtfsSpec(), (spec) => {
        checkStructure(spec);
      }),
      { seed: 31337, numRuns: 12 },
    );
  });
});
