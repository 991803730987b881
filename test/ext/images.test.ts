import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openExt } from '../../src/fs/ext/volume.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { manifest, storedTimeNs, volumeSource } from './ext-images.js';

const FLS_TYPE: Record<string, string> = { r: 'file', d: 'dir', l: 'symlink', p: 'other' };

async function listAll(file: string, options = {}): Promise<Map<string, FileEntry>> {
  const fs = await openExt(volumeSource(file), options);
  const found = new Map<string, FileEntry>();
  for await (const entry of fs.walk('/')) found.set(entry.path, entry);
  return found;
}

describe.each(manifest.volumes.map((v) => [v.file, v] as const))('%s against the e2fsck + TSK oracle', (file, volume) => {
  it('lists every entry fls lists, with its inode, type, mode, owners, links, times and size', async () => {
    const found = await listAll(file);
    expect([...found.keys()].sort()).toEqual(volume.entries.map((e) => e.path).sort());
    for (const expected of volume.entries) {
      const entry = found.get(expected.path)!;
      expect({ path: entry.path, inode: entry.id.record, type: entry.type }).toEqual({ path: expected.path, inode: expected.inode, type: FLS_TYPE[expected.fls] });
      expect(entry.mode).toBe(expected.mode);
      expect([entry.uid, entry.gid, entry.links]).toEqual([expected.uid, expected.gid, expected.links]);
      if (entry.type !== 'dir') expect(entry.size).toBe(expected.size);
      expect(entry.times.mtime).toBe(storedTimeNs(expected.mtime));
      expect(entry.times.atime).toBe(storedTimeNs(expected.atime));
      expect(entry.times.ctime).toBe(storedTimeNs(expected.ctime));
      if (expected.crtime) expect(entry.times.btime).toBe(storedTimeNs(expected.crtime));
      else expect(entry.times.btime).toBeUndefined();
      if (expected.target !== undefined) expect(entry.target).toBe(expected.target);
      expect(entry.warnings).toEqual([]);
    }
  });

  it('reads every regular file bit-exact (icat), through openStream and through its layout', async () => {
    const source = volumeSource(file);
    const fs = await openExt(source);
    for (const expected of volume.entries.filter((e) => e.fls === 'r')) {
      const stream = await fs.openStream(expected.path);
      const bytes = await stream.read(0, stream.size);
      expect(createHash('sha256').update(bytes).digest('hex'), expected.path).toBe(expected.sha256);
      const layout = await fs.streamLayout(expected.path);
      const fromLayout = new Uint8Array(layout.size);
      if (layout.encoding === 'resident') fromLayout.set(layout.resident!);
      for (const run of layout.runs) {
        if (run.sourceOffset !== null) fromLayout.set(await source.read(run.sourceOffset, run.length), run.streamOffset);
      }
      expect(createHash('sha256').update(fromLayout).digest('hex'), `${expected.path} layout`).toBe(expected.sha256);
    }
  });

  it('has no checksum or damage warnings on a clean volume', async () => {
    const fs = await openExt(volumeSource(file));
    for await (const entry of fs.walk('/')) void entry;
    expect(fs.volume.warnings.filter((w) => w.code !== 'JOURNAL_REPLAYED')).toEqual([]);
  });
});

describe('ext volume facts', () => {
  it('tells ext2, ext3 and ext4 apart as blkid does, with label and UUID', async () => {
    const versions = await Promise.all(['ext2-1k', 'ext3-1k', 'ext4-4k'].map(async (name) => (await openExt(volumeSource(`${name}.img.gz`))).info));
    expect(versions.map((i) => [i.version, i.label, i.clusterSize])).toEqual([['ext2', 'ext2-1k', 1024], ['ext3', 'ext3-1k', 1024], ['ext4', 'ext4-4k', 4096]]);
    expect(versions[0]!.uuid).toBe('6b3c1d2e-0000-4000-8000-000000000007');
  });

  it('reads user.* and security.* xattrs, in the inode (ext4) and in an xattr block (ext2, 128-byte inodes)', async () => {
    for (const file of ['ext2-1k.img.gz', 'ext4-4k.img.gz', 'ext4-inline.img.gz']) {
      const fs = await openExt(volumeSource(file));
      const xattrs = await fs.xattrs('/hello.txt');
      expect(xattrs.map((x) => [x.name, new TextDecoder().decode(x.value)])).toEqual([['user.comment', 'a user xattr'], ['security.label', 'sec']]);
    }
  });

  it('decodes times past 2038 and before 1970 with nanoseconds (epoch bits of *_extra)', async () => {
    const fs = await openExt(volumeSource('ext4-4k.img.gz'));
    expect((await fs.stat('/future.txt')).times.mtime).toBe(BigInt(Date.UTC(2040, 5, 1, 1, 2, 3)) * 1_000_000n + 123_456_789n);
    expect((await fs.stat('/past.txt')).times.mtime).toBe(BigInt(Date.UTC(1960, 0, 2, 3, 4, 5)) * 1_000_000n + 500_000_000n);
  });

  it('lists a FIFO as other/fifo and keeps setuid and sticky bits', async () => {
    const fs = await openExt(volumeSource('ext4-4k.img.gz'));
    expect(await fs.stat('/fifo')).toMatchObject({ type: 'other', kind: 'fifo' });
    expect((await fs.stat('/owned.txt')).mode).toBe(0o4750);
    expect((await fs.stat('/sticky')).mode).toBe(0o1777);
  });
});

describe('jbd2 replay', () => {
  it.each(['ext4-journal.img.gz', 'ext4-journal-csum3.img.gz'])('%s: replays the committed transactions in memory: the file written only to the journal is there, the removed one gone', async (file) => {
    const fs = await openExt(volumeSource(file));
    expect(fs.info.journalReplayed).toBe(3);
    expect(fs.volume.warnings.map((w) => w.message)).toContain('journal replayed: 3 transactions (in memory; the image is unchanged)');
    expect(await (await fs.openStream('/new.txt')).read(0, 31)).toEqual(new TextEncoder().encode('written just before the backup\n'));
    await expect(fs.stat('/tiny.txt')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('leaves the revoked block and the uncommitted transaction out of the overlay', async () => {
    const fs = await openExt(volumeSource('ext4-journal.img.gz'));
    expect(fs.volume.reader.overlay.has(1000)).toBe(false);
    expect(fs.volume.reader.overlay.has(1001)).toBe(false);
    expect(fs.volume.reader.overlay.size).toBe(7);
  });

  it('without replay shows the volume as it is on disk', async () => {
    const found = await listAll('ext4-journal.img.gz', { replayJournal: false });
    expect(found.has('/tiny.txt')).toBe(true);
    expect(found.has('/new.txt')).toBe(false);
  });
});
