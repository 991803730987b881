/**
 * A volume of a POSIX file system in a catalog (format 3.0): mode, owner, special-file kind,
 * nanosecond times (before 1970 too), no birth time, details — all given back as listed; names
 * compare case-sensitively in code-point order, as the volume's 'bytes' rule says.
 */
import { describe, expect, it } from 'vitest';
import { buildCatalog, CatalogFileSystem, openCatalog, toNdjson } from '../../src/catalog/index.js';
import type { FileEntry, StreamLayout } from '../../src/fs/file-system.js';
import { entryTimes } from '../../src/util/time.js';
import { PosixFakeFs, layoutKey, type FakeVolume } from '../helpers/fake-fs.js';
import { collect, sortByPath } from './listing.js';

function entry(path: string, record: number, fields: Partial<FileEntry>): FileEntry {
  return {
    path, name: path.slice(path.lastIndexOf('/') + 1) || '/', type: 'file', size: 0,
    times: entryTimes(-1_234_567_891n, 1_700_000_000_123_456_789n, 5n),
    streams: [], links: 1, id: { record, sequence: 7 }, warnings: [], ...fields,
  };
}

function volume(): FakeVolume {
  const data: StreamLayout = { name: '', size: 3, initializedSize: 3, encoding: 'raw', runs: [{ streamOffset: 0, sourceOffset: 8192, length: 4096 }] };
  return {
    entries: [
      entry('/', 2, { type: 'dir', mode: 0o755, uid: 0, gid: 0 }),
      entry('/a', 12, { mode: 0o4755, uid: 1000, gid: 100, size: 3, details: { flags: 0x80000 } }),
      entry('/A', 13, { mode: 0o644, uid: 4_294_967_294, gid: 4_294_967_294 }),
      entry('/fifo', 14, { type: 'other', kind: 'fifo', mode: 0o600, uid: 0, gid: 0 }),
      entry('/\u{1F600}', 15, { mode: 0o644, uid: 1, gid: 1, times: entryTimes(1n, 2n, 3n, 4n) }),
      entry('/\uFF21', 16, { type: 'symlink', target: '/etc/../a', mode: 0o777, uid: 0, gid: 0 }),
    ],
    layouts: new Map([[layoutKey(12, ''), data]]),
    metadata: new Set(),
    serial: '4f2c0e1a-0000-4000-8000-00000000abcd',
  };
}

const binding = { capacity: 1 << 20, cids: [], partitions: [{ index: 1, start: 0, size: 1 << 20, fs: 'ext4' }] };

describe('a POSIX volume in a catalog', () => {
  it('gives back every field as listed, and the volume kind and rule', async () => {
    const fs = new PosixFakeFs(volume());
    const catalog = await openCatalog(await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs }] }));
    expect(catalog.volumes[0]).toMatchObject({ fs: 'ext4', nameRule: 'bytes' });
    const listed = await collect(catalog.list(1, '/', { recursive: true, all: true }));
    expect(sortByPath(listed)).toEqual(sortByPath(await collect(fs.walk('/', { all: true }))));
    const fifo = listed.find((e) => e.name === 'fifo')!;
    expect(fifo).toMatchObject({ type: 'other', kind: 'fifo', mode: 0o600 });
    expect(fifo.times.btime).toBeUndefined();
    expect(fifo.attributes).toBeUndefined();

    const view = new CatalogFileSystem(catalog, 1);
    expect(view.kind).toBe('ext4');
    expect(view.nameRule()).toEqual({ kind: 'bytes' });
    // Case-sensitive lookups: 'a' and 'A' are two files; 'a' is not found as 'A' or the reverse.
    expect((await view.stat('/a')).id.record).toBe(12);
    expect((await view.stat('/A')).id.record).toBe(13);
    // Code-point order (UTF-8 byte order): U+FF21 before U+1F600, though its UTF-16 unit is larger.
    expect((await view.readDir('/')).map((e) => e.name)).toEqual(['A', 'a', 'fifo', '\uFF21', '\u{1F600}']);

    const rows = (await collect(toNdjson(await view.readDir('/'), { fs: view.kind }))).map((line) => JSON.parse(line));
    expect(rows[1]).toMatchObject({ name: 'a', mode: 0o4755, uid: 1000, gid: 100, inode: 12, generation: 7, mtime: '1969-12-31T23:59:58.765432109Z', details: { flags: 0x80000 } });
    expect(rows[1]).not.toHaveProperty('btime');
    expect(rows[1]).not.toHaveProperty('mft');
  });
});
