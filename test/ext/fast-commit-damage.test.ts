/**
 * Hostile fast-commit areas on the real fast-commit volume (test-images/ext-fastcommit): bytes
 * flipped in the area, and areas of random tags under a valid TAIL checksum (so replay applies
 * them), give only GrtErrors and warnings, in bounded time; every file still reads.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGrtError } from '../../src/errors.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { openExt } from '../../src/fs/ext/volume.js';
import { crc32cRaw } from '../../src/util/crc32c.js';
import { fastCommitBytes, fastCommitManifest } from './fast-commit-images.js';

const BLOCK = 1024;
const AREA = fastCommitManifest.fastCommitBlocks[0]!;
/** Blocks the tests write: the two make.sh used, which lie next to each other in the journal. */
const AREA_BLOCKS = 2;
const TID = 2;
const TAG = { addRange: 1, delRange: 2, creat: 3, link: 4, unlink: 5, inode: 6, pad: 7, tail: 8, head: 9 } as const;

/** Open the volume and read everything it lists; the only failure allowed is a GrtError. */
async function readAll(bytes: Uint8Array): Promise<string[]> {
  const started = Date.now();
  try {
    const fs = await openExt(new MemorySource(bytes));
    for await (const entry of fs.walk('/')) {
      if (entry.type !== 'file') continue;
      try {
        const stream = await fs.openStream(entry.path);
        await stream.read(0, Math.min(stream.size, 1 << 20));
      } catch (error) {
        if (!isGrtError(error)) throw error;
      }
    }
    return fs.warnings.map((w) => w.code);
  } catch (error) {
    if (!isGrtError(error)) throw error;
    return [error.code];
  } finally {
    expect(Date.now() - started).toBeLessThan(5000);
  }
}

/** Tags laid out as the kernel does (a PAD before a tag that does not fit), closed by a valid TAIL. */
function writeArea(bytes: Uint8Array, tags: readonly { tag: number; value: Uint8Array }[]): void {
  const area = new Uint8Array(AREA_BLOCKS * BLOCK);
  let at = 0;
  let crc = 0;
  /** Where a record of `length` bytes goes (after a PAD to the block's last byte when it does not fit), or -1 past the area. */
  const reserve = (length: number): number => {
    if (BLOCK - (at % BLOCK) - 1 > length) return at + length + 16 < area.length ? at : -1;
    const padLength = BLOCK - (at % BLOCK) - 1 - 4;
    if (at + padLength + 5 + length + 16 >= area.length) return -1;
    area.set([TAG.pad, 0, padLength & 0xff, padLength >> 8], at);
    crc = crc32cRaw(crc, area, at, at + 4 + padLength);
    at += 4 + padLength + 1;
    return at;
  };
  for (const { tag, value } of [{ tag: TAG.head, value: u32s(0, TID) }, ...tags]) {
    if (reserve(4 + value.length) < 0) break;
    area.set([tag, tag >> 8, value.length & 0xff, value.length >> 8], at);
    area.set(value, at + 4);
    crc = crc32cRaw(crc, area, at, at + 4 + value.length);
    at += 4 + value.length;
  }
  at = reserve(12);
  area.set([TAG.tail, 0, 8, 0], at);
  area.set(u32s(TID), at + 4);
  area.set(u32s(crc32cRaw(crc, area, at, at + 8)), at + 8);
  bytes.set(area, AREA);
}

function u32s(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  values.forEach((value, i) => new DataView(out.buffer).setUint32(i * 4, value >>> 0, true));
  return out;
}

/** Inode numbers near the ones the volume uses, and past its 1,024 inodes. */
const inodeNumber = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 20 }), weight: 9 }, { arbitrary: fc.constantFrom(0, 1024, 1025, 0xffffffff), weight: 1 });
const name = fc.oneof(fc.constantFrom('x', 'keep.txt', 'meta.txt', 'sub', 'new').map((text) => new TextEncoder().encode(text)), fc.uint8Array({ minLength: 1, maxLength: 12 }));
const tagArbitrary = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(inodeNumber, fc.uint8Array({ minLength: 124, maxLength: 260 }), fc.integer({ min: 0, max: 40 })).map(([ino, raw, extra]) => {
    const value = new Uint8Array(4 + raw.length);
    value.set(u32s(ino));
    value.set(raw, 4);
    if (raw.length > 0x82) value.set([extra, 0], 4 + 0x80);
    return { tag: TAG.inode, value };
  }) },
  { weight: 3, arbitrary: fc.tuple(inodeNumber, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 5000 })).map(([ino, lblk, len, pblk]) => {
    const value = u32s(ino, lblk, 0, pblk);
    new DataView(value.buffer).setUint16(8, len, true);
    return { tag: TAG.addRange, value };
  }) },
  { weight: 3, arbitrary: fc.tuple(inodeNumber, fc.integer({ min: 0, max: 40 }), fc.nat()).map(([ino, lblk, len]) => ({ tag: TAG.delRange, value: u32s(ino, lblk, len) })) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(TAG.creat, TAG.link, TAG.unlink), inodeNumber, inodeNumber, name).map(([tag, parent, ino, bytes]) => {
    const value = new Uint8Array(8 + bytes.length);
    value.set(u32s(parent, ino));
    value.set(bytes, 8);
    return { tag, value };
  }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 12 }), fc.uint8Array({ maxLength: 40 })).map(([tag, value]) => ({ tag, value })) },
);

describe('hostile fast-commit areas', () => {
  it('bytes flipped in the area: only GrtErrors and warnings, bounded time (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 0, max: AREA_BLOCKS * BLOCK - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      async (flips) => {
        const bytes = fastCommitBytes();
        for (const [offset, value] of flips) bytes[AREA + offset] = value;
        await readAll(bytes);
      },
    ), { numRuns: 40 });
  });

  it('random tags under a valid checksum: replayed or refused with a warning, never a crash (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(tagArbitrary, { maxLength: 10 }), async (tags) => {
      const bytes = fastCommitBytes();
      writeArea(bytes, tags);
      const codes = await readAll(bytes);
      expect(codes.some((code) => code === 'FAST_COMMITS_REPLAYED' || code === 'FAST_COMMIT_NOT_REPLAYED') || codes.length === 1).toBe(true);
    }), { numRuns: 100 });
  });

  it('a valid area of only a HEAD and a TAIL replays one empty fast commit', async () => {
    const bytes = fastCommitBytes();
    writeArea(bytes, []);
    expect(await readAll(bytes)).toEqual(['JOURNAL_REPLAYED', 'FAST_COMMITS_REPLAYED']);
  });

  it('a link that makes a directory its own descendant does not loop the walk', async () => {
    const bytes = fastCommitBytes();
    const sub = fastCommitManifest.entries.find((e) => e.path === '/sub')!.inode;
    const value = new Uint8Array(12);
    value.set(u32s(sub, 2));
    value.set(new TextEncoder().encode('up'), 8);
    writeArea(bytes, [{ tag: TAG.link, value: value.subarray(0, 10) }]);
    expect(await readAll(bytes)).toEqual(['JOURNAL_REPLAYED', 'FAST_COMMITS_REPLAYED']);
  });
});
