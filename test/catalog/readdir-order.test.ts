/**
 * CatalogFileSystem.readDir lists in the order of the live volume's directory index: names
 * upper-cased through the volume's own $UpCase (stored in the catalog), not toUpperCase().
 */
import { describe, expect, it } from 'vitest';
import { buildCatalog, CatalogFileSystem, openCatalog } from '../../src/catalog/index.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';
import { AsciiFoldingFs, FakeFs, layoutKey, type FakeVolume } from '../helpers/fake-fs.js';

const names = (entries: FileEntry[]): string[] => entries.map((e) => e.name);

describe('catalog readDir order', () => {
  it('equals the live NTFS listing for names where $UpCase and toUpperCase disagree', async () => {
    // The builder's $UpCase keeps 'ß' and 'ŉ' (their toUpperCase is two units: 'SS', 'ʼN'), so
    // 'straße' sorts after 'strasz' on the volume, before it by toUpperCase.
    const children = ['strasz.txt', 'straße.txt', 'strasse.txt', 'ŉa.txt', 'ʼNb.txt', 'Ωmega', 'ωa', 'я.txt', 'Я2.txt', 'ǅ.txt', 'ǆa.txt', 'a.txt', 'Z.txt'];
    const built = buildNtfsVolume({ root: { kind: 'dir', name: '', children: [{ kind: 'dir', name: 'd', children: children.map((name) => ({ kind: 'file' as const, name, data: new Uint8Array(1) })) }] } });
    const live = await openNtfs(new MemorySource(built.image));
    const binding = { capacity: built.image.length, cids: [], partitions: [{ index: 1, start: 0, size: built.image.length, fs: 'ntfs', serial: live.info.serial }] };
    const catalog = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs: live }] }));
    const fromCatalog = names(await new CatalogFileSystem(catalog, 1).readDir('/d'));
    expect(fromCatalog).toEqual(names(await live.readDir('/d')));
    // The case this is about: toUpperCase would put 'straße' between 'strasse' and 'strasz'.
    expect(fromCatalog.indexOf('strasz.txt')).toBeLessThan(fromCatalog.indexOf('straße.txt'));
  });

  it('follows the stored table even where it folds less than Unicode', async () => {
    const times = { mtime: 0n, atime: 0n, ctime: 0n, btime: 0n };
    const entry = (path: string, record: number, type: 'file' | 'dir'): FileEntry => ({ path, name: path.slice(1) || '/', type, size: 0, times, attributes: type === 'dir' ? 0x10 : 0x20, streams: [], links: 1, id: { record, sequence: 1 }, warnings: [] });
    const empty = { name: '', size: 0, initializedSize: 0, encoding: 'resident' as const, resident: new Uint8Array(0), runs: [] };
    const volume: FakeVolume = {
      entries: [entry('/', 5, 'dir'), entry('/éa', 64, 'file'), entry('/Éb', 65, 'file')],
      layouts: new Map([[layoutKey(64, ''), empty], [layoutKey(65, ''), empty]]),
      metadata: new Set(),
      serial: '0000000000000001',
    };
    // An ASCII-only table: 'é' (0xE9) stays above 'É' (0xC9), so 'Éb' comes first.
    const binding = { capacity: 1 << 20, cids: [], partitions: [{ index: 1, start: 0, size: 1 << 20, fs: 'ntfs' }] };
    const withTable = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs: new AsciiFoldingFs(volume) }] }));
    expect(names(await new CatalogFileSystem(withTable, 1).readDir('/'))).toEqual(['Éb', 'éa']);
    // Without a table (format 1.0 catalogs): Unicode upper case, 'ÉA' before 'ÉB'.
    const without = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs: new FakeFs(volume) }] }));
    expect(names(await new CatalogFileSystem(without, 1).readDir('/'))).toEqual(['éa', 'Éb']);
  });
});
