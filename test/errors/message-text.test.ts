/**
 * messageText and withPath (src/errors.ts): a GrtError's message is its text alone (no `CODE: `);
 * a stored message re-thrown, and a path added, read as the original did.
 */
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '../../src/catalog/index.js';
import { GrtError, messageText, withPath, type GrtErrorCode } from '../../src/errors.js';

const CODES: GrtErrorCode[] = ['BAD_INDEX', 'IO_ERROR', 'NOT_FOUND', 'BAD_CATALOG', 'LIMIT_EXCEEDED'];
const arbError = fc
  .record({
    code: fc.constantFrom(...CODES),
    detail: fc.string({ maxLength: 40 }),
    structure: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
    offset: fc.option(fc.nat(), { nil: undefined }),
    actual: fc.option(fc.integer(), { nil: undefined }),
  })
  .map(({ code, detail, structure, offset, actual }) => new GrtError(code, detail, { structure, offset, actual }));

describe('messageText', () => {
  it('a stored message re-thrown with its code is the original message', () => {
    fc.assert(
      fc.property(arbError, (error) => {
        const text = messageText(error);
        expect(text.startsWith(`${error.code}: `)).toBe(false);
        expect(new GrtError(error.code, text).message).toBe(error.message);
      }),
      { seed: 4, numRuns: 200 },
    );
  });
});

describe('withPath', () => {
  it('adds only " in <path>", keeps code, fields and the cause', () => {
    fc.assert(
      fc.property(arbError, fc.string({ minLength: 1, maxLength: 30 }), (error, path) => {
        const wrapped = withPath(error, path);
        expect(wrapped).toBeInstanceOf(GrtError);
        expect(wrapped.message).toBe(`${error.message} in ${path}`.replace(/[\r\n]+/g, ' '));
        expect([wrapped.code, wrapped.structure, wrapped.offset, wrapped.actual, wrapped.path]).toEqual([error.code, error.structure, error.offset, error.actual, path]);
        expect(wrapped.cause).toBe(error);
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  it('Catalog.open of a damaged file names the file once, with the parser offset kept', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grt-message-text-'));
    try {
      const path = join(dir, 'bad.grtcat');
      await writeFile(path, new Uint8Array(64).fill(0x41));
      const error = await openCatalog(path).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(GrtError);
      const grt = error as GrtError;
      expect(grt.path).toBe(path);
      expect(grt.message.endsWith(` in ${path}`)).toBe(true);
      expect(grt.message.split(path)).toHaveLength(2);
      expect(grt.message).toBe(`${(grt.cause as GrtError).message} in ${path}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
