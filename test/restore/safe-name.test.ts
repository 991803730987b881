import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { join, resolve, sep } from 'node:path';
import { MAX_NAME_BYTES, NameAllocator, safeName, tempName, truncateUtf8, utf8Length, type NameRules } from '../../src/restore/safe-name.js';

const posix: NameRules = { windows: false, caseInsensitive: false };
const windows: NameRules = { windows: true, caseInsensitive: true };
const hostileChar = fc.constantFrom('/', '\0', '.', ' ', '\\', ':', '*', '?', '"', '<', '>', '|', '\x01', 'a', 'A', 'é', '😀', '\uD800', 'C', 'O', 'N');
const hostileName = fc.oneof(
  fc.constantFrom('', '.', '..', '...', 'CON', 'con.txt', 'Lpt9', 'nul.tar.gz', 'a.', 'b ', '/', '../..', 'COM1'),
  fc.string({ unit: hostileChar, maxLength: 12 }),
  fc.string({ unit: 'grapheme', minLength: 100, maxLength: 300 }),
  fc.string({ maxLength: 300 }),
);

describe('safeName', () => {
  it('maps the special names', () => {
    expect(safeName('', posix)).toBe('_');
    expect(safeName('.', posix)).toBe('_.');
    expect(safeName('..', posix)).toBe('_..');
    expect(safeName('a/b\0c', posix)).toBe('a_b_c');
    expect(safeName('a:b', posix)).toBe('a:b');
    expect(safeName('a:b', windows)).toBe('a_b');
    expect(safeName('CON', windows)).toBe('_CON');
    expect(safeName('con.txt', windows)).toBe('_con.txt');
    expect(safeName('CON', posix)).toBe('CON');
    expect(safeName('name. .', windows)).toBe('name___');
    expect(safeName('..', windows)).toBe('__');
  });

  it('cuts long names keeping the extension and a hash, at character boundaries', () => {
    const long = 'é'.repeat(200) + '.docx';
    const out = safeName(long, posix);
    expect(utf8Length(out)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(out.endsWith('.docx')).toBe(true);
    expect(out).toMatch(/~[0-9a-f]{8}\.docx$/);
    expect(safeName('é'.repeat(199) + 'x.docx', posix)).not.toBe(out);
    expect(truncateUtf8('😀😀', 5)).toBe('😀');
  });

  it('property: any hostile names give safe, unique, deterministic paths inside the root', () => {
    fc.assert(
      fc.property(fc.array(hostileName, { maxLength: 30 }), fc.boolean(), fc.boolean(), (names, win, ci) => {
        const rules = { windows: win, caseInsensitive: ci };
        const root = resolve('/restore/root');
        const run = () => {
          const alloc = new NameAllocator(rules);
          return names.map((n) => alloc.allocate(n));
        };
        const out = run();
        expect(run()).toEqual(out); // deterministic
        const keys = out.map((n) => (ci ? n.normalize('NFC').toLowerCase() : n));
        expect(new Set(keys).size).toBe(out.length); // unique per directory
        for (const name of out) {
          expect(utf8Length(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
          expect(name).not.toMatch(/[/\0]/);
          expect(['', '.', '..']).not.toContain(name);
          expect(resolve(join(root, name)).startsWith(root + sep)).toBe(true);
          expect(resolve(join(root, name, name)).startsWith(root + sep)).toBe(true);
          if (win) {
            expect(name).not.toMatch(/[\\<>:"|?*\x01-\x1f]|[. ]$/);
            expect(name).not.toMatch(/^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i);
          }
          // Encodes to UTF-8 and back unchanged (no lone surrogates that would merge on disk).
          expect(new TextDecoder().decode(new TextEncoder().encode(name))).toBe(name);
        }
      }),
      { seed: 4242, numRuns: 300 },
    );
  });

  it('suffixes collisions before the extension, case-folded when asked', () => {
    const ci = new NameAllocator({ windows: false, caseInsensitive: true });
    expect(['a.txt', 'A.TXT', 'a.txt'].map((n) => ci.allocate(n))).toEqual(['a.txt', 'A (2).TXT', 'a (3).txt']);
    const cs = new NameAllocator(posix);
    expect(['a.txt', 'A.TXT'].map((n) => cs.allocate(n))).toEqual(['a.txt', 'A.TXT']);
  });

  it('temp names fit the limit', () => {
    const name = tempName('x'.repeat(255), 'abcdef123456');
    expect(utf8Length(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(name).toMatch(/^\.x+\.grt-abcdef123456\.part$/);
  });
});
