/**
 * The package as a TypeScript user with classic resolution (moduleResolution node10, which reads
 * no `exports`) sees it: every subpath (`grt/vmdk`, …) resolves to its declarations through
 * `typesVersions`; and the license the package names ships as a file.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');

interface Manifest {
  license: string;
  files: string[];
  types: string;
  exports: Record<string, string | { import: { types: string } }>;
  typesVersions?: Record<string, Record<string, string[]>>;
}

describe('package.json', () => {
  it('node10 resolution finds the declarations of the root and of every subpath export', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Manifest;
    const dir = await mkdtemp(join(tmpdir(), 'grt-types-'));
    try {
      // An installed copy: the manifest as published, an empty declaration file wherever exports name one.
      const installed = join(dir, 'node_modules/grt');
      await mkdir(installed, { recursive: true });
      await writeFile(join(installed, 'package.json'), JSON.stringify(manifest));
      const subpaths = Object.entries(manifest.exports).filter(([key, value]) => key !== '.' && typeof value !== 'string');
      const declarations = [manifest.types, ...subpaths.map(([, value]) => (value as { import: { types: string } }).import.types)];
      for (const file of declarations) {
        await mkdir(dirname(join(installed, file)), { recursive: true });
        await writeFile(join(installed, file), 'export {};\n');
      }
      const options: ts.CompilerOptions = { moduleResolution: ts.ModuleResolutionKind.Node10, module: ts.ModuleKind.CommonJS };
      const from = join(dir, 'index.ts');
      for (const [key, value] of [['.', { import: { types: manifest.types } }] as const, ...subpaths]) {
        const specifier = key === '.' ? 'grt' : `grt/${key.slice(2)}`;
        const resolved = ts.resolveModuleName(specifier, from, options, ts.sys).resolvedModule;
        expect(resolved?.resolvedFileName, specifier).toBe(join(installed, (value as { import: { types: string } }).import.types));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ships the Apache-2.0 license it names', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Manifest;
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.files).toContain('LICENSE');
    const text = await readFile(join(ROOT, 'LICENSE'), 'utf8');
    expect(text).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    expect(text).toMatch(/END OF TERMS AND CONDITIONS/);
  });
});
