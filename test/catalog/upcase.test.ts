import { describe, expect, it } from 'vitest';
import { buildCatalog, openCatalog } from '../../src/catalog/index.js';
import type { FileEntry, StreamLayout } from '../../src/fs/file-system.js';
import { AsciiFoldingFs, FakeFs, layoutKey, type FakeVolume } from '../helpers/fake-fs.js';

const times = { mtime: 0n, atime: 0n, ctime: 0n, btime: 0n };
function entry(path: string, record: number, type: 'file' | 'dir'): FileEntry {
  return { path, name: path.slice(path.lastIndexOf('/') + 1) || '/', type, size: 0, times, attributes: type === 'dir' ? 0x10 : 0x20, streams: [], links: 1, id: { record, sequence: 1 }, warnings: [] };
}

function volume(): FakeVolume {
  const empty: StreamLayout = { name: '', size: 0, initializedSize: 0, encoding: 'resident', resident: new Uint8Array(0), runs: [] };
  return {
    entries: [entry('/', 5, 'dir'), entry('/café.txt', 64, 'file')],
    layouts: new Map([[layoutKey(64, ''), empty]]),
    metadata: new Set(),
    serial: '0000000000000001',
  };
}

const binding = { capacity: 1 << 20, cids: [], partitions: [{ index: 1, start: 0, size: 1 << 20, fs: 'ntfs' }] };

describe('catalog UPCASE section', () => {
  it('looks names up through the volume table it stored, not Unicode rules', async () => {
    const withTable = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs: new AsciiFoldingFs(volume()) }] }));
    expect((await withTable.stat(1, '/CAFé.TXT')).name).toBe('café.txt');
    await expect(withTable.stat(1, '/CAFÉ.TXT')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Without a table (catalogs of format 1.0, file systems without one): Unicode upper case.
    const without = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs: new FakeFs(volume()) }] }));
    expect((await without.stat(1, '/CAFÉ.TXT')).name).toBe('café.txt');
  });
});
