import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import type { FileEntry } from '../../src/fs/entry.js';
import { checkBinding, compileGlob, toBodyfile, toNdjson, type CatalogBinding } from '../../src/catalog/index.js';

describe('globs', () => {
  const cases: [string, string, boolean][] = [
    ['*.txt', 'Notes.TXT', true],
    ['*.txt', 'notes.txt.bak', false],
    ['?.log', 'a.log', true],
    ['?.log', 'ab.log', false],
    ['[abc]*', 'Bravo', true],
    ['[!abc]*', 'bravo', false],
    ['[a-c]x', 'Cx', true],
    ['[z-a]x', 'ax', false],
    ['report[', 'report[', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['naïve*', 'NAÏVE.doc', true],
    ['/windows/*.exe', '/Windows/notepad.exe', true],
    ['/windows/*.exe', '/Windows/System32/cmd.exe', false],
    ['/windows/**/*.exe', '/Windows/System32/cmd.exe', true],
    ['/windows/**/*.exe', '/Windows/notepad.exe', true],
    ['**/cmd.exe', '/Windows/System32/cmd.exe', true],
    ['windows/*.exe', '/Windows/a.exe', true],
    ['/a/**', '/a/b/c', true],
    ['/a/*', '/a/b/c', false],
    ['(x)+.txt', '(x)+.txt', true],
  ];
  for (const [glob, value, expected] of cases) {
    it(`${glob} ${expected ? 'matches' : 'does not match'} ${value}`, () => {
      expect(compileGlob(glob, 'regex').test(value)).toBe(expected);
      expect(compileGlob(glob, 'states').test(value)).toBe(expected);
    });
  }

  it('agrees with a regular-expression reading of the same glob (property)', () => {
    const toRegex = (glob: string): RegExp => {
      let src = '';
      for (let i = 0; i < glob.length; i++) {
        if (glob.startsWith('**/', i)) {
          src += '(?:.*/)?';
          i += 2;
        } else if (glob.startsWith('**', i)) {
          src += '.*';
          i += 1;
        } else if (glob[i] === '*') src += '[^/]*';
        else if (glob[i] === '?') src += '[^/]';
        else src += glob[i];
      }
      return new RegExp(`^${src}$`, 'i');
    };
    fc.assert(
      fc.property(fc.stringMatching(/^(\*\*\/|\*|\?|a|B|\/)*$/).filter((g) => !g.includes('***')), fc.stringMatching(/^[abAB\/]*$/), (glob, text) => {
        const g = compileGlob(glob, 'states');
        const anchored = g.matchesPath && !glob.startsWith('/') && !glob.startsWith('**') ? `/${glob}` : glob;
        expect(g.test(text)).toBe(toRegex(anchored).test(text));
        expect(compileGlob(glob, 'regex').test(text)).toBe(g.test(text));
      }),
      { seed: 9, numRuns: 500 },
    );
  });

  it('takes linear time on globs that make backtracking matchers explode', () => {
    const started = performance.now();
    expect(compileGlob('*a*a*a*a*a*a*a*a*b').test('a'.repeat(3000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('never throws and a literal glob matches itself (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (text) => {
        const g = compileGlob(text);
        expect(typeof g.test('anything')).toBe('boolean');
        const quoted = text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
        const literal = compileGlob(quoted);
        expect(literal.test(literal.matchesPath && !text.startsWith('/') && !text.startsWith('**') ? `/${text}` : text)).toBe(true);
      }),
      { seed: 5, numRuns: 300 },
    );
  });
});

const FILE: FileEntry = {
  path: '/Users/a|b.txt', name: 'a|b.txt', type: 'file', size: 12, attributes: 0x21,
  times: { mtime: 133_537_680_000_000_000n, atime: 133_537_680_012_345_678n, ctime: 0n, btime: 116_444_736_000_000_000n },
  streams: [{ name: 'Zone.Identifier', size: 26 }], links: 1, id: { record: 42, sequence: 3 }, parent: { record: 40, sequence: 1 }, deleted: true, warnings: [],
};

async function text(lines: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const line of lines) out += line;
  return out;
}

describe('exports', () => {
  it('body file 3.x rows, one per stream, escaped names, whole seconds', async () => {
    const body = await text(toBodyfile([FILE], { mountPoint: 'C:' }));
    expect(body).toBe(
      '0|C:/Users/a\\|b.txt (deleted)|42-3|r/rr-xr-xr-x|0|0|12|1709294401|1709294400|0|0\n' +
        '0|C:/Users/a\\|b.txt:Zone.Identifier (deleted)|42-3|r/rr-xr-xr-x|0|0|26|1709294401|1709294400|0|0\n',
    );
  });

  it('NDJSON rows with ISO times', async () => {
    const lines = (await text(toNdjson([FILE], { volume: 2 }))).trim().split('\n');
    expect(lines).toHaveLength(1);
    const row = JSON.parse(lines[0]!);
    expect(row).toMatchObject({ volume: 2, path: '/Users/a|b.txt', mtime: '2024-03-01T12:00:00.0000000Z', atime: '2024-03-01T12:00:01.2345678Z', deleted: true, id: { record: 42, sequence: 3 } });
  });
});

describe('binding', () => {
  const binding: CatalogBinding = { capacity: 1 << 30, cids: ['aaaa0001', 'bbbb0002'], partitions: [{ index: 1, start: 1_048_576, size: 1 << 29, fs: 'ntfs', serial: '0123456789ABCDEF' }] };
  const mismatch = (actual: CatalogBinding): string => {
    try {
      checkBinding(binding, actual);
      return 'ok';
    } catch (error) {
      expect(error).toBeInstanceOf(GrtError);
      expect((error as GrtError).code).toBe('CATALOG_MISMATCH');
      expect((error as GrtError).message).not.toMatch(/\n/);
      return (error as GrtError).message;
    }
  };
  it('accepts its own image, extra partitions, and images without CIDs', () => {
    expect(mismatch(binding)).toBe('ok');
    expect(mismatch({ ...binding, cids: [] })).toBe('ok');
    expect(mismatch({ ...binding, partitions: [...binding.partitions, { index: 2, start: 1 << 29, size: 100, fs: 'unknown' }] })).toBe('ok');
  });
  it('says what differs', () => {
    expect(mismatch({ ...binding, capacity: 1 })).toMatch(/capacity/);
    expect(mismatch({ ...binding, cids: ['aaaa0001'] })).toMatch(/CIDs/);
    expect(mismatch({ ...binding, partitions: [] })).toMatch(/partition 1 is missing/);
    expect(mismatch({ ...binding, partitions: [{ ...binding.partitions[0]!, start: 0 }] })).toMatch(/starts elsewhere/);
    expect(mismatch({ ...binding, partitions: [{ ...binding.partitions[0]!, serial: 'FFFF' }] })).toMatch(/serial/);
  });
});
