/**
 * Log replay against logs the builder writes into copies of the committed volumes (no tool here
 * can make a dirty log without a kernel mount): committed buffer and inode items are replayed,
 * uncommitted transactions and cancelled buffers are not, regions split over records and records
 * wrapping the end of the ring replay the same, and the image itself is never written.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGrtError } from '../../src/errors.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { fsBlockToByte, inodeToByte } from '../../src/fs/xfs/superblock.js';
import { openXfs } from '../../src/fs/xfs/volume.js';
import { inMemoryRoot, inodeItem, logCore, writeLog } from './log-builder.js';
import { fixture, hasTool, NEW_NAME, renamed, replayed, V4, V5 } from './log-fixture.js';
import { manifest } from './xfs-images.js';

describe.each([V5, V4])('log replay on %s', (file) => {
  it('replays committed inode and buffer items, reseals their CRCs and leaves the image as it was', async () => {
    const f = await fixture(file);
    const bytes = f.bytes.slice();
    writeLog(bytes, f.sb, [{ tid: 7, items: [f.chown, f.rename] }]);
    const before = createHash('sha256').update(bytes).digest('hex');
    const fs = await openXfs(new MemorySource(bytes, 'dirty'));
    expect(fs.info.logClean).toBe(false);
    expect(fs.info.logReplayed).toBe(1);
    expect(fs.warnings.map((w) => w.code)).toEqual(['LOG_REPLAYED']);
    const hello = await fs.stat('/hello.txt');
    expect(hello.uid).toBe(4242);
    expect(hello.warnings).toEqual([]);
    const names = (await fs.readDir('/blockdir')).map((e) => e.name);
    expect(renamed(names)).toBe(true);
    expect(fs.warnings.map((w) => w.code)).toEqual(['LOG_REPLAYED']); // no CRC mismatch on the replayed block
    const entry = (await fs.readDir('/blockdir')).find((e) => e.name.startsWith(NEW_NAME))!;
    expect(new TextDecoder().decode(await (await fs.openStream(entry)).read(0, entry.size))).toBe('blockdir 7\n');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(before);
  });

  it('does not replay a transaction without its commit', async () => {
    const f = await fixture(file);
    const { fs, names, uid } = await replayed(f, [{ tid: 7, items: [f.chown, f.rename], uncommitted: true }]);
    expect([renamed(names), uid, fs.info.logReplayed]).toEqual([false, 1000, 0]);
  });

  it('rewrites a data fork from its logged B+tree root (in-memory block form to the on-disk root)', async () => {
    const f = await fixture(file);
    const volume = manifest.volumes.find((v) => v.file === file)!;
    const number = volume.forks['/btreedir']!.inode;
    const fs = await openXfs(new MemorySource(f.bytes.slice(), file));
    const inode = await fs.volume.readInode(number);
    expect(inode.dataFork.format).toBe('btree');
    const inodeByte = inodeToByte(f.sb, number);
    const item = inodeItem(f.sb, number, inodeByte, logCore(f.bytes.subarray(inodeByte, inodeByte + f.sb.inodeSize)), { bytes: inMemoryRoot(f.sb, inode.dataFork.bytes), format: 'btree' });
    const bytes = f.bytes.slice();
    const coreSize = f.sb.hasCrc ? 176 : 100;
    bytes.fill(0, inodeByte + coreSize, inodeByte + coreSize + inode.dataFork.bytes.length); // only the replay can bring the root back
    writeLog(bytes, f.sb, [{ tid: 9, items: [item] }]);
    const replayedFs = await openXfs(new MemorySource(bytes, 'dirty'));
    const expected = manifest.entries.filter((e) => e.path.startsWith('/btreedir/')).length;
    expect((await replayedFs.readDir('/btreedir')).length).toBe(expected);
    expect(replayedFs.warnings.map((w) => w.code)).toEqual(['LOG_REPLAYED']);
  });

  it('skips a buffer cancelled later in the log, replays one logged after the cancel', async () => {
    const f = await fixture(file);
    const cancelled = await replayed(f, [{ tid: 1, items: [f.rename] }, { tid: 2, items: [f.cancel] }]);
    expect(renamed(cancelled.names)).toBe(false);
    const again = await replayed(f, [{ tid: 1, items: [f.cancel] }, { tid: 2, items: [f.rename] }]);
    expect(renamed(again.names)).toBe(true);
  });
});

describe('log records', () => {
  it('regions split over records of any size, wrapping the end of the ring or not, replay the same (property)', async () => {
    const f = await fixture(V5);
    const ringBlocks = (f.sb.logBlocks * f.sb.blockSize) / 512;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 64, max: 8192 }), fc.constantFrom(2, ringBlocks - 3, ringBlocks - 1), async (capacity, startBlock) => {
        const { fs, names, uid } = await replayed(f, [{ tid: 3, items: [f.rename] }, { tid: 4, items: [f.chown] }], { capacity, startBlock });
        expect([renamed(names), uid, fs.info.logReplayed]).toEqual([true, 4242, 2]);
      }),
      { numRuns: 10 },
    );
  }, 120_000);

  it('an item whose format region is split after its first byte replays (found by the property above: capacity 65)', async () => {
    const f = await fixture(V5);
    for (const capacity of [65, 67]) {
      const { fs, names, uid } = await replayed(f, [{ tid: 3, items: [f.rename] }, { tid: 4, items: [f.chown] }], { capacity, startBlock: 2 });
      expect([renamed(names), uid, fs.info.logReplayed]).toEqual([true, 4242, 2]);
    }
  });

  it('stops at a record whose CRC does not match, with a warning', async () => {
    const f = await fixture(V5);
    const bytes = f.bytes.slice();
    writeLog(bytes, f.sb, [{ tid: 3, items: [f.chown] }]);
    bytes[fsBlockToByte(f.sb, f.sb.logStart) + 3 * 512 + 100]! ^= 0xff; // inside the first record's data
    const fs = await openXfs(new MemorySource(bytes, 'dirty'));
    expect(fs.warnings.map((w) => w.code)).toEqual(['BAD_CHECKSUM', 'LOG_REPLAYED']);
    expect((await fs.stat('/hello.txt')).uid).toBe(1000);
  });

  it('ends in warnings or GrtErrors on damaged log records (property)', async () => {
    const f = await fixture(V5);
    const clean = f.bytes.slice();
    const end = writeLog(clean, f.sb, [{ tid: 3, items: [f.rename, f.chown] }, { tid: 4, items: [f.cancel] }], { capacity: 600 });
    const logByte = fsBlockToByte(f.sb, f.sb.logStart);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(end * 512 - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }), async (damage) => {
        const bytes = clean.slice();
        for (const [at, value] of damage) bytes[logByte + at] = value;
        try {
          const fs = await openXfs(new MemorySource(bytes, 'damaged'));
          await fs.readDir('/blockdir');
        } catch (error) {
          if (!isGrtError(error)) throw error;
        }
      }),
      { numRuns: 24 },
    );
  }, 120_000);
});

describe.runIf(hasTool('xfs_logprint'))('xfs_logprint as the oracle of the builder (xfsprogs installed)', () => {
  it('parses the records the builder writes into the transactions and items written', async () => {
    const f = await fixture(V5);
    const bytes = f.bytes.slice();
    const head = writeLog(bytes, f.sb, [{ tid: 5, items: [f.chown, f.rename] }, { tid: 6, items: [f.cancel] }], { capacity: 700 });
    const dir = mkdtempSync(join(tmpdir(), 'grt-xfs-log-'));
    try {
      writeFileSync(join(dir, 'dirty.img'), bytes);
      const out = execFileSync('xfs_logprint', ['-t', join(dir, 'dirty.img')], { encoding: 'utf-8' });
      expect(out).not.toMatch(/bad|invalid|error/i);
      expect(out.match(/^TRANS:/gm)?.length).toBe(2);
      expect(out).toContain(`log tail: 2 head: ${head} state: <DIRTY>`);
      expect(out.match(/^INO:/gm)?.length).toBe(1);
      expect(out.match(/^BUF:/gm)?.length).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
