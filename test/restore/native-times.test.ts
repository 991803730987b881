/**
 * Times set by a restore (posix.ts setTimes): to the nanosecond through the native addon
 * (utimensat/futimens), before 1970 and past 2262 too, and a symbolic link's own times; without
 * the addon, fs.utimes with one warning per restore and times within a microsecond.
 */
import { closeSync, lstatSync, openSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestoreContext } from '../../src/restore/context.js';
import { loadNativeTimes } from '../../src/restore/native-times.js';
import { setTimes } from '../../src/restore/posix.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-native-times-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The part of a restore's context setTimes uses, with the warnings it reports. */
function context(nativeTimes: RestoreContext['nativeTimes']): { ctx: RestoreContext; warnings: string[] } {
  const warnings: string[] = [];
  const reporter = { report: (type: string, path: string, error: { message: string }) => warnings.push(`${type} ${path}: ${error.message}`) };
  return { ctx: { nativeTimes, reporter } as unknown as RestoreContext, warnings };
}

const times = (path: string) => {
  const stat = lstatSync(path, { bigint: true });
  return { atime: stat.atimeNs, mtime: stat.mtimeNs };
};

/** 1960-01-02 03:04:05.5, 2040-06-01 01:02:03.123456789, and the last second of ext4's range (2446; the kernel clamps to the host file system's range). */
const EDGE_TIMES = [-315_521_754_500_000_000n, 2_222_125_323_123_456_789n, 15_032_385_534_999_999_999n, 0n, -1n];

describe('with the native addon', () => {
  it('loads from the package root (built by node-gyp at install)', () => {
    expect(loadNativeTimes()).toBeDefined();
  });

  it('sets a path, an open file and a symlink (not its target) to the exact nanosecond', () => {
    const { ctx, warnings } = context(undefined);
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    const link = join(dir, 'link');
    symlinkSync('file', link);
    for (const [atime, mtime] of EDGE_TIMES.map((t, i) => [t, EDGE_TIMES[(i + 1) % EDGE_TIMES.length]!])) {
      setTimes(ctx, '/file', file, { atime, mtime });
      expect(times(file)).toEqual({ atime, mtime });
      const fd = openSync(file, 'r');
      try {
        setTimes(ctx, '/file', file, { atime: mtime, mtime: atime }, fd);
      } finally {
        closeSync(fd);
      }
      expect(times(file)).toEqual({ atime: mtime, mtime: atime });
    }
    const target = times(file);
    setTimes(ctx, '/link', link, { atime: 5n, mtime: -7n });
    expect(times(link)).toEqual({ atime: 5n, mtime: -7n });
    expect(times(file)).toEqual(target);
    expect(warnings).toEqual([]);
  });

  it('round-trips any time of ext4 range (property)', () => {
    const { ctx } = context(undefined);
    const file = join(dir, 'prop');
    writeFileSync(file, '');
    // Inside the host file system's range: the kernel clamps its first and last second (timestamp_truncate).
    const ns = fc.bigInt({ min: -2_147_483_647_000_000_000n, max: 15_032_385_534_999_999_999n });
    fc.assert(
      fc.property(ns, ns, (atime, mtime) => {
        setTimes(ctx, '/prop', file, { atime, mtime });
        expect(times(file)).toEqual({ atime, mtime });
      }),
      { numRuns: 200 },
    );
  });

  it('gives a missing path a Node-style error code', () => {
    const { ctx } = context(undefined);
    expect(() => setTimes(ctx, '/gone', join(dir, 'gone'), { atime: 0n, mtime: 0n })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('without the addon (a bundler dropped it)', () => {
  it('falls back to fs.utimes: one warning per restore, times within a microsecond, before 1970 too', () => {
    const { ctx, warnings } = context(null);
    const file = join(dir, 'fallback');
    writeFileSync(file, 'x');
    for (const t of [1_709_294_400_123_456_789n, -315_521_754_500_000_000n]) {
      setTimes(ctx, '/fallback', file, { atime: t, mtime: t });
      const got = times(file);
      for (const actual of [got.atime, got.mtime]) expect(actual - t < 0n ? t - actual : actual - t).toBeLessThanOrEqual(1_000n);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning \/fallback: times set to the microsecond only/);
    expect(statSync(file).size).toBe(1);
  });
});
