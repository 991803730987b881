/** Fuzz targets for glob matching against names an image supplies. */
import { parseSelection } from '../../src/restore/select.js';
import { compileGlob } from '../../src/util/glob.js';
import { type FuzzTarget } from './target-kit.js';

/** Glob pieces users type, and name pieces that make backtracking matchers slow. */
export const GLOB_TOKENS = ['*', '*', '**', '?', '_', 'a', '.', '/', '[a-c]', '[!_]', 'log'];
export const NAME_TOKENS = ['_', '_', 'a', 'aa', '.', 'x'];

/**
 * Globs (catalog find, or restore selections) against names an image supplies: every match must
 * end within the time limit whatever the name, as names come from a possibly hostile image.
 */
export function globTarget(kind: 'catalog' | 'restore'): FuzzTarget {
  return {
    name: `glob-${kind}`,
    async generate(rng) {
      const glob = Array.from({ length: rng.int(1, 12) }, () => rng.pick(GLOB_TOKENS)).join('');
      const names = Array.from({ length: 4 }, () => {
        const parts = Array.from({ length: rng.int(1, 6) }, () => rng.pick(NAME_TOKENS).repeat(rng.int(1, 60)));
        return parts.join(rng.chance(0.3) ? '/' : '');
      });
      const text = (value: string) => new TextEncoder().encode(value);
      return { files: new Map([['glob.txt', text(glob)], ['names.txt', text(names.join('\n'))]]), main: 'glob.txt' };
    },
    mutate: (input) => ({ files: input.files, log: [`glob ${JSON.stringify(new TextDecoder().decode(input.files.get('glob.txt')))}`] }),
    async run(input) {
      const glob = new TextDecoder().decode(input.files.get('glob.txt'));
      const names = new TextDecoder().decode(input.files.get('names.txt')).split('\n');
      let matches = 0;
      if (kind === 'catalog') {
        const compiled = compileGlob(glob);
        for (const name of names) if (compiled.test(compiled.matchesPath ? `/${name}` : name)) matches++;
      } else {
        // A restore selection goes through the command-line parser, as grt-extract's arguments do.
        const selection = parseSelection(glob.startsWith('/') ? glob : `/${glob}`);
        for (const name of names) if (selection.glob ? selection.glob.test(`/${name}`) : selection.path === `/${name}`) matches++;
      }
      return `${matches} matches`;
    },
  };
}
