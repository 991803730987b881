/**
 * Restore from Linux volumes (the committed ext2/3/4 and XFS images) onto this host: content,
 * mode bits (setuid/setgid/sticky too), owners when root, times, symlink targets verbatim, hard
 * links sharing one inode, FIFOs and (as root) devices, `user.*` xattrs — and the same result
 * through a catalog of the volume. Compared with each image's manifest and with the reader's own
 * entries (times in nanoseconds).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, CatalogFileSystem, openCatalog } from '../../src/catalog/index.js';
import { openExt } from '../../src/fs/ext/volume.js';
import type { FileEntry, FileSystem } from '../../src/fs/file-system.js';
import { openXfs } from '../../src/fs/xfs/volume.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { restore, type RestoreEvent } from '../../src/restore/index.js';
import { manifest as extManifest, storedTimeNs, volumeSource as extVolume } from '../ext/ext-images.js';
import { manifest as xfsManifest, volumeSource as xfsVolume } from '../xfs/xfs-images.js';
import { describeTree, entriesOf } from './restored-tree.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-linux-restore-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function restoreAll(fs: FileSystem, paths: string[], to: string, owner = true): Promise<RestoreEvent[]> {
  const events: RestoreEvent[] = [];
  const summary = await restore({ fs, paths, to, owner, onEvent: (e) => events.push(e) });
  expect(summary.failed).toBe(0);
  return events;
}

/** Times set through utimensat (the native addon): the nanoseconds stored, exactly (a symlink's own too). */
function expectTimes(row: Record<string, unknown>, entry: FileEntry, path: string): void {
  expect([row.mtimeNs, row.atimeNs], path).toEqual([entry.times.mtime, entry.times.atime]);
}

async function catalogView(fs: FileSystem, source: ByteSource, kind: string): Promise<FileSystem> {
  const binding = { capacity: source.size, cids: [], partitions: [{ index: 1, start: 0, size: source.size, fs: kind }] };
  const catalog = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs }] }));
  return new CatalogFileSystem(catalog, 1, source);
}

/** Manifest rows both images' manifests give (ext's fls letters mapped to types). */
interface Expected {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  sha256?: string;
  target?: string;
}

function checkAgainst(tree: Map<string, Record<string, unknown>>, expected: Expected[], entries: Map<string, FileEntry>, owner: boolean): void {
  for (const want of expected) {
    const got = tree.get(want.path);
    expect(got, want.path).toBeDefined();
    if (want.type === 'socket') continue;
    expect(got!.type, want.path).toBe(want.type);
    if (want.type !== 'symlink') expect(got!.mode, want.path).toBe(want.mode);
    if (owner && isRoot) expect([got!.uid, got!.gid], want.path).toEqual([want.uid, want.gid]);
    else expect(got!.uid, want.path).toBe(process.getuid?.());
    if (want.sha256) expect(got!.sha256, want.path).toBe(want.sha256);
    if (want.target !== undefined) expect(got!.target, want.path).toBe(want.target);
    expectTimes(got!, entries.get(want.path)!, want.path);
  }
}

const FLS_TYPE: Record<string, string> = { r: 'file', d: 'dir', l: 'symlink', p: 'fifo' };

describe.each(['ext2-1k.img.gz', 'ext4-4k.img.gz', 'ext4-journal.img.gz'])('restore from %s', (file) => {
  const volume = extManifest.volumes.find((v) => v.file === file)!;
  const expected: Expected[] = volume.entries.filter((e) => e.path !== '/lost+found').map((e) => ({ ...e, type: FLS_TYPE[e.fls]! }));

  it('gives every entry its content, mode, owner, times, link text and shared inode; a catalog gives the same tree', async () => {
    const source = extVolume(file);
    const fs = await openExt(source);
    const entries = await entriesOf(fs);
    const to = join(dir, `${file}-image`);
    await restoreAll(fs, ['/'], to);
    const tree = describeTree(to);
    checkAgainst(tree, expected, entries, true);
    // The manifest's own nanoseconds (debugfs), 1960 and 2040 among them, symlinks' own times too.
    for (const e of volume.entries.filter((x) => x.path !== '/lost+found' && x.mtime[1] !== null && x.atime[1] !== null)) {
      const got = tree.get(e.path)!;
      expect([got.mtimeNs, got.atimeNs], e.path).toEqual([storedTimeNs(e.mtime), storedTimeNs(e.atime)]);
    }
    // Names of one inode are hard links of one restored file.
    const byInode = new Map<number, string[]>();
    for (const e of volume.entries.filter((x) => x.fls === 'r')) byInode.set(e.inode, [...(byInode.get(e.inode) ?? []), e.path]);
    for (const paths of [...byInode.values()].filter((p) => p.length > 1)) {
      expect(new Set(paths.map((p) => tree.get(p)!.sameAs)).size, paths.join(' ')).toBe(1);
    }
    const viaCatalog = join(dir, `${file}-catalog`);
    await restoreAll(await catalogView(fs, source, 'ext4'), ['/'], viaCatalog);
    expect(describeTree(viaCatalog)).toEqual(tree);
  });
});

describe('restore from XFS', () => {
  // The top-level entries and small directories: the large ones (hundreds of entries each) only
  // test the directory formats, which the XFS reader's own tests cover.
  const top = xfsManifest.entries.filter((e) => e.path.split('/').length === 2);
  const small = top.filter((e) => xfsManifest.entries.filter((x) => x.path.startsWith(`${e.path}/`)).length <= 20).map((e) => e.path);
  const expected: Expected[] = xfsManifest.entries
    .filter((e) => small.some((p) => e.path === p || e.path.startsWith(`${p}/`)))
    .map((e) => ({ ...e, type: e.type === 'other' ? e.kind! : e.type }));

  it.each(xfsManifest.volumes.map((v) => v.file))('%s: content, modes, owners, links, fifo and devices (root), the same through a catalog', async (file) => {
    const source = xfsVolume(file);
    const fs = await openXfs(source);
    const entries = await entriesOf(fs);
    const to = join(dir, `${file}-image`);
    const events = await restoreAll(fs, small, to);
    const tree = describeTree(to);
    checkAgainst(
      tree,
      expected.filter((e) => (e.type !== 'chardev' && e.type !== 'blockdev') || (isRoot && entries.get(e.path)!.details?.deviceMajor !== undefined)),
      entries,
      true,
    );
    // Devices the reader gives no number for, or made without root: a warning, never a failure.
    for (const e of expected.filter((x) => (x.type === 'chardev' || x.type === 'blockdev') && !tree.has(x.path))) {
      expect(events.some((ev) => ev.type === 'warning' && ev.path === e.path), e.path).toBe(true);
    }
    const viaCatalog = join(dir, `${file}-catalog`);
    await restoreAll(await catalogView(fs, source, 'xfs'), small, viaCatalog);
    expect(describeTree(viaCatalog)).toEqual(tree);
  });
});
