import { defineConfig } from 'tsup';

// Two builds: the library (ESM + CommonJS + declarations, one entry per public layer, and the
// worker programs — the inflate workers', the catalog tap's build worker — which
// vmdk/inflate-worker-url.ts finds beside it) and the
// command-line tools (ESM only, with their shebang kept by esbuild).
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'io/index': 'src/io/index.ts',
      'vmdk/index': 'src/vmdk/index.ts',
      'volume/index': 'src/volume/index.ts',
      'fs/ntfs/index': 'src/fs/ntfs/index.ts',
      'catalog/index': 'src/catalog/index.ts',
      'restore/index': 'src/restore/index.ts',
      'index/index': 'src/index/index.ts',
      'vmdk/inflate-worker': 'src/vmdk/inflate-worker.ts',
      'catalog/tap/build-worker': 'src/catalog/tap/build-worker.ts',
    },
    format: ['esm', 'cjs'],
    // import.meta.url in the CommonJS build too: vmdk/inflate-worker-url.ts finds the worker by it,
    // restore/native-times.ts the addon.
    shims: true,
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
  },
  {
    entry: {
      'cli/grt-ls': 'src/cli/grt-ls.ts',
      'cli/grt-extract': 'src/cli/grt-extract.ts',
      'cli/grt-catalog': 'src/cli/grt-catalog.ts',
      'cli/grt-index': 'src/cli/grt-index.ts',
    },
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'node20',
    splitting: true,
    // Bundled into the commands' chunks: each package Node resolves at start-up (package.json
    // exports, its own module files) cost a command ~4 ms of CPU before it did anything; the
    // library build leaves them to the application's node_modules.
    noExternal: ['lru-cache', 'binary-parser'],
  },
]);
