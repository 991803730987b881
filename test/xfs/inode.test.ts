/**
 * The inode core's numbers (fs/xfs/inode.ts parseInode), read without a BigInt where a Number
 * holds them, against the plain BigInt arithmetic of the format: legacy and bigtime timestamps
 * over their whole range (damaged nanoseconds past 1e9 too), sizes up to and past 2^53, the
 * nrext64 extent counter and the inode's own number.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGrtError, type GrtWarning } from '../../src/errors.js';
import { xfsCrcWrite } from '../../src/fs/xfs/crc32c.js';
import { parseInode } from '../../src/fs/xfs/inode.js';
import { parseSuperblock } from '../../src/fs/xfs/superblock.js';
import { volumeBytes } from './xfs-images.js';

const V5 = parseSuperblock(volumeBytes('v5-4k.img.gz'), Number.MAX_SAFE_INTEGER);
const V4 = parseSuperblock(volumeBytes('v4-1k.img.gz'), Number.MAX_SAFE_INTEGER);
const NUMBER = 132;
/** Where each time's 8 bytes lie in the core (di_atime, di_mtime, di_ctime, di_crtime). */
const TIME_OFFSETS = { atime: 32, mtime: 40, ctime: 48, btime: 144 } as const;
const BIGTIME_EPOCH_OFFSET_NS = 2n ** 31n * 1_000_000_000n;

interface Core {
  version: 2 | 3;
  bigtime: boolean;
  nrext64: boolean;
  size: bigint;
  bigExtents: bigint;
  selfNumber: bigint;
  /** Legacy: [seconds, nanoseconds]; bigtime: the 64-bit counter. */
  times: ([number, number] | bigint)[];
}

function inodeBytes(core: Core): Uint8Array {
  const sb = core.version === 3 ? V5 : V4;
  const bytes = new Uint8Array(sb.inodeSize);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 0x494e);
  view.setUint16(2, 0o100644);
  bytes[4] = core.version;
  bytes[5] = 2; // extents
  view.setBigUint64(56, core.size);
  Object.values(TIME_OFFSETS).forEach((offset, i) => {
    const time = core.times[i]!;
    if (typeof time === 'bigint') view.setBigUint64(offset, time);
    else {
      view.setInt32(offset, time[0]);
      view.setUint32(offset + 4, time[1]);
    }
  });
  if (core.version === 3) {
    view.setBigUint64(120, (core.bigtime ? 1n << 3n : 0n) | (core.nrext64 ? 1n << 4n : 0n) | (0xffffffffn << 32n));
    view.setBigUint64(24, core.bigExtents);
    view.setBigUint64(152, core.selfNumber);
    xfsCrcWrite(bytes, 100);
  }
  return bytes;
}

/** What the format says each time is, in plain BigInt arithmetic. */
function expectedNs(time: [number, number] | bigint): bigint {
  return typeof time === 'bigint' ? time - BIGTIME_EPOCH_OFFSET_NS : BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

const legacyTime = fc.tuple(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.oneof(fc.constant(0), fc.nat(999_999_999), fc.integer({ min: 0, max: 2 ** 32 - 1 })));
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const core: fc.Arbitrary<Core> = fc.record({
  version: fc.constantFrom(2 as const, 3 as const),
  bigtime: fc.boolean(),
  nrext64: fc.boolean(),
  size: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }), fc.constantFrom(2n ** 53n - 1n, 2n ** 53n, 2n ** 63n), u64),
  bigExtents: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 48n }), u64),
  selfNumber: fc.oneof(fc.constant(BigInt(NUMBER)), u64),
  times: fc.array(fc.oneof(legacyTime, u64), { minLength: 4, maxLength: 4 }),
}).map((c) => ({ ...c, bigtime: c.version === 3 && c.bigtime, nrext64: c.version === 3 && c.nrext64, times: c.times.map((t) => (c.version === 3 && c.bigtime ? (typeof t === 'bigint' ? t : BigInt(t[0] >>> 0) * 1_000_000_000n) : typeof t === 'bigint' ? legacyOf(t) : t)) }));

function legacyOf(value: bigint): [number, number] {
  return [Number(BigInt.asIntN(32, value >> 32n)), Number(value & 0xffffffffn)];
}

describe('parseInode numbers', () => {
  it('reads times, size, extent count and self number as the BigInt arithmetic of the format does (property)', () => {
    fc.assert(
      fc.property(core, (c) => {
        const sb = c.version === 3 ? V5 : V4;
        const warnings: GrtWarning[] = [];
        let inode;
        try {
          inode = parseInode(sb, NUMBER, inodeBytes(c), warnings);
        } catch (error) {
          if (!isGrtError(error)) throw error;
          expect(c.size > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
          return;
        }
        expect(c.size <= BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
        expect(inode.size).toBe(Number(c.size));
        const names = c.version === 3 ? (['atime', 'mtime', 'ctime', 'btime'] as const) : (['atime', 'mtime', 'ctime'] as const);
        expect(Object.keys(inode.times)).toEqual(names);
        names.forEach((name, i) => expect(inode.times[name]).toBe(expectedNs(c.times[i]!)));
        if (c.nrext64) expect(inode.dataFork.extentCount).toBe(Number(c.bigExtents));
        const selfWarned = warnings.some((w) => w.code === 'BAD_RECORD');
        expect(selfWarned).toBe(c.version === 3 && Number(c.selfNumber) !== NUMBER);
        expect(warnings.some((w) => w.code === 'BAD_CHECKSUM')).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('legacy times at the ends of the 32-bit range, with and without nanoseconds', () => {
    for (const time of [[-(2 ** 31), 0], [-(2 ** 31), 999_999_999], [2 ** 31 - 1, 999_999_999], [2 ** 31 - 1, 2 ** 32 - 1], [-1, 1], [0, 0]] as [number, number][]) {
      const inode = parseInode(V4, NUMBER, inodeBytes({ version: 2, bigtime: false, nrext64: false, size: 0n, bigExtents: 0n, selfNumber: 0n, times: [time, time, time, time] }), []);
      expect(inode.times.mtime).toBe(expectedNs(time));
    }
  });
});
