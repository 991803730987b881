/**
 * What grt-ls loads before it lists anything: the modules its static imports reach. A listing of a
 * local image needs none of the remote openers (node:http, node:https, node:crypto for SigV4), the
 * catalog container's inflater (fflate builds its tables when loaded: ~30 ms) or the OVA manifest
 * check; those are imported on first use.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Static, value (not `import type`) imports and re-exports of a module's text. */
function staticImports(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^;'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) out.push(match[1]!);
  return out;
}

/** Every module (source file or package) the static imports of `entry` reach. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.startsWith('/')) continue; // a package or node: builtin
    for (const specifier of staticImports(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) stack.push(specifier);
      else if (!specifier.endsWith('.json')) stack.push(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  }
  return seen;
}

describe('command start-up', () => {
  it('grt-ls loads no remote opener, hashing, catalog inflater or OVA check until asked for', () => {
    const loaded = reachable(join(SRC, 'cli/grt-ls.ts'));
    expect(loaded.has(join(SRC, 'fs/posix-tree.ts')) || loaded.has(join(SRC, 'image.ts'))).toBe(true);
    // The glob compiler (--find), the SID names (-l with --security) and the JSON rows (--json) are loaded by the listings that use them.
    for (const unwanted of ['node:http', 'node:https', 'node:crypto', 'fflate', join(SRC, 'io/sources/http-opener.ts'), join(SRC, 'io/sources/s3-opener.ts'), join(SRC, 'vm/ova-manifest.ts'), join(SRC, 'catalog/format.ts'), join(SRC, 'util/glob.ts'), join(SRC, 'fs/sid-names.ts'), join(SRC, 'fs/entry-json.ts')]) {
      expect(loaded.has(unwanted), unwanted).toBe(false);
    }
  });

  it('grt-ls loads no zlib, worker threads or os module at start, grt-extract no worker threads (util/builtins.ts loads them on first use)', () => {
    const loaded = reachable(join(SRC, 'cli/grt-ls.ts'));
    expect(loaded.has(join(SRC, 'vmdk/inflate-pool.ts'))).toBe(true);
    for (const unwanted of ['node:zlib', 'zlib', 'node:worker_threads', 'worker_threads', 'node:os', 'os']) expect(loaded.has(unwanted), unwanted).toBe(false);
    // grt-extract starts its writer thread only for a slow target or while inflating here.
    expect(reachable(join(SRC, 'cli/grt-extract.ts')).has('node:worker_threads')).toBe(false);
  });

  it('no command loads the LVM2 assembler before a volume carries a PV label, nor the OVA/OVF readers before an .ova', () => {
    for (const command of ['grt-ls', 'grt-extract', 'grt-catalog']) {
      const loaded = reachable(join(SRC, `cli/${command}.ts`));
      expect(loaded.has(join(SRC, 'volume/disk-set.ts')), command).toBe(true);
      for (const unwanted of ['volume/lvm/assemble.ts', 'volume/lvm/metadata.ts', 'volume/lvm/config-text.ts', 'vm/ova.ts', 'vm/ovf.ts', 'vm/xml.ts']) expect(loaded.has(join(SRC, unwanted)), `${command}: ${unwanted}`).toBe(false);
    }
  });

  it('grt-extract and grt-catalog load no remote opener or uploader for a local image', () => {
    for (const command of ['grt-extract', 'grt-catalog']) {
      const loaded = reachable(join(SRC, `cli/${command}.ts`));
      expect(loaded.has(join(SRC, 'cli/remote-catalog.ts')), command).toBe(true);
      for (const unwanted of ['node:http', 'node:https', join(SRC, 'io/sources/http-opener.ts'), join(SRC, 'io/sources/s3-opener.ts'), join(SRC, 'io/sources/s3-upload.ts'), join(SRC, 'io/sources/aws-config.ts')]) {
        expect(loaded.has(unwanted), `${command}: ${unwanted}`).toBe(false);
      }
    }
    // Building from an image file needs no stream tap, restore engine or hashing.
    const catalog = reachable(join(SRC, 'cli/grt-catalog.ts'));
    for (const unwanted of [join(SRC, 'catalog/tap/catalog-tap.ts'), join(SRC, 'restore/engine.ts'), 'node:crypto']) expect(catalog.has(unwanted), unwanted).toBe(false);
  });
});
