/**
 * `FileSystem.listNames` (ext and XFS: names and types from the directory entries) against the
 * full listing it stands in for: on every committed ext and XFS volume and on the linux-vm
 * volumes, recursive and per directory, with and without deleted names, it gives the same
 * entries in the same order as `walk`/`readDir`, so `grt-ls -R` prints the same bytes. Cases:
 * htree, inline and short-form directories, XFS v4 without ftype, ext2 without `filetype`
 * (the feature bit cleared: every child's inode is read), removed names (`--deleted`).
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import type { FileSystem, ListOptions, NameEntry } from '../../src/fs/file-system.js';
import { openExt } from '../../src/fs/ext/volume.js';
import { openXfs } from '../../src/fs/xfs/volume.js';
import { openImage } from '../../src/image.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { compareCodePoints, inNameOrder } from '../../src/fs/name-order.js';
import { POSIX_NAME_RULE } from '../../src/fs/posix-tree.js';
import { CountingSource } from '../helpers/counting-source.js';
import { runCli } from '../helpers/run-cli.js';
import { main as grtLs } from '../../src/cli/grt-ls.js';
import type { CliIo } from '../../src/cli/output.js';
import { manifest as extManifest, volumeBytes as extBytes } from '../ext/ext-images.js';
import { manifest as xfsManifest, volumeBytes as xfsBytes } from '../xfs/xfs-images.js';

/** What a plain listing shows of an entry (the fields of NameEntry that are set). */
function shown(entry: NameEntry): NameEntry {
  const out: NameEntry = { path: entry.path, name: entry.name, type: entry.type };
  if (entry.deleted) out.deleted = true;
  if (entry.undecodable !== undefined) out.undecodable = entry.undecodable;
  return out;
}

async function names(fs: FileSystem, path: string, options: ListOptions & { recursive: boolean }): Promise<NameEntry[]> {
  const out: NameEntry[] = [];
  for await (const batch of fs.listNames!(path, options)) out.push(...batch.map(shown));
  return out;
}

/** The full listing, recursive (`walk`) and of each directory (`readDir`), against listNames. */
async function expectSameListings(fs: FileSystem, deleted: boolean): Promise<number> {
  const options = { deleted };
  const walked: NameEntry[] = [];
  for await (const entry of fs.walk('/', options)) walked.push(shown(entry));
  expect(await names(fs, '/', { ...options, recursive: true })).toEqual(walked);
  for (const directory of ['/', ...walked.filter((e) => e.type === 'dir' && !e.deleted).map((e) => e.path)]) {
    const read = (await fs.readDir(directory, options)).map(shown);
    expect(await names(fs, directory, { ...options, recursive: false })).toEqual(read);
  }
  return walked.length;
}

/** Inodes read while listing the whole volume by names, and by full entries. */
async function inodesRead(fs: FileSystem & { volume: { readInode: (...args: never[]) => Promise<unknown> } }): Promise<{ names: number; full: number }> {
  const counts = { names: 0, full: 0 };
  const readInode = fs.volume.readInode.bind(fs.volume);
  let reads = 0;
  fs.volume.readInode = (...args) => {
    reads++;
    return readInode(...args);
  };
  await names(fs, '/', { recursive: true });
  counts.names = reads;
  reads = 0;
  for await (const entry of fs.walk('/')) void entry;
  counts.full = reads;
  return counts;
}

describe('listNames on the ext volumes', () => {
  for (const volume of extManifest.volumes) {
    it(`${volume.file}: the same entries as walk and readDir`, async () => {
      const fs = await openExt(new MemorySource(extBytes(volume.file)));
      expect(await expectSameListings(fs, false)).toBeGreaterThan(100);
      await expectSameListings(fs, true);
    });
  }

  it('ext2 without the filetype feature: every inode is read, the listing is the same', async () => {
    const bytes = extBytes('ext2-1k.img.gz');
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    // s_feature_incompat at superblock byte 0x60; the entries keep their type bytes, which a reader
    // without the feature takes as the high byte of name_len: damage both listings see alike.
    view.setUint32(1024 + 0x60, view.getUint32(1024 + 0x60, true) & ~0x2, true);
    const fs = await openExt(new MemorySource(bytes));
    await expectSameListings(fs, false);
  });

  it('reads only the directories\' inodes, not every child\'s', async () => {
    const counts = await inodesRead(await openExt(new MemorySource(extBytes('ext4-4k.img.gz'))));
    expect(counts.full).toBeGreaterThan(100);
    expect(counts.names).toBeLessThan(counts.full / 4);
  });

  it('reads no inode table ahead for an inode wanted alone (a directory\'s, in a names listing)', async () => {
    const counting = new CountingSource(new MemorySource(extBytes('ext4-4k.img.gz')));
    const fs = await openExt(counting);
    const { blockSize } = fs.volume.sb;
    for (const [alone, expected] of [[true, blockSize], [false, 64 * blockSize]] as const) {
      fs.volume.reader.clear();
      counting.reads = [];
      await fs.volume.readInode(12, [], alone);
      expect(counting.bytesRead).toBe(expected);
    }
  });

  it('damaged directory blocks give entries or a GrtError, never a crash', async () => {
    const pristine = extBytes('ext2-1k.img.gz');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 2048, max: pristine.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 64 }), async (edits) => {
        const bytes = pristine.slice();
        for (const [at, value] of edits) bytes[at] = value;
        try {
          const fs = await openExt(new MemorySource(bytes));
          await names(fs, '/', { recursive: true, deleted: true });
        } catch (error) {
          if (!(error instanceof GrtError)) throw error;
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('listNames on the XFS volumes', () => {
  for (const volume of xfsManifest.volumes) {
    it(`${volume.file} (${volume.mkfsOptions}): the same entries as walk and readDir`, async () => {
      const fs = await openXfs(new MemorySource(xfsBytes(volume.file)));
      expect(await expectSameListings(fs, false)).toBeGreaterThan(10);
    });
  }

  it('a walk keeps no directory it lists in the lookup cache (only path lookups fill it)', async () => {
    const fs = await openXfs(new MemorySource(xfsBytes('v5-4k.img.gz')));
    // The parsed-directory cache is private: what a walk leaves there is what the collector keeps copying.
    const cached = (): number => (fs.volume as unknown as { directories: { size: number } }).directories.size;
    expect(await expectSameListings(fs, false)).toBeGreaterThan(10);
    const afterLookups = cached();
    expect(afterLookups).toBeGreaterThan(0); // readDir of each directory looked its path up
    (fs.volume as unknown as { directories: { clear(): void } }).directories.clear();
    for await (const entry of fs.walk('/')) void entry;
    await names(fs, '/', { recursive: true });
    expect(cached()).toBe(0);
  });

  it('with ftype (v5) reads only the directories\' inodes; without (v4 ftype=0) every inode', async () => {
    const v5 = await inodesRead(await openXfs(new MemorySource(xfsBytes('v5-4k.img.gz'))));
    expect(v5.names).toBeLessThan(v5.full / 2);
    const v4 = await inodesRead(await openXfs(new MemorySource(xfsBytes('v4-1k.img.gz'))));
    expect(v4.names).toBe(v4.full);
  });
});

describe('listNames on the linux-vm volumes (LVM2, ext3/ext4/XFS, a journal to replay)', () => {
  const dir = join(import.meta.dirname, '../../test-images/linux-vm');
  let work: string;
  beforeAll(async () => {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { disks: { sparse: string }[]; vmx: { sparse: string } };
    work = await mkdtemp(join(tmpdir(), 'grt-list-names-'));
    for (const disk of manifest.disks) await writeFile(join(work, disk.sparse.replace(/\.gz$/, '')), gunzipSync(await readFile(join(dir, disk.sparse))));
    await copyFile(join(dir, manifest.vmx.sparse), join(work, manifest.vmx.sparse));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('every ext and XFS volume: the same entries as walk and readDir', async () => {
    const image = await openImage(join(work, 'vm.vmx'));
    try {
      const volumes = image.layout.volumes.filter((v) => v.fs === 'xfs' || v.fs.startsWith('ext'));
      expect(volumes.length).toBeGreaterThanOrEqual(4);
      for (const volume of volumes) {
        const fs = await image.openFileSystem(volume.id);
        expect(fs.listNames).toBeDefined();
        await expectSameListings(fs, false);
        await expectSameListings(fs, true);
      }
    } finally {
      await image.close();
    }
  });
});

describe('POSIX name order', () => {
  it('is code point order for any names (with and without surrogates, and U+E000..U+FFFF)', () => {
    const unit = fc.oneof(fc.constantFrom('a', 'b', '\u00e9', '\ud7ff', '\ue000', '\uffff', '\ud83d\ude00', '\ud800'), fc.string({ unit: 'binary', maxLength: 2 }));
    const name = fc.array(unit, { maxLength: 4 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.array(name, { maxLength: 30 }), (names) => {
        const sorted = inNameOrder(names.map((n) => ({ name: n })), POSIX_NAME_RULE).map((e) => e.name);
        expect(sorted).toEqual([...names].sort(compareCodePoints));
      }),
    );
  });
});

describe('grt-ls on ext and XFS volumes', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'grt-list-names-cli-'));
    await writeFile(join(work, 'ext4.img'), extBytes('ext4-inline.img.gz'));
    await writeFile(join(work, 'xfs.img'), xfsBytes('v5-4k.img.gz'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** grt-ls as it runs, and with the volume's listNames hidden (every line from full entries). */
  async function both(argv: string[]): Promise<[string, string]> {
    const withNames = await runCli(grtLs, argv);
    const withoutNames = await runCli((args, io) => grtLs(args, {
      ...io,
      openImage: async (path, options) => {
        const image = await openImage(path, options);
        const open = image.openFileSystem.bind(image);
        image.openFileSystem = async (...selector) => Object.assign(Object.create(await open(...selector)) as FileSystem, { listNames: undefined });
        return image;
      },
    } as CliIo), argv);
    expect(withNames.code).toBe(0);
    expect(withoutNames.code).toBe(0);
    return [withNames.stdout, withoutNames.stdout];
  }

  for (const [file, directory] of [['ext4.img', '/dir'], ['xfs.img', '/sub']] as const) {
    it(`${file}: -R, a directory, and --find print the same bytes as from full entries`, async () => {
      for (const argv of [['-R'], ['/'], ['-R', directory], ['--find', '*'], ['--find', `${directory}/**`]]) {
        const [fast, full] = await both([join(work, file), ...argv]);
        expect(fast.length).toBeGreaterThan(0);
        expect(fast).toBe(full);
      }
    });
  }
});
