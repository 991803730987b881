import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import { assembleLogicalVolumes } from '../../src/volume/lvm/assemble.js';
import { writePv, vgText, MIB, type LvSpec } from './pv-writer.js';

const PV_A = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const PV_B = 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
/** 4 KiB extents (8 sectors), first extent at 1 MiB (2048 sectors), 64 extents per PV. */
const EXTENT = 4096;
const PE_START = MIB;
const pvList = [
  { key: 'pv0', rawUuid: PV_A, peStart: 2048, peCount: 64 },
  { key: 'pv1', rawUuid: PV_B, peStart: 2048, peCount: 64 },
];
const lvs: LvSpec[] = [
  // Linear over both PVs in reverse order: extents 0-1 on pv1, 2-4 on pv0.
  { name: 'root', segments: [{ startExtent: 2, extentCount: 3, stripes: [['pv0', 10]] }, { startExtent: 0, extentCount: 2, stripes: [['pv1', 20]] }] },
  { name: 'only_a', segments: [{ startExtent: 0, extentCount: 1, stripes: [['pv0', 0]] }] },
  { name: 'pool', segments: [{ startExtent: 0, extentCount: 1, stripes: [['pv0', 1]], type: 'thin-pool' }] },
];

function pvs(seqnoA: number, seqnoB: number) {
  const a = writePv({ rawUuid: PV_A, size: 2 * MIB }, vgText({ name: 'vg0', seqno: seqnoA, extentSize: 8, pvs: pvList, lvs }));
  const b = writePv({ rawUuid: PV_B, size: 2 * MIB }, vgText({ name: 'vg0', seqno: seqnoB, extentSize: 8, pvs: pvList, lvs: seqnoB > seqnoA ? lvs.slice(0, 1) : lvs }));
  a.fill(0xa0, PE_START + 10 * EXTENT, PE_START + 13 * EXTENT);
  a.fill(0xa1, PE_START, PE_START + EXTENT);
  b.fill(0xb0, PE_START + 20 * EXTENT, PE_START + 22 * EXTENT);
  return { a, b };
}

describe('assembleLogicalVolumes', () => {
  it('groups PVs of two disks into one VG and reads an LV spread over both in reverse order', async () => {
    const { a, b } = pvs(3, 3);
    const result = await assembleLogicalVolumes([{ id: '1', source: new MemorySource(new Uint8Array(MIB)) }, { id: '2', source: new MemorySource(a) }, { id: '2:0', source: new MemorySource(b) }]);
    expect(result.warnings).toEqual([]);
    expect(result.groups).toMatchObject([{ name: 'vg0', seqno: 3, extentBytes: EXTENT, pvs: [{ key: 'pv0', volumeId: '2' }, { key: 'pv1', volumeId: '2:0' }] }]);
    const root = result.volumes.find((v) => v.id === 'vg0/root')!;
    expect(root.size).toBe(5 * EXTENT);
    const bytes = await root.source!.read(0, root.size);
    expect(bytes.subarray(0, 2 * EXTENT).every((x) => x === 0xb0)).toBe(true);
    expect(bytes.subarray(2 * EXTENT).every((x) => x === 0xa0)).toBe(true);
    expect(result.volumes.find((v) => v.id === 'vg0/pool')).toMatchObject({ unavailable: expect.stringMatching(/thin-pool/) });
    expect(result.volumes.find((v) => v.id === 'vg0/pool')!.source).toBeUndefined();
  });

  it('takes the newest metadata copy by seqno and says so', async () => {
    const { a, b } = pvs(3, 4);
    const result = await assembleLogicalVolumes([{ id: '1', source: new MemorySource(a) }, { id: '2', source: new MemorySource(b) }]);
    expect(result.groups[0]!.seqno).toBe(4);
    expect(result.volumes.map((v) => v.id)).toEqual(['vg0/root']);
    expect(result.warnings.map((w) => w.message).join()).toMatch(/seqno 3, 4/);
  });

  it('makes the LVs of a missing PV unavailable and opens the others', async () => {
    const { a } = pvs(3, 3);
    const result = await assembleLogicalVolumes([{ id: '1', source: new MemorySource(a) }]);
    expect(result.groups[0]!.pvs[1]).toEqual({ key: 'pv1', uuid: 'BBBBBB-BBBB-BBBB-BBBB-BBBB-BBBB-BBBBBB', device: '/dev/x' });
    expect(result.volumes.find((v) => v.id === 'vg0/root')).toMatchObject({ unavailable: expect.stringMatching(/PV pv1 .* is missing/) });
    const onlyA = result.volumes.find((v) => v.id === 'vg0/only_a')!;
    expect((await onlyA.source!.read(0, EXTENT)).every((x) => x === 0xa1)).toBe(true);
  });

  it('turns a damaged label or metadata area into a warning', async () => {
    const { a, b } = pvs(3, 3);
    a[512 + 40]! ^= 1;
    b[4096 + 600]! ^= 1;
    const result = await assembleLogicalVolumes([{ id: '1', source: new MemorySource(a) }, { id: '2', source: new MemorySource(b) }]);
    expect(result.groups).toEqual([]);
    expect(result.warnings.map((w) => w.code)).toEqual(['BAD_CHECKSUM', 'BAD_CHECKSUM']);
  });
});
