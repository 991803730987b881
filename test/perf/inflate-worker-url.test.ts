/**
 * Where the inflate worker program is found (vmdk/inflate-worker-url.ts): beside the module, or in
 * vmdk/ below it when tsup put the module into a shared chunk at dist/'s root; in the module's
 * own format (.js, .cjs, .mjs); none when running from source. From source, the bundle is kept
 * (cachedBundle) until one of its sources changes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { builtWorkerUrl, cachedBundle } from '../../src/vmdk/inflate-worker-url.js';

const dist = mkdtempSync(join(tmpdir(), 'grt-worker-url-'));
afterAll(() => rmSync(dist, { recursive: true, force: true }));
mkdirSync(join(dist, 'vmdk'));
for (const name of ['vmdk/inflate-worker.js', 'vmdk/inflate-worker.cjs', 'beside/inflate-worker.mjs']) {
  mkdirSync(join(dist, name, '..'), { recursive: true });
  writeFileSync(join(dist, name), '');
}
const url = (path: string): string => pathToFileURL(join(dist, path)).href;

describe('builtWorkerUrl', () => {
  it('finds the program below a shared chunk, in the chunk\'s module format', () => {
    expect(builtWorkerUrl(url('chunk-ABC.js'))?.href).toBe(url('vmdk/inflate-worker.js'));
    expect(builtWorkerUrl(url('chunk-ABC.cjs'))?.href).toBe(url('vmdk/inflate-worker.cjs'));
    expect(builtWorkerUrl(url('vmdk/index.js'))?.href).toBe(url('vmdk/inflate-worker.js'));
    expect(builtWorkerUrl(url('beside/run.mjs'))?.href).toBe(url('beside/inflate-worker.mjs'));
  });

  it('finds none from source or where nothing was built', () => {
    expect(builtWorkerUrl(url('src/vmdk/inflate-worker-url.ts'))).toBeUndefined();
    expect(builtWorkerUrl(url('beside/run.cjs'))).toBeUndefined();
  });
});

describe('cachedBundle', () => {
  it('bundles once while the sources are unchanged; again after one changes, for another esbuild, or over a damaged file', () => {
    const sources = [join(dist, 'src-a.ts'), join(dist, 'src-b.ts')];
    for (const source of sources) writeFileSync(source, 'export {};');
    const past = new Date(Date.now() - 60_000);
    for (const source of sources) utimesSync(source, past, past);
    const file = join(dist, 'cache', 'program.json');
    let builds = 0;
    const bundle = () => ({ text: `text ${++builds}`, inputs: sources });
    expect(cachedBundle(file, '0.1', bundle)).toBe('text 1');
    expect(cachedBundle(file, '0.1', bundle)).toBe('text 1');
    expect(builds).toBe(1);
    // A source edited: its mtime moves, the kept text is stale.
    const later = new Date(Date.now() - 30_000);
    utimesSync(sources[1]!, later, later);
    expect(cachedBundle(file, '0.1', bundle)).toBe('text 2');
    expect(cachedBundle(file, '0.1', bundle)).toBe('text 2');
    expect(cachedBundle(file, '0.2', bundle)).toBe('text 3');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 20));
    expect(cachedBundle(file, '0.2', bundle)).toBe('text 4');
    expect(builds).toBe(4);
  });

  it('keeps nothing when a source changed while it was bundled, or when the file cannot be written', () => {
    const source = join(dist, 'src-now.ts');
    writeFileSync(source, 'export {};');
    let builds = 0;
    const fresh = () => ({ text: `fresh ${++builds}`, inputs: [source] });
    // The source's mtime is now (written during the bundle): the text is used once, not kept.
    const file = join(dist, 'cache', 'fresh.json');
    const touchDuring = () => {
      writeFileSync(source, 'export {}; ');
      return fresh();
    };
    expect(cachedBundle(file, '0.1', touchDuring)).toBe('fresh 1');
    expect(cachedBundle(file, '0.1', touchDuring)).toBe('fresh 2');
    // A folder where the file would go is a file: still the text, nothing thrown.
    writeFileSync(join(dist, 'not-a-folder'), '');
    expect(cachedBundle(join(dist, 'not-a-folder', 'x.json'), '0.1', fresh)).toBe('fresh 3');
  });
});
