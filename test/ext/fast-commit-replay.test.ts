/**
 * ext4 fast commits replayed in memory (test-images/ext-fastcommit/make.sh): after the full
 * commit, two fast commits create a file with data, unlink one, append a range to another, rename
 * one into a subdirectory, add a hard link and truncate a file while changing its mode, owner and
 * times. grt must list and restore what e2fsck -fy leaves on a copy (the manifest), and treat a
 * fast commit with a bad checksum or of another transaction as e2fsck does.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as ls } from '../../src/cli/grt-ls.js';
import { MemorySource } from '../../src/io/memory-source.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { openExt, type ExtFileSystem } from '../../src/fs/ext/volume.js';
import { runCli } from '../helpers/run-cli.js';
import { storedTimeNs } from './ext-images.js';
import { FAST_COMMIT_IMAGE, fastCommitBytes, fastCommitManifest as manifest, type FastCommitEntry, withVariant } from './fast-commit-images.js';

async function walk(fs: ExtFileSystem): Promise<Map<string, FileEntry>> {
  const found = new Map<string, FileEntry>();
  for await (const entry of fs.walk('/')) if (!entry.path.startsWith('/lost+found')) found.set(entry.path, entry);
  return found;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The volume lists exactly `expected`, each entry with the oracle's metadata and content. */
async function expectListing(fs: ExtFileSystem, expected: readonly FastCommitEntry[]): Promise<void> {
  const found = await walk(fs);
  expect([...found.keys()].sort()).toEqual(expected.map((e) => e.path));
  for (const want of expected) {
    const entry = found.get(want.path)!;
    expect({ path: want.path, inode: entry.id.record, mode: entry.mode, uid: entry.uid, gid: entry.gid, links: entry.links })
      .toEqual({ path: want.path, inode: want.inode, mode: want.mode & 0o7777, uid: want.uid, gid: want.gid, links: want.links });
    expect([entry.times.mtime, entry.times.atime, entry.times.ctime], want.path).toEqual([storedTimeNs(want.mtime), storedTimeNs(want.atime), storedTimeNs(want.ctime)]);
    if (want.sha256 === undefined) continue;
    expect(entry.size, want.path).toBe(want.size);
    const stream = await fs.openStream(want.path);
    expect(sha256(await stream.read(0, stream.size)), want.path).toBe(want.sha256);
  }
}

function codes(fs: ExtFileSystem): string[] {
  return fs.warnings.map((w) => w.code);
}

describe('ext4 fast commits against the e2fsck oracle', () => {
  it('replays both fast commits after the full commit: lists what e2fsck leaves, bit-exact', async () => {
    const fs = await openExt(new MemorySource(fastCommitBytes()));
    expect(fs.warnings).toContainEqual({ code: 'FAST_COMMITS_REPLAYED', message: 'fast commits replayed: 2 (in memory; the image is unchanged)' });
    expect(codes(fs)).toEqual(['JOURNAL_REPLAYED', 'FAST_COMMITS_REPLAYED']);
    await expectListing(fs, manifest.entries);
    // Nothing else is warned about while reading (the logged inodes' checksums are recovery's to recompute).
    expect(codes(fs)).toEqual(['JOURNAL_REPLAYED', 'FAST_COMMITS_REPLAYED']);
  });

  it('reads a replayed file through its layout too (the catalog path): the appended range and the new file', async () => {
    const bytes = fastCommitBytes();
    const fs = await openExt(new MemorySource(bytes));
    for (const path of ['/append.bin', '/new.txt', '/meta.txt']) {
      const layout = await fs.streamLayout(path);
      const data = new Uint8Array(layout.size);
      for (const run of layout.runs) if (run.sourceOffset !== null) data.set(bytes.subarray(run.sourceOffset, run.sourceOffset + run.length), run.streamOffset);
      expect(sha256(data), path).toBe(manifest.entries.find((e) => e.path === path)!.sha256);
    }
  });

  it.each([['fc2-bad-crc', 'a bad checksum'], ['fc2-tail-old-tid', 'a TAIL of an older transaction']])('%s (%s in the second fast commit): only the first is replayed, as e2fsck', async (variant) => {
    const fs = await openExt(new MemorySource(withVariant(variant)));
    expect(codes(fs)).toEqual(['JOURNAL_REPLAYED', 'FAST_COMMITS_REPLAYED']);
    expect(fs.warnings[1]!.message).toBe('fast commits replayed: 1 (in memory; the image is unchanged)');
    await expectListing(fs, manifest.variants[variant]!.entries);
  });

  /**
   * e2fsck 1.47 drops the whole journal when no fast commit of the expected transaction is valid
   * (and the kernel refuses to mount); grt keeps the full commit (/keep.txt's new block) and
   * ignores the fast commits, so every other entry is what e2fsck shows.
   */
  const fullCommitKept = (variant: string): FastCommitEntry[] => manifest.variants[variant]!.entries.map((entry) =>
    (entry.path === '/keep.txt' ? { ...entry, sha256: manifest.entries.find((e) => e.path === '/keep.txt')!.sha256 } : entry));

  it('a bad checksum in the first fast commit: none is replayed, with a warning; the full commit still is', async () => {
    const fs = await openExt(new MemorySource(withVariant('fc1-bad-crc')));
    expect(fs.warnings).toContainEqual({
      code: 'FAST_COMMIT_NOT_REPLAYED',
      message: 'ext4 fast commit for transaction 2 not replayed (checksum does not match), so the newest changes (made just before the backup) may be missing',
    });
    expect(fs.info.journalReplayed).toBe(1);
    await expectListing(fs, fullCommitKept('fc1-bad-crc'));
  });

  it('a HEAD of an older transaction (a stale area) is ignored without a warning', async () => {
    const fs = await openExt(new MemorySource(withVariant('head-old-tid')));
    expect(codes(fs)).toEqual(['JOURNAL_REPLAYED']);
    await expectListing(fs, fullCommitKept('head-old-tid'));
  });

  it('lists a name a fast commit unlinked among the deleted entries, its inode still holding its data', async () => {
    const fs = await openExt(new MemorySource(fastCommitBytes()));
    const deleted = (await fs.readDir('/', { deleted: true })).filter((e) => e.deleted);
    expect(deleted.map((e) => [e.name, e.links])).toEqual([['gone.txt', 0]]);
    const stream = await fs.openStream(deleted[0]!);
    expect(new TextDecoder().decode(await stream.read(0, stream.size))).toBe('to be unlinked\n');
    expect((await fs.readDir('/')).map((e) => e.name)).not.toContain('gone.txt');
  });

  it('with replayJournal: false neither the log nor the fast commits are replayed', async () => {
    const fs = await openExt(new MemorySource(fastCommitBytes()), { replayJournal: false });
    expect(codes(fs)).toEqual([]);
    expect((await walk(fs)).has('/gone.txt')).toBe(true);
  });
});

describe('grt-ls and grt-extract of the fast-commit volume', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grt-fast-commit-restore-'));
    await writeFile(join(dir, FAST_COMMIT_IMAGE), fastCommitBytes());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('grt-ls --info says how many fast commits were replayed', async () => {
    const { code, stdout, stderr } = await runCli(ls, [join(dir, FAST_COMMIT_IMAGE), '--info']);
    expect(code, stderr).toBe(0);
    expect(stdout + stderr).toContain('warning: volume 0: fast commits replayed: 2 (in memory; the image is unchanged)\n');
  });

  it('restores the replayed tree: every file of the manifest with its content and mode', async () => {
    const out = join(dir, 'out');
    const { code, stderr } = await runCli(extract, [join(dir, FAST_COMMIT_IMAGE), '/*', '-o', out, '--no-owner']);
    expect(code, stderr).toBe(0);
    for (const want of manifest.entries.filter((e) => e.sha256 !== undefined)) {
      const file = join(out, want.path);
      expect(sha256(await readFile(file)), want.path).toBe(want.sha256);
      expect((await stat(file)).mode & 0o7777, want.path).toBe(want.mode & 0o7777);
      expect((await stat(file, { bigint: true })).mtimeNs, want.path).toBe(storedTimeNs(want.mtime));
    }
  });
});
