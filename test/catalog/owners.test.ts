/**
 * NTFS owners and groups in a catalog (format 4.0): a catalog of the ntfs-3g security volume
 * (test-images/security) gives every file's owner and group as the image does, through
 * CatalogFileSystem.readSecurity (no DACL: it stays on the image); files without a descriptor
 * carry none.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildCatalog, CatalogFileSystem, openCatalog, type CatalogBinding } from '../../src/catalog/index.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { main as grtLs } from '../../src/cli/grt-ls.js';
import { runCli } from '../helpers/run-cli.js';

const DIR = new URL('../../test-images/security/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { files: { path: string }[] };

describe('owners and groups in a catalog', () => {
  it('lists each file\'s owner and group from the catalog as from the image', async () => {
    const source = new MemorySource(new Uint8Array(gunzipSync(readFileSync(`${DIR}security.img.gz`))));
    const fs = await openNtfs(source);
    const binding: CatalogBinding = { capacity: source.size, cids: [''], partitions: [{ index: 0, start: 0, size: source.size, fs: 'ntfs', serial: fs.info.serial }] };
    const catalog = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 0, start: 0, fs }] }));
    const fromCatalog = new CatalogFileSystem(catalog, 0);
    expect(manifest.files.length).toBeGreaterThan(0);
    let owned = 0;
    for await (const entry of fromCatalog.walk('/')) {
      const live = await fs.readSecurity(await fs.stat(entry.path));
      const kept = await fromCatalog.readSecurity(entry);
      const expected = live && { ...(live.owner !== undefined && { owner: live.owner }), ...(live.group !== undefined && { group: live.group }), daclKept: false };
      expect(kept, entry.path).toEqual(expected);
      if (kept?.owner) owned++;
    }
    expect(owned).toBeGreaterThanOrEqual(manifest.files.length);
    // Listing entries stay as they were: owners are read only when asked.
    expect((await fromCatalog.stat(manifest.files[0]!.path)).security).toBeUndefined();

    // grt-ls --catalog --security --json lists them as grt-ls on the image does.
    const dir = mkdtempSync(join(tmpdir(), 'grt-owners-'));
    try {
      writeFileSync(join(dir, 'c.grtc'), await buildCatalog({ binding, volumes: [{ index: 0, start: 0, fs }] }));
      const { code, stdout } = await runCli(grtLs, ['--catalog', join(dir, 'c.grtc'), '--json', '--security', '/']);
      expect(code).toBe(0);
      const admin = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).find((row) => row.path === '/admin.txt');
      expect(admin).toMatchObject({ owner: 'S-1-5-32-544', group: 'S-1-5-18' });
      // The catalog has no DACL: the row leaves it out rather than print null ("no DACL: full access").
      expect(admin).not.toHaveProperty('dacl');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
