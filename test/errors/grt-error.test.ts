/**
 * What a library user meets in a GrtError: the code beside the message (not in it), no
 * `undefined` for absent parts, and isGrtError / instanceof that hold for an error thrown by the
 * other build (ESM vs CJS each define their own class).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeError, GrtError, isGrtError, warningFrom } from '../../src/errors.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('GrtError message', () => {
  it('does not repeat the code; describeError gives CODE: message', () => {
    const error = new GrtError('NOT_FOUND', 'no such file', { path: '/a/b' });
    expect(error.message).toBe('no such file in /a/b');
    expect(error.code).toBe('NOT_FOUND');
    expect(describeError(error)).toBe('NOT_FOUND: no such file in /a/b');
    expect(String(error)).toBe('GrtError NOT_FOUND: no such file in /a/b');
    expect(warningFrom(error).message).toBe('NOT_FOUND: no such file in /a/b');
  });

  it('leaves absent parts out: never "expected undefined" or "found undefined"', () => {
    expect(new GrtError('BAD_HEADER', 'bad version', { actual: 7 }).message).toBe('bad version (found 7)');
    expect(new GrtError('BAD_HEADER', 'bad version', { expected: 1 }).message).toBe('bad version (expected 1)');
    expect(new GrtError('BAD_HEADER', 'bad version', { expected: 1, actual: 2 }).message).toBe('bad version (expected 1, found 2)');
    fc.assert(
      fc.property(
        fc.record({ expected: fc.option(fc.integer(), { nil: undefined }), actual: fc.option(fc.integer(), { nil: undefined }), offset: fc.option(fc.nat(), { nil: undefined }) }),
        (details) => {
          expect(new GrtError('BAD_TABLE', 'x', details).message).not.toMatch(/undefined/);
        },
      ),
      { seed: 14 },
    );
  });
});

describe('isGrtError across builds', () => {
  it('recognises an error made by a separately bundled CJS copy of errors.ts, and instanceof does too', async () => {
    const esbuild = await import('esbuild');
    const dir = await mkdtemp(join(tmpdir(), 'grt-error-copy-'));
    try {
      const outfile = join(dir, 'errors.cjs');
      await esbuild.build({ entryPoints: [join(here, '../../src/errors.ts')], bundle: true, platform: 'node', format: 'cjs', outfile, logLevel: 'error' });
      const other = createRequire(import.meta.url)(outfile) as typeof import('../../src/errors.js');
      const foreign = new other.GrtError('IO_ERROR', 'from the other build');
      expect(foreign.constructor).not.toBe(GrtError);
      expect(isGrtError(foreign)).toBe(true);
      expect(foreign instanceof GrtError).toBe(true);
      expect(other.isGrtError(new GrtError('USAGE', 'from this build'))).toBe(true);
      expect(isGrtError(Object.assign(new Error('look-alike'), { code: 'IO_ERROR', name: 'GrtError' }))).toBe(false);
      expect(isGrtError(null)).toBe(false);
      expect(new Error('plain') instanceof GrtError).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
