/** A whole VM opened by its .vmx (test-images/lvm: two disks, an LVM2 VG over both) through the commands. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { main as ls } from '../../src/cli/grt-ls.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as catalog } from '../../src/cli/grt-catalog.js';
import { runCli } from '../helpers/run-cli.js';

const IMAGES = join(import.meta.dirname, '../../test-images/lvm');
interface Manifest {
  disks: { file: string }[];
  volumes: { id: string; fs: string; label: string; size: number; files: Record<string, string> }[];
}

const run = runCli;
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let work: string;
let manifest: Manifest;
let vmx: string;
const lv = (id: string) => manifest.volumes.find((v) => v.id === id)!;

beforeAll(async () => {
  manifest = JSON.parse(await readFile(join(IMAGES, 'manifest.json'), 'utf8')) as Manifest;
  work = await mkdtemp(join(tmpdir(), 'grt-vm-cli-'));
  for (const disk of manifest.disks) await writeFile(join(work, disk.file.replace(/\.gz$/, '')), gunzipSync(await readFile(join(IMAGES, disk.file))));
  vmx = join(work, 'vm.vmx');
  await copyFile(join(IMAGES, 'vm.vmx'), vmx);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('a VM opened by its .vmx', () => {
  it('grt-ls --info lists both disks, their volumes and the three LVs with their file systems', async () => {
    const r = await run(ls, [vmx, '--info', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as {
      disks: { path: string; capacity: number }[];
      partitions: { id: string; disk: number; fs: string; label?: string }[];
      logicalVolumes: { id: string; size: number; fs: string; label?: string; segmentTypes: string[]; unavailable?: string }[];
    };
    expect(info.disks.map((d) => d.path)).toEqual([join(work, 'disk1.vmdk'), join(work, 'disk2.vmdk')]);
    expect(info.partitions.map((p) => [p.id, p.disk, p.fs])).toEqual([['1', 1, 'ext2'], ['2', 1, 'lvm2'], ['2:0', 2, 'lvm2']]);
    expect(info.partitions[0]!.label).toBe(lv('boot').label);
    const lvs = Object.fromEntries(info.logicalVolumes.map((v) => [v.id, v]));
    for (const id of ['vmvg/root', 'vmvg/data', 'vmvg/logs']) {
      expect(lvs[id], id).toMatchObject({ size: lv(id).size, fs: lv(id).fs, label: lv(id).label });
      expect(lvs[id]!.unavailable).toBeUndefined();
    }
    expect(lvs['vmvg/data']!.segmentTypes).toEqual(['striped']);
    // The tree: disk → partition (a PV) → VG → LV, by parent ids and the VG nodes.
    const tree = JSON.parse(r.stdout) as { partitions: { id: string; parent: string; vg?: string }[]; logicalVolumes: { id: string; parent: string }[]; volumeGroups: { id: string; pvs: string[]; lvs: string[] }[] };
    expect(tree.partitions.map((p) => [p.id, p.parent, p.vg])).toEqual([['1', 'disk:1', undefined], ['2', 'disk:1', 'vg:vmvg'], ['2:0', 'disk:2', 'vg:vmvg']]);
    expect(tree.logicalVolumes.map((v) => v.parent)).toEqual(['vg:vmvg', 'vg:vmvg', 'vg:vmvg']);
    expect(tree.volumeGroups).toEqual([{ id: 'vg:vmvg', name: 'vmvg', uuid: expect.any(String), pvs: ['2', '2:0'], lvs: ['vmvg/root', 'vmvg/data', 'vmvg/logs'] }]);
    const text = await run(ls, [vmx, '--info']);
    expect(text.stdout).toMatch(/logical volumes \(LVM2\):\n {2}VG vmvg +uuid \S+ +PVs 2, 2:0\n {2}vmvg\/root +1\.0 MiB +striped +ext4 +label "root"/);
    expect(text.stdout).toMatch(/ 2 .* lvm2 .*PV of vmvg/);
    expect(text.stdout).toContain('disk2.vmdk');
  });

  it('grt-ls --partition VG/LV -R lists the LV\'s ext tree', async () => {
    const r = await run(ls, [vmx, '/', '--partition', 'vmvg/root', '-R']);
    expect(r.code, r.stderr).toBe(0);
    for (const file of Object.keys(lv('vmvg/root').files)) expect(r.stdout).toContain(file.split('/').pop());
    expect(r.stdout).toMatch(/etc/);
  });

  it('grt-extract --stdout of a file on the striped LV gives the manifest sha256', async () => {
    for (const id of ['vmvg/data', 'vmvg/root', 'vmvg/logs']) {
      for (const [file, digest] of Object.entries(lv(id).files)) {
        const r = await run(extract, [vmx, '--partition', id, `/${file}`, '--stdout']);
        expect(r.code, r.stderr).toBe(0);
        expect(sha(r.bytes), `${id} ${file}`).toBe(digest);
      }
    }
  });

  it('disk 1 alone opens only the LV on it; the others say which PV is missing', async () => {
    const r = await run(ls, [join(work, 'disk1.vmdk'), '--info', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lvs = Object.fromEntries((JSON.parse(r.stdout) as { logicalVolumes: { id: string; fs: string; unavailable?: string }[] }).logicalVolumes.map((v) => [v.id, v]));
    expect(lvs['vmvg/logs']).toMatchObject({ fs: 'ext2' });
    expect(lvs['vmvg/logs']!.unavailable).toBeUndefined();
    expect(lvs['vmvg/root']!.unavailable).toMatch(/missing/);
    expect(lvs['vmvg/data']!.unavailable).toMatch(/missing/);
    const refused = await run(ls, [join(work, 'disk1.vmdk'), '/', '--partition', 'vmvg/root']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/vmvg\/root cannot be read: .*missing/);
    const logs = await run(extract, [join(work, 'disk1.vmdk'), '--partition', 'vmvg/logs', '/syslog', '--stdout']);
    expect(sha(logs.bytes)).toBe(lv('vmvg/logs').files['syslog']);
  });

  it('--add-disk puts disk 2 back: disk1 + disk2 read like the .vmx', async () => {
    const r = await run(extract, [join(work, 'disk1.vmdk'), '--add-disk', join(work, 'disk2.vmdk'), '--partition', 'vmvg/data', '/striped.bin', '--stdout']);
    expect(r.code, r.stderr).toBe(0);
    expect(sha(r.bytes)).toBe(lv('vmvg/data').files['striped.bin']);
  });

  it('grt-catalog from the .vmx catalogues every volume; grt-ls and grt-extract --catalog take the same ids', async () => {
    const out = join(work, 'vm.grtcat');
    const r = await run(catalog, [vmx, '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { volumes: { id: string; fs: string }[] };
    expect(summary.volumes.map((v) => [v.id, v.fs])).toEqual([['1', 'ext2'], ['vmvg/root', 'ext4'], ['vmvg/data', 'ext2'], ['vmvg/logs', 'ext2']]);
    expect(r.stderr).toBe('');
    const listed = await run(extract, [vmx, '--catalog', out, '--partition', '1', '/grub.cfg', '--stdout']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(sha(listed.bytes)).toBe(lv('boot').files['grub.cfg']);
    for (const id of ['vmvg/root', 'vmvg/data', 'vmvg/logs']) {
      const names = await run(ls, ['--catalog', out, '--partition', id, '-R', '/']);
      expect(names.code, names.stderr).toBe(0);
      for (const [file, digest] of Object.entries(lv(id).files)) {
        expect(names.stdout).toContain(file.split('/').pop());
        const restored = await run(extract, [vmx, '--catalog', out, '--partition', id, `/${file}`, '--stdout']);
        expect(restored.code, restored.stderr).toBe(0);
        expect(sha(restored.bytes), `${id} ${file}`).toBe(digest);
      }
    }
    const several = await run(ls, ['--catalog', out, '/']);
    expect(several.stderr).toMatch(/several volumes: 1 \(ext2 "boot"\), vmvg\/root \(ext4 "root"\)/);
    const unknown = await run(ls, ['--catalog', out, '--partition', '2:0', '/']);
    expect(unknown.stderr).toMatch(/no volume 2:0 in the catalog/);
    const exported = await run(catalog, [out, '--format', 'ndjson', '--partition', 'vmvg/data']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout.split('\n')[0]!)).toMatchObject({ volume: 'vmvg/data' });
    // Against disk 1 alone the catalog would read LVs whose disk is absent: refused, one line.
    const alone = await run(extract, [join(work, 'disk1.vmdk'), '--catalog', out, '--partition', '1', '/grub.cfg', '--stdout']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/CATALOG_MISMATCH: .*disk 2 is missing/);
  });
});
