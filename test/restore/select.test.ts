/**
 * resolveSelections for globs: what it keeps equals the plain definition — every entry below the
 * glob's base that matches, less those inside a directory that is itself kept (restored with it) —
 * although it no longer holds those inner matches while it walks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSelection, resolveSelections } from '../../src/restore/select.js';
import { FakeFs, type FakeSpec } from '../helpers/fake-fs.js';

const NAMES = ['a', 'b', 'ab', 'x.txt', 'A'];
const GLOB_PIECES = ['*', '**', 'a', 'b', '?', '*.txt', 'x*'];

/** Paths of a random tree: directories end up as such because something lies below them. */
const tree = fc.uniqueArray(fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`), {
  minLength: 1,
  maxLength: 25,
  selector: (path) => path.toUpperCase(),
});
const glob = fc.array(fc.constantFrom(...GLOB_PIECES), { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);

describe('resolveSelections with a glob', () => {
  it('property: keeps exactly the matches that no kept directory holds', async () => {
    await fc.assert(
      fc.asyncProperty(tree, glob, async (paths, pattern) => {
        // A path that is a prefix of another is a directory; the rest are files.
        const specs: Record<string, FakeSpec> = {};
        const upper = new Set(paths.map((p) => p.toUpperCase()));
        for (const path of paths) {
          if (Object.keys(specs).some((p) => p.toUpperCase() === path.toUpperCase())) continue;
          const isDir = [...upper].some((other) => other.startsWith(`${path.toUpperCase()}/`));
          specs[path] = isDir ? { type: 'dir' } : { data: path };
        }
        const fs = new FakeFs(specs);
        const selection = parseSelection(pattern);
        fc.pre(selection.glob !== undefined);
        const base = `/${pattern.split('/').slice(1, selection.baseDepth + 1).join('/')}`;
        // The plain definition, from one walk.
        const matches: { path: string; dir: boolean }[] = [];
        try {
          for await (const entry of fs.walk(base)) if (selection.glob!.test(entry.path)) matches.push({ path: entry.path, dir: entry.type === 'dir' });
        } catch {
          // the base is missing or not a directory: resolveSelections reports it; nothing to compare
        }
        const keptDirs = matches.filter((m) => m.dir).map((m) => m.path.toLowerCase());
        const expected = matches.filter((m) => !keptDirs.some((d) => m.path.toLowerCase().startsWith(`${d}/`))).map((m) => m.path);
        let actual: string[];
        try {
          actual = (await resolveSelections(fs, [selection])).map((s) => s.entry.path);
        } catch (error) {
          expect(expected).toEqual([]);
          expect((error as { code?: string }).code).toMatch(/^(NOT_FOUND|NOT_A_DIRECTORY)$/);
          return;
        }
        expect(actual).toEqual(expected);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
