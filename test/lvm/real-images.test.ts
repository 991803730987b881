/** The two-disk LVM2 VM made by LVM2's own tools (test-images/lvm/make.sh), opened from its .vmx. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDisk, type VirtualDisk } from '../../src/vmdk/disk.js';
import { localFileOpener } from '../../src/io/local-opener.js';
import { listVolumes } from '../../src/volume/list-volumes.js';
import { readPvLabel } from '../../src/volume/lvm/label.js';
import { readMetadataArea } from '../../src/volume/lvm/metadata-area.js';
import { parseVgMetadata } from '../../src/volume/lvm/metadata.js';
import { assembleLogicalVolumes, type InputVolume } from '../../src/volume/lvm/assemble.js';
import { readVmx } from '../../src/vm/vmx.js';

const dir = join(import.meta.dirname, '../../test-images/lvm');
interface Manifest {
  disks: { file: string; rawSha256: string }[];
  extentBytes: number;
  pvs: { key: string; uuid: string }[];
  volumes: { id: string; fs: string; label: string; size: number; sha256: string }[];
  oracle: { vgs: string[]; lvs: string[] };
}
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let work: string;
let disks: VirtualDisk[] = [];
let manifest: Manifest;

/** Volume ids as the seams issue numbers them: "N" on disk 1, "D:N" on disk D, "D:0" a whole unpartitioned disk. */
async function inputsOf(list: VirtualDisk[]): Promise<InputVolume[]> {
  const inputs: InputVolume[] = [];
  for (const [i, disk] of list.entries()) {
    for (const volume of (await listVolumes(disk)).volumes) inputs.push({ id: i === 0 ? `${volume.index}` : `${i + 1}:${volume.index}`, source: volume.source });
  }
  return inputs;
}

beforeAll(async () => {
  manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  work = await mkdtemp(join(tmpdir(), 'grt-lvm-'));
  for (const disk of manifest.disks) await writeFile(join(work, disk.file.replace(/\.gz$/, '')), gunzipSync(await readFile(join(dir, disk.file))));
  await copyFile(join(dir, 'vm.vmx'), join(work, 'vm.vmx'));
  const vmx = await readVmx(localFileOpener, join(work, 'vm.vmx'));
  disks = await Promise.all(vmx.disks.map((disk) => openDisk(disk.location)));
});

afterAll(async () => {
  for (const disk of disks) await disk.close();
  await rm(work, { recursive: true, force: true });
});

describe('LVM2 VM made by LVM2 tools', () => {
  it('opens the disks the .vmx names, in order, skipping the CD-ROM', async () => {
    expect(disks).toHaveLength(2);
    for (const [i, disk] of disks.entries()) expect(sha(await disk.read(0, disk.size))).toBe(manifest.disks[i]!.rawSha256);
  });

  it('reads the PV labels pvcreate wrote', async () => {
    const inputs = await inputsOf(disks);
    const labels = await Promise.all(inputs.map(async (input) => [input.id, (await readPvLabel(input.source))?.pvUuid]));
    expect(labels).toEqual([['1', undefined], ['2', manifest.pvs[0]!.uuid], ['2:0', manifest.pvs[1]!.uuid]]);
  });

  it("reads the segments as lvs -o seg_start_pe,seg_pe_ranges shows them", async () => {
    const pv0 = (await inputsOf(disks)).find((v) => v.id === '2')!.source;
    const label = (await readPvLabel(pv0))!;
    const vg = parseVgMetadata((await readMetadataArea(pv0, label.metadataAreas[0]!))!.text);
    const device: Record<string, string> = { pv0: 'disk1p2', pv1: 'disk2' };
    const ours = vg.lvs.flatMap((lv) =>
      lv.segments!.map((s) => {
        const perStripe = s.extentCount / s.stripes.length;
        const ranges = s.stripes.map((st) => `${device[st.pvKey]}:${st.startExtent}-${st.startExtent + perStripe - 1}`).join(' ');
        return `${lv.name} ${s.stripes.length} ${s.stripeSize * 512}B ${s.startExtent} ${ranges}`;
      }),
    );
    // Oracle columns: LV LSize Type #Str Stripe Start PE-Ranges.
    const oracle = manifest.oracle.lvs.slice(1).map((line) => {
      const [name, , , stripes, stripeSize, start, ...ranges] = line.trim().split(/\s+/);
      return `${name} ${stripes} ${stripeSize} ${start} ${ranges.join(' ')}`;
    });
    expect(ours.sort()).toEqual(oracle.sort());
  });

  it('assembles the VG over both disks as vgs/lvs show it, every LV bit-exact', async () => {
    const result = await assembleLogicalVolumes(await inputsOf(disks));
    expect(result.warnings).toEqual([]);
    const [vgName, vgUuid, extent, pvCount, lvCount, seqno] = manifest.oracle.vgs[1]!.trim().split(/\s+/);
    expect(result.groups).toMatchObject([{ name: vgName, uuid: vgUuid, extentBytes: parseInt(extent!, 10), seqno: Number(seqno), pvs: [{ volumeId: '2' }, { volumeId: '2:0' }] }]);
    expect(result.groups[0]!.pvs).toHaveLength(Number(pvCount));
    expect(result.volumes).toHaveLength(Number(lvCount));
    for (const expected of manifest.volumes.filter((v) => v.id.includes('/'))) {
      const lv = result.volumes.find((v) => v.id === expected.id)!;
      expect(lv, expected.id).toMatchObject({ size: expected.size, fs: expected.fs, label: expected.label });
      expect(sha(await lv.source!.read(0, lv.size)), expected.id).toBe(expected.sha256);
    }
  });

  it('without disk 2, the LVs on its PV are unavailable and the one on disk 1 opens', async () => {
    const result = await assembleLogicalVolumes(await inputsOf(disks.slice(0, 1)));
    const byId = new Map(result.volumes.map((v) => [v.id, v]));
    expect(byId.get('vmvg/root')!.unavailable).toMatch(/PV pv1 \(uuid GrtPv1-.*\) is missing/);
    expect(byId.get('vmvg/data')!.unavailable).toMatch(/is missing/);
    const logs = manifest.volumes.find((v) => v.id === 'vmvg/logs')!;
    expect(sha(await byId.get('vmvg/logs')!.source!.read(0, logs.size))).toBe(logs.sha256);
  });
});
