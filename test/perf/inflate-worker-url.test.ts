/**
 * Where the inflate worker program is found (vmdk/inflate-worker-url.ts): beside the module, or in
 * vmdk/ below it when tsup put the module into a shared chunk at dist/'s root; in the module's
 * own format (.js, .cjs, .mjs); none when running from source.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { builtWorkerUrl } from '../../src/vmdk/inflate-worker-url.js';

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
