/**
 * `find` against a brute-force search over the catalogs (Catalog.find on each, the naive loop):
 * random trees changing across backups, random name and path globs (substrings of the names
 * among them, found through the gram lists), before and after a random backup is removed, over
 * both back ends.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '../../src/catalog/index.js';
import { isoFromMicros, microsFromNs, openIndex, type GrtIndex } from '../../src/index/index.js';
import { BACKENDS, useBackend } from './backends.js';
import { catalogOf, day, type Tree } from './catalogs.js';

/** Name pieces: glob-relevant characters, SQL quoting, case and the letters folding to ASCII (long s, Kelvin). */
const PIECES = ['a', 'B', 'rep', 'ort', '.xlsx', '.txt', "'", '%', '_', ' ', 'ü', 'Ü', '\u017f', '\u212a', 'k', 's', '[x]', '-', '9'];
const GLOB_PIECES = ['*', '?', 'a', 'b', 'rep', 'ort', '.xlsx', '.txt', '.TXT', "'", '%', '_', 'ü', 'K', 'S', '[ab]', '[!a]', '\\[x\\]', 'x', '9', '**'];
const DIRS = ['/', '/d1', '/d1/sub', '/D2'];

const nameArb = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 3 }).map((p) => p.join(''));
const fileArb = fc.record({ dir: fc.constantFrom(...DIRS), name: nameArb, size: fc.nat({ max: 5 }), day: fc.nat({ max: 3 }) });
/** A piece of a name, three or more characters, as a substring glob: `*ort.x*`, `?ep*`, `*PORT*`. */
const substringArb = fc.tuple(nameArb, fc.nat(), fc.integer({ min: 3, max: 6 }), fc.constantFrom('*', '?'), fc.boolean()).map(([name, from, length, lead, upper]) => {
  const chars = Array.from(name);
  const at = chars.length <= 3 ? 0 : from % (chars.length - 2);
  const piece = chars.slice(at, at + length).join('');
  return `${lead}${upper ? piece.toUpperCase() : piece}*`;
});
const globArb = fc.oneof(
  fc.array(fc.constantFrom(...GLOB_PIECES), { minLength: 1, maxLength: 4 }).map((p) => p.join('')),
  substringArb,
  fc.tuple(fc.constantFrom('/d1/', '**/', '/d1/**/', '/*/'), fc.array(fc.constantFrom(...GLOB_PIECES), { minLength: 1, maxLength: 3 })).map(([d, p]) => d + p.join('')),
);
/** Backups: a first tree, then per backup a few files changed, removed or added. */
const historyArb = fc.record({
  files: fc.array(fileArb, { minLength: 1, maxLength: 12 }),
  steps: fc.array(fc.record({ change: fc.array(fc.nat(), { maxLength: 3 }), remove: fc.array(fc.nat(), { maxLength: 2 }), add: fc.array(fileArb, { maxLength: 2 }) }), { maxLength: 2 }),
  globs: fc.array(globArb, { minLength: 1, maxLength: 4 }),
  /** A backup removed after the first searches (its index modulo the count), or none. */
  remove: fc.option(fc.nat(), { nil: undefined }),
});

type File = { dir: string; name: string; size: number; day: number };

function treeOf(files: File[]): Tree {
  const tree: Tree = {};
  const seen = new Set<string>();
  for (const f of files) {
    const path = f.dir === '/' ? `/${f.name}` : `${f.dir}/${f.name}`;
    // The fake file system compares paths case-insensitively: one entry per folded path.
    if (seen.has(path.toUpperCase())) continue;
    seen.add(path.toUpperCase());
    tree[path] = { data: 'x'.repeat(f.size), time: day(f.day) };
  }
  return tree;
}

function histories(h: { files: File[]; steps: { change: number[]; remove: number[]; add: File[] }[] }): File[][] {
  const out: File[][] = [h.files];
  let files = h.files.slice();
  for (const step of h.steps) {
    files = files.map((f, i) => (step.change.some((c) => c % files.length === i) ? { ...f, size: f.size + 1, day: f.day + 1 } : f));
    files = files.filter((_f, i) => !step.remove.some((r) => r % files.length === i)).concat(step.add);
    out.push(files);
  }
  return out;
}

/** Names whose case folding reaches ASCII (Kelvin sign, long s) met by prefix, suffix and exact globs. */
const EDGES = {
  files: [
    { dir: '/', name: '\u212aa', size: 1, day: 0 }, { dir: '/d1', name: 'rep\u017f', size: 2, day: 0 },
    { dir: '/d1', name: 'x.TXT', size: 0, day: 1 }, { dir: '/D2', name: "a'%_", size: 0, day: 1 },
  ],
  steps: [{ change: [1], remove: [], add: [] }],
  globs: ['K*', 'ka', '*S', 'REPS', '*.txt', "a'%_", '/d1/**/*', '**/x*', '*EPS', '?eps', '*x.t*'],
  remove: 0,
};

let run = 0;

type Added = { backup: string; time: Date; bytes: Uint8Array };

/** find of each glob in `vm` equals Catalog.find over the catalogs of its backups, newest backup first. */
async function expectFinds(index: GrtIndex, vm: string, catalogs: Added[], globs: string[]): Promise<void> {
  for (const glob of globs) {
    const expected: string[] = [];
    for (const c of [...catalogs].reverse()) {
      const catalog = await openCatalog(c.bytes);
      for await (const e of catalog.find(undefined, glob)) {
        expected.push(JSON.stringify([c.backup, 1, e.path, e.size, isoFromMicros(microsFromNs(e.times.mtime))]));
      }
    }
    const got: string[] = [];
    for await (const r of index.find(glob, { vm })) got.push(JSON.stringify([r.backup, r.volume, r.path, r.size, r.mtime]));
    expect(got.slice().sort(), glob).toEqual(expected.slice().sort());
    const order = got.map((g) => catalogs.findIndex((c) => c.backup === JSON.parse(g)[0]));
    expect(order).toEqual(order.slice().sort((x, y) => y - x));
  }
}

describe.each(BACKENDS)('%s', (backend) => {
  const newUrl = useBackend(backend);
  it('find equals Catalog.find over every backup\'s catalog', async () => {
    const index = await openIndex(await newUrl());
    try {
      await fc.assert(
        fc.asyncProperty(historyArb, async (h) => {
          const vm = `vm${run++}`;
          const catalogs: Added[] = [];
          for (const [i, files] of histories(h).entries()) {
            const bytes = await catalogOf(treeOf(files));
            const backup = `${vm}-${i}`;
            const time = new Date(Date.UTC(2024, 0, 1 + i));
            await index.add(bytes, { backup, vm, time });
            catalogs.push({ backup, time, bytes });
          }
          await expectFinds(index, vm, catalogs, h.globs);
          if (h.remove !== undefined) {
            const [gone] = catalogs.splice(h.remove % catalogs.length, 1);
            await index.remove(gone!.backup);
            await expectFinds(index, vm, catalogs, h.globs);
          }
        }),
        { numRuns: backend === 'sqlite' ? 40 : 12, examples: [[EDGES]] },
      );
    } finally {
      await index.close();
    }
  }, 240_000);
});
