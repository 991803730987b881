/**
 * The XFS reader against real volumes made by mkfs.xfs -p (test-images/xfs/make.sh): every entry
 * of the manifest with its type, mode, owners, size, content hash, symlink target and (for the
 * root's children) the inode number xfs_db gave, on v4 and v5 volumes of 1, 2 and 4 KiB blocks.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FileEntry } from '../../src/fs/file-system.js';
import { openXfs } from '../../src/fs/xfs/volume.js';
import { manifest, volumeBytes, volumeSource } from './xfs-images.js';

const MADE_AT_NS = BigInt(Date.parse(manifest.time)) * 1_000_000n;

async function sha256Of(read: (offset: number, length: number) => Promise<Uint8Array>, size: number): Promise<string> {
  return createHash('sha256').update(await read(0, size)).digest('hex');
}

describe.each(manifest.volumes)('XFS volume $file ($mkfsOptions)', (volume) => {
  it('is the committed image and xfs_repair -n found it clean', () => {
    expect(createHash('sha256').update(volumeBytes(volume.file)).digest('hex')).toBe(volume.sha256);
    expect(volume.repairClean).toBe(true);
  });

  it('lists every manifest entry with its fields and content', async () => {
    const fs = await openXfs(volumeSource(volume.file));
    expect(fs.info.serial).toBe(volume.uuid);
    expect(fs.info.clusterSize).toBe(volume.blockSize);
    const walked = new Map<string, FileEntry>();
    for await (const entry of fs.walk('/')) walked.set(entry.path, entry);
    expect([...walked.keys()].sort()).toEqual(manifest.entries.map((e) => e.path).sort());
    for (const expected of manifest.entries) {
      const entry = walked.get(expected.path)!;
      expect({ path: entry.path, type: entry.type, mode: entry.mode, uid: entry.uid, gid: entry.gid }).toEqual({
        path: expected.path, type: expected.type, mode: expected.mode, uid: expected.uid, gid: expected.gid,
      });
      expect(entry.warnings).toEqual([]);
      expect(entry.times.mtime).toBe(MADE_AT_NS);
      if (!volume.mkfsOptions.includes('crc=0')) expect(entry.times.btime).toBe(MADE_AT_NS);
      else expect(entry.times.btime).toBeUndefined();
      if (expected.kind) expect(entry.kind).toBe(expected.kind);
      if (expected.target !== undefined) expect(entry.target).toBe(expected.target);
      if (expected.links !== undefined) expect(entry.links, expected.path).toBe(expected.links);
      if (expected.type === 'file') {
        expect(entry.size).toBe(expected.size);
        const stream = await fs.openStream(entry);
        expect(await sha256Of((o, l) => stream.read(o, l), entry.size)).toBe(expected.sha256);
      }
    }
    for (const [path, inode] of Object.entries(volume.inodes)) expect(walked.get(path)?.id.record, path).toBe(inode);
    expect(fs.warnings).toEqual([]);
  });

  it('lists the extended attributes of short-form, leaf (with a remote value) and node forks', async () => {
    const fs = await openXfs(volumeSource(volume.file));
    for (const expected of manifest.entries.filter((e) => e.xattrs)) {
      const xattrs = await fs.xattrs(expected.path);
      const lengths = Object.fromEntries(xattrs.map((x) => [x.name, x.value.length]));
      expect(lengths, expected.path).toEqual(expected.xattrs);
      for (const x of xattrs) expect(x.value.every((byte) => byte === 0x76), x.name).toBe(true); // xfs_db fills with 'v'
    }
    expect(await fs.xattrs('/big.bin')).toEqual([]);
  });

  it('lists a hard link as one inode under two names, and the sticky, setuid and setgid bits', async () => {
    const fs = await openXfs(volumeSource(volume.file));
    const [a, b] = await Promise.all([fs.stat('/links/hardlink'), fs.stat('/links/hardlink-twin')]);
    expect([a.id.record, a.links, b.links]).toEqual([b.id.record, 2, 2]);
    expect(new TextDecoder().decode(await (await fs.openStream(b)).read(0, b.size))).toBe('one inode, two names\n');
    expect((await fs.stat('/open')).mode).toBe(0o1777);
    expect((await fs.stat('/setuid')).mode).toBe(0o4755);
    expect((await fs.stat('/links/setgid')).mode).toBe(0o2755);
  });

  it('gives devices their numbers, as the protofile made them (c 1 3, b 7 0)', async () => {
    const fs = await openXfs(volumeSource(volume.file));
    expect((await fs.stat('/null')).details).toMatchObject({ deviceMajor: 1, deviceMinor: 3 });
    expect((await fs.stat('/loop0')).details).toMatchObject({ deviceMajor: 7, deviceMinor: 0 });
  });

  it('reads a file through its layout as through its stream, and stats by path', async () => {
    const fs = await openXfs(volumeSource(volume.file));
    const expected = manifest.entries.find((e) => e.path === '/big.bin')!;
    const layout = await fs.streamLayout('/big.bin');
    expect(layout.runs.length).toBe(volume.forks['/big.bin']!.nextents);
    const data = fs.openLayout(layout);
    expect(await sha256Of((o, l) => data.read(o, l), layout.size)).toBe(expected.sha256);
    const small = await fs.stat('/sub/small.bin');
    expect(small.id.record).toBe(volume.inodes['/sub/small.bin']);
    expect(small.parent?.record).toBe(volume.inodes['/sub']);
    await expect(fs.stat('/nodedir/nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(fs.stat('/hello.txt/x')).rejects.toMatchObject({ code: 'NOT_A_DIRECTORY' });
    await expect(fs.openStream('/sub')).rejects.toMatchObject({ code: 'IS_A_DIRECTORY' });
  });
});

it('the volumes cover short-form, extent-list and B+tree directories', () => {
  const formats = new Set(manifest.volumes.flatMap((v) => Object.values(v.forks).map((f) => f.format)));
  expect(formats).toEqual(new Set(['1 (local)', '2 (extents)', '3 (btree)']));
});
