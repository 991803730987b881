/**
 * Catalogs of volumes with orphaned names (docs/catalog-format.md §5.2, virtual directory bit):
 * an NTFS image whose names are made orphans by pointing their $FILE_NAME parent elsewhere (a
 * lost file, a lost deleted file, a lost directory, a directory cycle) catalogues by scan and by
 * walk, lists as the live volume field by field (ORPHAN warnings included), restores an orphan's
 * bytes, keeps /$Orphan itself out of reach, and refuses a misplaced virtual bit.
 */
import fc from 'fast-check';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCatalog, CatalogFileSystem, openCatalog, type Catalog, type CatalogBinding } from '../../src/catalog/index.js';
import { decodeNames, newNameTable, readNamesHeader } from '../../src/catalog/decode.js';
import { NameFlag, NamesChunkWriter, type NameRecord } from '../../src/catalog/encode.js';
import { encodeSection, readSectionHeaders, readSectionPayload, SectionType } from '../../src/catalog/format.js';
import { ByteReader, ByteWriter } from '../../src/catalog/varint.js';
import { GrtError } from '../../src/errors.js';
import type { FileEntry, FileSystem, ListOptions } from '../../src/fs/file-system.js';
import { openNtfs, type NtfsVolume } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { restore } from '../../src/restore/index.js';
import { buildNtfsVolume } from '../builders/ntfs-builder.js';
import { reparentRecord } from '../builders/ntfs/reparent.js';
import { collect } from './listing.js';

const LOST = new TextEncoder().encode('the lost file\n'.repeat(400)); // non-resident: read through runs
const BUILT = buildNtfsVolume({
  clusterSize: 4096,
  root: {
    kind: 'dir',
    name: '',
    children: [
      { kind: 'file', name: 'keep.txt', data: new TextEncoder().encode('kept') },
      { kind: 'file', name: 'lost.txt', data: LOST },
      { kind: 'file', name: 'gone.txt', data: new TextEncoder().encode('gone') },
      { kind: 'dir', name: 'lostdir', children: [{ kind: 'file', name: 'inner.txt', data: new TextEncoder().encode('inner') }] },
      { kind: 'dir', name: 'a', children: [{ kind: 'dir', name: 'b', children: [{ kind: 'file', name: 'deep.txt', data: new Uint8Array(3) }] }] },
    ],
  },
});
/** A record number no record of the image has. */
const MISSING_RECORD = 60000;
const OPTIONS: ListOptions[] = [{}, { all: true }, { deleted: true }, { all: true, deleted: true }];

/** Point the $FILE_NAME parent references of `path`'s record at `parentRecord`. */
function reparent(volume: NtfsVolume, image: Uint8Array, path: string, parentRecord: number): Promise<void> {
  return reparentRecord(volume, image, BUILT.records.get(path)!, parentRecord);
}

/** Clears the in-use flag of `path`'s MFT record (header flags, offset 22): a deleted file. */
async function markDeleted(volume: NtfsVolume, image: Uint8Array, path: string): Promise<void> {
  const record = volume.mft.recordOffset(BUILT.records.get(path)!);
  image[record + 22]! &= ~1;
}

/** The image with lost.txt, gone.txt (deleted) and lostdir under a missing parent, and a ↔ a/b a cycle. */
async function orphanImage(): Promise<Uint8Array> {
  const image = BUILT.image.slice();
  const volume = await openNtfs(new MemorySource(BUILT.image));
  for (const path of ['/lost.txt', '/gone.txt', '/lostdir']) await reparent(volume, image, path, MISSING_RECORD);
  await reparent(volume, image, '/a', BUILT.records.get('/a/b')!);
  await markDeleted(volume, image, '/gone.txt');
  return image;
}

const IMAGE = await orphanImage();

const byPath = (list: FileEntry[]) => [...list].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.id.record - b.id.record));

/** The live volume without its one-pass scan: the catalog is built from its walk. */
function walkOnly(fs: FileSystem): FileSystem {
  return {
    kind: fs.kind, info: fs.info,
    stat: (path) => fs.stat(path),
    readDir: (path, options) => fs.readDir(path, options),
    walk: (path, options) => fs.walk(path, options),
    openStream: (target, stream) => fs.openStream(target, stream),
    streamLayout: (target, stream) => fs.streamLayout(target, stream),
    nameRule: () => fs.nameRule(),
  };
}

async function catalogOf(fs: FileSystem): Promise<Uint8Array> {
  const binding: CatalogBinding = { capacity: IMAGE.length, cids: [], partitions: [{ index: 1, start: 0, size: IMAGE.length, fs: 'ntfs', serial: fs.info.serial }] };
  return buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs }] });
}

async function grtCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(GrtError);
  return (error as GrtError).code;
}

const live = await openNtfs(new MemorySource(IMAGE));
const scanned = await catalogOf(live);
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('a volume with orphaned names', () => {
  it('the image has the orphans the test is about', async () => {
    const paths = (await collect(live.walk('/', { deleted: true }))).map((e) => e.path);
    for (const p of ['/$Orphan/lost.txt', '/$Orphan/gone.txt', '/$Orphan/lostdir/inner.txt', '/$Orphan/a/b/deep.txt']) expect(paths).toContain(p);
  });

  for (const [how, bytes] of [['scan', async () => scanned], ['walk', async () => catalogOf(walkOnly(live))]] as const) {
    it(`catalogued by ${how}: every recursive listing equals the live walk, field by field`, async () => {
      const catalog = await openCatalog(await bytes());
      for (const options of OPTIONS) {
        const listed = await collect(catalog.list(1, '/', { ...options, recursive: true }));
        expect(byPath(listed), JSON.stringify(options)).toStrictEqual(byPath(await collect(live.walk('/', options))));
      }
      const lost = await catalog.stat(1, '/$Orphan/lost.txt');
      expect(lost.warnings.filter((w) => w.code === 'ORPHAN')).toHaveLength(1);
      // Below the top level an orphaned directory's names carry no ORPHAN warning, as live.
      expect((await catalog.stat(1, '/$Orphan/lostdir/inner.txt')).warnings).toEqual([]);
    });
  }

  it('the scan and walk builds give the same listing', async () => {
    const a = await openCatalog(scanned);
    const b = await openCatalog(await catalogOf(walkOnly(live)));
    const options = { recursive: true, all: true, deleted: true };
    expect(byPath(await collect(b.list(1, '/', options)))).toStrictEqual(byPath(await collect(a.list(1, '/', options))));
  });

  it('/$Orphan is no entry: not listed, stat and list fail as live; its names stat (unlike live)', async () => {
    const catalog: Catalog = await openCatalog(scanned);
    // NOTE: live readDir reads the root's index, which still names the reparented files; the
    // walk's top level is what the catalog keeps.
    const top = (await collect(live.walk('/', { all: true, deleted: true }))).filter((e) => e.path.lastIndexOf('/') === 0);
    expect(byPath(await collect(catalog.list(1, '/', { all: true, deleted: true })))).toStrictEqual(byPath(top));
    expect(await grtCode(live.stat('/$Orphan'))).toBe('NOT_FOUND');
    expect(await grtCode(catalog.stat(1, '/$Orphan'))).toBe('NOT_FOUND');
    expect(await grtCode(catalog.stat(1, '/$orphan'))).toBe('NOT_FOUND');
    expect(await grtCode(collect(catalog.list(1, '/$Orphan')))).toBe('NOT_FOUND');
    expect(await grtCode(live.stat('/$Orphan/lost.txt'))).toBe('NOT_FOUND');
    const walked = (await collect(live.walk('/'))).find((e) => e.path === '/$Orphan/lost.txt')!;
    expect(await catalog.stat(1, '/$Orphan/lost.txt')).toStrictEqual(walked);
    expect(await catalog.stat(1, '/$orphan/LOST.TXT')).toStrictEqual(walked);
    expect((await collect(catalog.list(1, '/$Orphan/a/b'))).map((e) => e.path)).toEqual(['/$Orphan/a/b/deep.txt']);
    const found = (await collect(catalog.find(1, '*', { all: true, deleted: true }))).map((e) => e.path);
    expect(found).toContain('/$Orphan/lostdir');
    expect(found).not.toContain('/$Orphan');
  });

  it('an orphan restores through CatalogFileSystem with its bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grt-orphans-'));
    dirs.push(dir);
    const fs = new CatalogFileSystem(await openCatalog(scanned), 1, new MemorySource(IMAGE));
    const summary = await restore({ fs, paths: ['/$Orphan/lost.txt', '/$Orphan/lostdir'], to: dir });
    expect(summary.failed).toBe(0);
    expect(Buffer.from(await readFile(join(dir, 'lost.txt'))).equals(Buffer.from(LOST))).toBe(true);
    expect(await readFile(join(dir, 'lostdir', 'inner.txt'), 'utf8')).toBe('inner');
  });
});

/** The catalog with its NAMES chunk's records passed through `edit` and every offset in END moved to match. */
function withNames(bytes: Uint8Array, edit: (names: NameRecord[]) => void): Uint8Array {
  const headers = readSectionHeaders(bytes);
  const parts: Uint8Array[] = [bytes.subarray(0, headers[0]!.offset)];
  const moved = new Map<number, number>();
  let offset = parts[0]!.length;
  for (const h of headers) {
    let payload = readSectionPayload(bytes, h);
    if (h.type === SectionType.names) payload = reencodeNames(payload, edit);
    if (h.type === SectionType.end) payload = movedEnd(payload, moved);
    moved.set(h.offset, offset);
    const section = encodeSection(h.type, payload);
    parts.push(section);
    offset += section.length;
  }
  return Buffer.concat(parts);
}

function reencodeNames(payload: Uint8Array, edit: (names: NameRecord[]) => void): Uint8Array {
  const r = new ByteReader(payload, 0, 'test NAMES');
  const head = readNamesHeader(r, 2);
  const table = newNameTable(head.first + head.count);
  table.filled = head.first;
  decodeNames(r, head, table, 1 << 30, 2);
  const names: NameRecord[] = [];
  for (let i = head.first; i < head.first + head.count; i++) {
    const flags = table.flags[i]!;
    const mode = (flags >> NameFlag.parentShift) & 3;
    const deleted = (flags >> NameFlag.deletedShift) & 3;
    const rec: NameRecord = {
      parent: table.parent[i]!, file: table.file[i]!, name: table.name[i]!, hidden: (flags & NameFlag.hidden) !== 0, dir: (flags & NameFlag.dir) !== 0,
      virtual: (flags & NameFlag.virtual) !== 0, parentId: mode === 0 ? 'derived' : mode === 1 ? 'none' : table.parentId.get(i)!,
    };
    if (deleted !== 0) rec.deleted = deleted === 2;
    if (table.dosName.has(i)) rec.dosName = table.dosName.get(i)!;
    names.push(rec);
  }
  edit(names);
  const w = new NamesChunkWriter(head.volume, head.first);
  for (const rec of names) w.add(rec);
  return w.finish();
}

/** END with its FILES chunk offsets moved (§7: totals per volume, then chunk refs). */
function movedEnd(payload: Uint8Array, moved: Map<number, number>): Uint8Array {
  const r = new ByteReader(payload, 0, 'test END');
  const w = new ByteWriter();
  const volumes = r.u();
  w.u(volumes);
  for (let k = 0; k < volumes * 3; k++) w.u(r.u());
  const chunks = r.u();
  w.u(chunks);
  for (let k = 0; k < chunks; k++) {
    w.u(moved.get(r.u())!);
    for (let j = 0; j < 3; j++) w.u(r.u());
  }
  return w.bytes();
}

describe('the virtual directory bit', () => {
  it('re-encoding the NAMES chunk unchanged gives an equal catalog (the test helper is sound)', async () => {
    const again = withNames(scanned, () => undefined);
    expect(Buffer.from(again).equals(Buffer.from(scanned))).toBe(true);
  });

  it('on a file, on a directory below the root, or on the root: BAD_CATALOG', async () => {
    const index = (names: NameRecord[], name: string) => names.findIndex((n) => n.name === name);
    const cases: ((names: NameRecord[]) => void)[] = [
      (names) => void (names[index(names, 'keep.txt')]!.virtual = true),
      (names) => void (names[index(names, 'b')]!.virtual = true),
      (names) => void (names[0]!.virtual = true),
      (names) => void (names[index(names, '$Orphan')]!.dir = false),
    ];
    for (const edit of cases) expect(await grtCode(openCatalog(withNames(scanned, edit)))).toBe('BAD_CATALOG');
  });

  it('without the bit, $Orphan is a plain directory again (the bit is what hides it)', async () => {
    const catalog = await openCatalog(withNames(scanned, (names) => void (names.find((n) => n.virtual)!.virtual = false)));
    expect((await catalog.stat(1, '/$Orphan')).type).toBe('dir');
  });

  it('any name given or stripped of the virtual or directory bit: only GrtError (property)', async () => {
    const count = (await openCatalog(scanned)).volumes[0]!.names;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: count - 1 }), fc.constantFrom('virtual', 'dir') as fc.Arbitrary<'virtual' | 'dir'>), { minLength: 1, maxLength: 3 }), async (flips) => {
        const bytes = withNames(scanned, (names) => {
          for (const [at, bit] of flips) names[at]![bit] = !names[at]![bit];
        });
        try {
          const catalog = await openCatalog(bytes);
          for await (const e of catalog.list(1, '/', { recursive: true, all: true, deleted: true })) await catalog.stat(1, e.path);
          for await (const _ of catalog.find(1, '**', { all: true, deleted: true })) void _;
        } catch (error) {
          if (!(error instanceof GrtError)) throw error;
        }
      }),
      { seed: 7, numRuns: 60 },
    );
  });
});
