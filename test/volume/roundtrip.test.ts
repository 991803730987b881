import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GrtError } from '../../src/errors.js';
import { listVolumes } from '../../src/volume/index.js';
import { SparseDisk, writePartitionTable, type LayoutSpec, type PartitionSpec } from '../builders/partition-writer.js';

/** What listVolumes must give back for a written layout. */
interface Expected {
  index: number;
  start: number;
  size: number;
  type: string;
  name?: string;
  bootable?: boolean;
  guid?: string;
  attributes?: string;
}

const sectorSizeArb = fc.constantFrom(512 as const, 4096 as const);
const mbrTypeArb = fc.integer({ min: 1, max: 255 }).filter((t) => ![0x05, 0x0f, 0x85, 0xee].includes(t));

/** Primaries in random slots, one of them possibly extended with several logical partitions. */
const mbrLayoutArb = fc
  .record({
    sectorSize: sectorSizeArb,
    slots: fc.shuffledSubarray([1, 2, 3, 4], { minLength: 1 }),
    pieces: fc.array(fc.record({ gap: fc.integer({ min: 1, max: 5000 }), count: fc.integer({ min: 1, max: 200_000 }), type: mbrTypeArb, bootable: fc.boolean() }), { minLength: 4, maxLength: 4 }),
    extendedType: fc.constantFrom(0x05, 0x0f, 0x85, undefined),
    logicals: fc.array(fc.record({ gap: fc.integer({ min: 1, max: 64 }), count: fc.integer({ min: 1, max: 50_000 }), type: mbrTypeArb, bootable: fc.boolean() }), { maxLength: 8 }),
    slack: fc.integer({ min: 0, max: 10_000 }),
  })
  .map(({ sectorSize, slots, pieces, extendedType, logicals, slack }) => {
    const partitions: PartitionSpec[] = [];
    let cursor = 1;
    slots.forEach((slot, i) => {
      const piece = pieces[i]!;
      const start = cursor + piece.gap;
      if (i === slots.length - 1 && extendedType !== undefined) {
        // The extended partition: logical partitions inside, each after its own EBR.
        let inner = start;
        const logicalSpecs: PartitionSpec[] = logicals.map((l, j) => {
          const ebr = j === 0 ? start : inner + 1;
          const spec: PartitionSpec = { startSector: ebr + l.gap, sectorCount: l.count, type: l.type, bootable: l.bootable, logical: true, ebrSector: ebr };
          inner = ebr + l.gap + l.count;
          return spec;
        });
        const count = inner - start + 1 + piece.gap;
        partitions.push({ index: slot, startSector: start, sectorCount: count, type: extendedType, bootable: piece.bootable }, ...logicalSpecs);
        cursor = start + count;
      } else {
        partitions.push({ index: slot, startSector: start, sectorCount: piece.count, type: piece.type, bootable: piece.bootable });
        cursor = start + piece.count;
      }
    });
    const layout: LayoutSpec = { scheme: 'mbr', sectorSize, partitions };
    return { layout, diskBytes: (cursor + slack) * sectorSize };
  });

function expectedMbr(layout: LayoutSpec): Expected[] {
  const primaries = layout.partitions.filter((p) => !p.logical).sort((a, b) => a.index! - b.index!);
  const logicals = layout.partitions.filter((p) => p.logical);
  const row = (p: PartitionSpec, index: number): Expected => ({
    index,
    start: p.startSector * layout.sectorSize,
    size: p.sectorCount * layout.sectorSize,
    type: `0x${(p.type as number).toString(16).padStart(2, '0')}`,
    bootable: p.bootable ?? false,
  });
  return [...primaries.map((p) => row(p, p.index!)), ...logicals.map((p, i) => row(p, 5 + i))];
}

const KNOWN_TYPES = ['c12a7328-f81f-11d2-ba4b-00a0c93ec93b', 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7', '0fc63daf-8483-4772-8e79-3d69d8477de4'];
const nameArb = fc.array(fc.constantFrom(...'abcXYZ 09-_.éü€漢'.split('')), { maxLength: 36 }).map((c) => c.join(''));

/** GPT with non-sequential slots, odd entry array shapes, names, attributes. */
const gptLayoutArb = fc
  .record({
    sectorSize: sectorSizeArb,
    shape: fc.constantFrom({ entryCount: 128, entrySize: 128 }, { entryCount: 4, entrySize: 128 }, { entryCount: 56, entrySize: 256 }, { entryCount: 300, entrySize: 128 }),
    parts: fc.array(
      fc.record({
        slotSeed: fc.nat(),
        gap: fc.integer({ min: 0, max: 5000 }),
        count: fc.integer({ min: 1, max: 1_000_000 }),
        type: fc.oneof(fc.constantFrom(...KNOWN_TYPES), fc.uuid()),
        guid: fc.uuid(),
        name: nameArb,
        attributes: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    slack: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .map(({ sectorSize, shape, parts, slack }) => {
    const arraySectors = Math.ceil((shape.entryCount * shape.entrySize) / sectorSize);
    let cursor = 2 + arraySectors;
    const used = new Set<number>();
    const partitions: PartitionSpec[] = [];
    for (const p of parts) {
      if (used.size === shape.entryCount) break;
      let slot = (p.slotSeed % shape.entryCount) + 1;
      while (used.has(slot)) slot = (slot % shape.entryCount) + 1;
      used.add(slot);
      partitions.push({ index: slot, startSector: cursor + p.gap, sectorCount: p.count, type: p.type, guid: p.guid, name: p.name, attributes: p.attributes });
      cursor += p.gap + p.count;
    }
    const layout: LayoutSpec = { scheme: 'gpt', sectorSize, partitions, ...shape };
    return { layout, diskBytes: (cursor + slack + arraySectors + 1) * sectorSize };
  });

function expectedGpt(layout: LayoutSpec): Expected[] {
  return [...layout.partitions]
    .sort((a, b) => a.index! - b.index!)
    .map((p) => ({
      index: p.index!,
      start: p.startSector * layout.sectorSize,
      size: p.sectorCount * layout.sectorSize,
      type: p.type as string,
      name: p.name!,
      guid: p.guid!,
      attributes: `0x${p.attributes!.toString(16).padStart(16, '0')}`,
    }));
}

/** An extended partition at 2048 with two logical partitions (EBRs at 2048 and 2999). */
const TWO_LOGICALS: LayoutSpec = {
  scheme: 'mbr',
  sectorSize: 512,
  partitions: [
    { index: 1, startSector: 2048, sectorCount: 100_000, type: 0x0f },
    { startSector: 2049, sectorCount: 100, type: 0x83, logical: true },
    { startSector: 3000, sectorCount: 100, type: 0x07, logical: true },
  ],
};

/** One 16-byte MBR/EBR partition record (not bootable, no CHS). */
function partitionRecord(type: number, startLba: number, sectors: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setUint8(4, type);
  view.setUint32(8, startLba, true);
  view.setUint32(12, sectors, true);
  return bytes;
}

function written(layout: LayoutSpec, diskBytes: number): SparseDisk {
  const disk = new SparseDisk(diskBytes);
  writePartitionTable(disk, layout);
  return disk;
}

async function actual(disk: SparseDisk, sectorSize?: 512 | 4096): Promise<{ rows: Expected[]; warnings: string[]; codes: string[]; sectorSize: number; scheme: string }> {
  const layout = await listVolumes(disk, sectorSize ? { sectorSize } : {});
  const rows = layout.volumes.map((v) => {
    const row: Expected = { index: v.index, start: v.start, size: v.size, type: v.type };
    if (v.scheme === 'mbr') row.bootable = v.bootable!;
    if (v.scheme === 'gpt') Object.assign(row, { name: v.name, guid: v.guid, attributes: v.attributes });
    return row;
  });
  return { rows, warnings: layout.warnings.map((w) => w.message), codes: layout.warnings.map((w) => w.code), sectorSize: layout.sectorSize, scheme: layout.scheme };
}

describe('partition tables round-trip through the test writer', () => {
  it('MBR: primaries in any slots plus an extended partition with logical ones', async () => {
    await fc.assert(
      fc.asyncProperty(mbrLayoutArb, async ({ layout, diskBytes }) => {
        const got = await actual(written(layout, diskBytes), layout.sectorSize);
        expect(got.scheme).toBe('mbr');
        expect(got.warnings).toEqual([]);
        expect(got.rows).toEqual(expectedMbr(layout));
      }),
      { seed: 1701, numRuns: 150 },
    );
  });

  it('MBR: 4096-byte sectors are found without being told when file systems sit at the partitions that way', async () => {
    await fc.assert(
      // Only a data partition can tell the sector size (an empty extended partition cannot).
      fc.asyncProperty(mbrLayoutArb.filter(({ layout }) => layout.partitions.some((p) => ![0x05, 0x0f, 0x85].includes(p.type as number))), async ({ layout, diskBytes }) => {
        const disk = written(layout, diskBytes);
        // An NTFS boot sector signature at every data partition's first sector.
        for (const p of layout.partitions) {
          if ([0x05, 0x0f, 0x85].includes(p.type as number)) continue;
          const at = p.startSector * layout.sectorSize;
          disk.write(at + 3, new TextEncoder().encode('NTFS    '));
          disk.write(at + 510, Uint8Array.of(0x55, 0xaa));
        }
        const got = await actual(disk);
        expect(got.sectorSize).toBe(layout.sectorSize);
        expect(got.rows).toEqual(expectedMbr(layout));
      }),
      { seed: 1707, numRuns: 60 },
    );
  });

  it('GPT: non-sequential slots, names, attributes, 512 and 4096-byte sectors found without being told', async () => {
    await fc.assert(
      fc.asyncProperty(gptLayoutArb, async ({ layout, diskBytes }) => {
        const got = await actual(written(layout, diskBytes));
        expect(got.scheme).toBe('gpt');
        expect(got.sectorSize).toBe(layout.sectorSize);
        expect(got.warnings).toEqual([]);
        expect(got.rows).toEqual(expectedGpt(layout));
      }),
      { seed: 1702, numRuns: 150 },
    );
  });

  it('GPT: a damaged primary header or entry array falls back to the backup with a warning', async () => {
    await fc.assert(
      fc.asyncProperty(gptLayoutArb, fc.constantFrom('header', 'array'), fc.nat(), async ({ layout, diskBytes }, where, seed) => {
        const disk = written(layout, diskBytes);
        const ss = layout.sectorSize;
        // Header: any of its first 92 bytes; array: any byte of the used entries.
        const offset = where === 'header' ? ss + (seed % 92) : 2 * ss + (seed % ((layout.entryCount ?? 128) * (layout.entrySize ?? 128)));
        disk.flipBit(offset, seed % 8);
        const got = await actual(disk);
        expect(got.rows).toEqual(expectedGpt(layout));
        expect(got.warnings.join('\n')).toMatch(/primary GPT is damaged, using the backup/);
      }),
      { seed: 1703, numRuns: 100 },
    );
  });

  it('GPT wins over a hybrid MBR; a wiped primary header is found through the protective MBR', async () => {
    await fc.assert(
      fc.asyncProperty(gptLayoutArb, async ({ layout, diskBytes }) => {
        const disk = written(layout, diskBytes);
        // Hybrid: a second MBR record describing a partition the MBR way.
        disk.write(446 + 16, Uint8Array.of(0x80, 0, 0, 0, 0x07, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 0, 0, 0));
        expect((await actual(disk)).rows).toEqual(expectedGpt(layout));
        disk.write(layout.sectorSize, new Uint8Array(layout.sectorSize));
        const got = await actual(disk);
        expect(got.rows).toEqual(expectedGpt(layout));
        expect(got.warnings.join()).toMatch(/using the backup/);
        expect(got.codes).toContain('BAD_MAGIC');
      }),
      { seed: 1705, numRuns: 40 },
    );
  });

  it('describes a 1 TB disk without allocating it', async () => {
    const sectors = 2 ** 31; // 1 TiB of 512-byte sectors
    const layout: LayoutSpec = {
      scheme: 'gpt',
      sectorSize: 512,
      partitions: [{ index: 1, startSector: 2048, sectorCount: sectors - 2048 - 34, type: KNOWN_TYPES[1]!, name: 'Data' }],
    };
    const got = await actual(written(layout, sectors * 512));
    expect(got.rows.map((r) => [r.index, r.start, r.size])).toEqual([[1, 2048 * 512, (sectors - 2082) * 512]]);
  });
});

describe('damaged tables give warnings or a GrtError, quickly', () => {
  async function onlyGrtErrors(disk: SparseDisk, sectorSize?: 512 | 4096): Promise<void> {
    try {
      await listVolumes(disk, sectorSize ? { sectorSize } : {});
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
    }
  }

  const damageArb = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 4095 }), fc.nat({ max: 7 })), { minLength: 1, maxLength: 20 });

  it('bit flips and truncation in MBR/EBR and GPT tables', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mbrLayoutArb, gptLayoutArb), damageArb, fc.option(fc.double({ min: 0, max: 1, noNaN: true })), async ({ layout, diskBytes }, flips, cut) => {
        let disk = written(layout, diskBytes);
        const pages = disk.writtenOffsets();
        for (const [page, within, bit] of flips) disk.flipBit((pages[page % pages.length]! + within) % diskBytes, bit);
        if (cut !== null) disk = disk.resized(Math.floor(diskBytes * cut));
        await onlyGrtErrors(disk);
        await onlyGrtErrors(disk, layout.sectorSize);
      }),
      { seed: 1704, numRuns: 200 },
    );
  });

  it('an EBR chain that loops back ends with a warning, keeping the partitions before the loop', async () => {
    const disk = written(TWO_LOGICALS, 200_000 * 512);
    // Point the second EBR's (empty) link at itself: second EBR at 2999 = extended start + 951.
    disk.write(2999 * 512 + 446 + 16, partitionRecord(0x05, 2999 - 2048, 200));
    const got = await actual(disk);
    expect(got.rows.map((r) => r.index)).toEqual([1, 5, 6]);
    expect(got.warnings.join()).toMatch(/loops back/);
  });

  it('any EBR link pointing back into the chain ends it with a warning; every logical partition is listed once', async () => {
    const withLogicals = mbrLayoutArb.filter(({ layout }) => layout.partitions.filter((p) => p.logical).length >= 1);
    await fc.assert(
      fc.asyncProperty(withLogicals, fc.nat(), async ({ layout, diskBytes }, seed) => {
        const disk = written(layout, diskBytes);
        const container = layout.partitions.find((p) => !p.logical && [0x05, 0x0f, 0x85].includes(p.type as number))!;
        const logicals = layout.partitions.filter((p) => p.logical);
        const last = logicals.at(-1)!.ebrSector!;
        const target = logicals[seed % logicals.length]!.ebrSector!;
        disk.write(last * layout.sectorSize + 446 + 16, partitionRecord(0x05, target - container.startSector, 1));
        const got = await actual(disk, layout.sectorSize);
        expect(got.rows).toEqual(expectedMbr(layout));
        expect(got.warnings.join()).toMatch(/loops back/);
      }),
      { seed: 1706, numRuns: 60 },
    );
  });

  it('an EBR is read as Linux reads it: data in any slot, slots 3–4 only inside the extended partition, the link in any slot', async () => {
    const disk = written(TWO_LOGICALS, 200_000 * 512);
    // First EBR (sector 2048): slot 2 a data partition (not a link), slot 3 another inside the
    // extended partition, slot 4 garbage far outside it... and no link: the chain ends here.
    disk.write(2048 * 512 + 446 + 16, partitionRecord(0x83, 500, 50));
    disk.write(2048 * 512 + 446 + 32, partitionRecord(0x0b, 600, 50));
    disk.write(2048 * 512 + 446 + 48, partitionRecord(0x07, 5_000_000, 50));
    let got = await actual(disk);
    expect(got.rows.map((r) => [r.index, r.start / 512])).toEqual([[1, 2048], [5, 2049], [6, 2548], [7, 2648]]);
    // The link moved to slot 4: the chain goes on to the second EBR (sector 2999).
    disk.write(2048 * 512 + 446 + 48, partitionRecord(0x05, 2999 - 2048, 200));
    got = await actual(disk);
    expect(got.rows.map((r) => [r.index, r.start / 512])).toEqual([[1, 2048], [5, 2049], [6, 2548], [7, 2648], [8, 3000]]);
    expect(got.warnings).toEqual([]);
  });

  it('an EBR chain longer than the limit stops at 1024 logical partitions with a warning', async () => {
    const logicals: PartitionSpec[] = Array.from({ length: 1100 }, (_, i) => ({ startSector: 2049 + i * 4, sectorCount: 3, type: 0x83, logical: true, ebrSector: 2048 + i * 4 }));
    const layout: LayoutSpec = { scheme: 'mbr', sectorSize: 512, partitions: [{ index: 2, startSector: 2048, sectorCount: 5000, type: 0x05 }, ...logicals] };
    const got = await actual(written(layout, 8000 * 512));
    expect(got.rows.length).toBe(1 + 1024);
    expect(got.rows.at(-1)!.index).toBe(5 + 1023);
    expect(got.warnings.join()).toMatch(/longer than 1024/);
  });

  it('a huge GPT entry count with a valid CRC is refused by a named limit; the backup is used', async () => {
    const layout: LayoutSpec = { scheme: 'gpt', sectorSize: 512, partitions: [{ index: 3, startSector: 40, sectorCount: 100, type: KNOWN_TYPES[0]!, name: 'x' }] };
    const disk = written(layout, 1000 * 512);
    const header = await disk.read(512, 92);
    const copy = header.slice();
    const view = new DataView(copy.buffer);
    view.setUint32(80, 0xffffffff, true);
    view.setUint32(16, 0, true);
    const { crc32 } = await import('../../src/util/crc32.js');
    view.setUint32(16, crc32(copy), true);
    disk.write(512, copy);
    const got = await actual(disk);
    expect(got.rows.map((r) => r.index)).toEqual([3]);
    expect(got.codes).toContain('LIMIT_EXCEEDED');
    // And with the backup gone too, a GrtError.
    disk.write(999 * 512, new Uint8Array(512));
    await expect(listVolumes(disk)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('partitions past the disk end are clipped (or left out) with a warning', async () => {
    const layout: LayoutSpec = {
      scheme: 'mbr',
      sectorSize: 512,
      partitions: [
        { index: 1, startSector: 10, sectorCount: 100, type: 0x83 },
        { index: 2, startSector: 110, sectorCount: 1000, type: 0x07 },
        { index: 4, startSector: 5000, sectorCount: 10, type: 0x07 },
      ],
    };
    const got = await actual(written(layout, 600 * 512));
    expect(got.rows.map((r) => [r.index, r.start, r.size])).toEqual([[1, 5120, 51200], [2, 56320, 490 * 512]]);
    expect(got.warnings).toHaveLength(2);
  });

  it('overlapping partitions and GPT entries outside the usable LBAs are kept, with warnings', async () => {
    const mbr: LayoutSpec = {
      scheme: 'mbr',
      sectorSize: 512,
      partitions: [
        { index: 1, startSector: 10, sectorCount: 100, type: 0x83 },
        { index: 3, startSector: 50, sectorCount: 10, type: 0x07 },
      ],
    };
    const gotMbr = await actual(written(mbr, 600 * 512));
    expect(gotMbr.rows.map((r) => r.index)).toEqual([1, 3]);
    expect(gotMbr.warnings).toEqual(['partitions 1 and 3 overlap']);
    const gpt: LayoutSpec = { scheme: 'gpt', sectorSize: 512, partitions: [{ index: 1, startSector: 2, sectorCount: 10, type: KNOWN_TYPES[0]! }] };
    const gotGpt = await actual(written(gpt, 600 * 512));
    expect(gotGpt.rows.map((r) => [r.index, r.start])).toEqual([[1, 1024]]);
    expect(gotGpt.warnings.join()).toMatch(/outside the usable LBAs 34\.\.566/);
  });
});
