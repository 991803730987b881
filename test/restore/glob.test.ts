/**
 * Globs (src/util/glob.ts) as restore selections and catalog searches use them: case-insensitive,
 * `*` and `?` within a name, `**` across directories, classes, escapes; both matchers agree,
 * run in linear time, never throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../src/util/glob.js';

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
