import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import type { FileEntry } from '../../src/fs/file-system.js';
import { checkBinding, toBodyfile, toNdjson, type CatalogBinding } from '../../src/catalog/index.js';
import { filetimeToNs } from '../../src/util/time.js';

const FILE: FileEntry = {
  path: '/Users/a|b.txt', name: 'a|b.txt', type: 'file', size: 12, attributes: 0x21,
  // FILETIMEs as NTFS gives them; ctime 0 is a time never set.
  times: { mtime: filetimeToNs(133_537_680_000_000_000n), atime: filetimeToNs(133_537_680_012_345_678n), ctime: filetimeToNs(0n), btime: 0n },
  streams: [{ name: 'Zone.Identifier', size: 26 }], links: 1, id: { record: 42, sequence: 3 }, parent: { record: 40, sequence: 1 }, deleted: true, warnings: [],
};

async function text(lines: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const line of lines) out += line;
  return out;
}

describe('exports', () => {
  it('body file 3.x rows, one per stream, escaped names, whole seconds', async () => {
    const body = await text(toBodyfile([FILE], { mountPoint: 'C:' }));
    expect(body).toBe(
      '0|C:/Users/a\\|b.txt (deleted)|42|r/rr-xr-xr-x|0|0|12|1709294401|1709294400|0|0\n' +
        '0|C:/Users/a\\|b.txt:Zone.Identifier (deleted)|42|r/rr-xr-xr-x|0|0|26|1709294401|1709294400|0|0\n',
    );
  });

  it('NDJSON rows with ISO times', async () => {
    const lines = (await text(toNdjson([FILE], { volume: 2 }))).trim().split('\n');
    expect(lines).toHaveLength(1);
    const row = JSON.parse(lines[0]!);
    // The one entry JSON form (fs/entry-json.ts): nine fractional digits, NTFS ids as `mft`.
    expect(row).toEqual({
      volume: 2, path: '/Users/a|b.txt', name: 'a|b.txt', type: 'file', size: 12,
      mtime: '2024-03-01T12:00:00.000000000Z', atime: '2024-03-01T12:00:01.234567800Z', ctime: '1601-01-01T00:00:00.000000000Z', btime: '1970-01-01T00:00:00.000000000Z',
      attributes: 0x21, streams: [{ name: 'Zone.Identifier', size: 26 }], links: 1, mft: { record: 42, sequence: 3 }, parentMft: { record: 40, sequence: 1 },
      deleted: true, warnings: [],
    });
  });

  it('POSIX rows: mode, owner and inode in both forms', async () => {
    const entry: FileEntry = {
      path: '/etc/passwd', name: 'passwd', type: 'file', size: 3, mode: 0o4755, uid: 1000, gid: 100,
      times: { mtime: -1_500_000_001n, atime: 1n, ctime: 0n },
      streams: [], links: 2, id: { record: 12, sequence: 7 }, parent: { record: 2, sequence: 0 }, warnings: [],
    };
    const row = JSON.parse(await text(toNdjson([entry], { fs: 'ext4' })));
    expect(row).toEqual({
      path: '/etc/passwd', name: 'passwd', type: 'file', size: 3, mode: 0o4755, uid: 1000, gid: 100,
      mtime: '1969-12-31T23:59:58.499999999Z', atime: '1970-01-01T00:00:00.000000001Z', ctime: '1970-01-01T00:00:00.000000000Z',
      streams: [], links: 2, inode: 12, generation: 7, parentInode: 2, warnings: [],
    });
    expect(await text(toBodyfile([entry]))).toBe('0|/etc/passwd|12|r/rrwsr-xr-x|1000|100|3|0|-2|0|0\n');
  });
});

describe('binding', () => {
  const binding: CatalogBinding = { capacity: 1 << 30, cids: ['aaaa0001', 'bbbb0002'], partitions: [{ index: 1, start: 1_048_576, size: 1 << 29, fs: 'ntfs', serial: '0123456789ABCDEF' }] };
  const mismatch = (actual: CatalogBinding): string => {
    try {
      checkBinding(binding, actual);
      return 'ok';
    } catch (error) {
      expect(error).toBeInstanceOf(GrtError);
      expect((error as GrtError).code).toBe('CATALOG_MISMATCH');
      expect((error as GrtError).message).not.toMatch(/\n/);
      return (error as GrtError).message;
    }
  };
  it('accepts its own image, extra partitions, and images without CIDs', () => {
    expect(mismatch(binding)).toBe('ok');
    expect(mismatch({ ...binding, cids: [] })).toBe('ok');
    expect(mismatch({ ...binding, partitions: [...binding.partitions, { index: 2, start: 1 << 29, size: 100, fs: 'unknown' }] })).toBe('ok');
  });
  it('says what differs', () => {
    expect(mismatch({ ...binding, capacity: 1 })).toMatch(/capacity/);
    expect(mismatch({ ...binding, cids: ['aaaa0001'] })).toMatch(/CIDs/);
    expect(mismatch({ ...binding, partitions: [] })).toMatch(/partition 1 is missing/);
    expect(mismatch({ ...binding, partitions: [{ ...binding.partitions[0]!, start: 0 }] })).toMatch(/starts elsewhere/);
    expect(mismatch({ ...binding, partitions: [{ ...binding.partitions[0]!, serial: 'FFFF' }] })).toMatch(/serial/);
  });
});
