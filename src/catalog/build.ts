/**
 * Building a catalog right after a backup (docs/catalog-format.md): names and files appended to
 * chunks that are compressed and written as soon as they fill, so memory holds one chunk pair and
 * never a description per file. Layouts are taken from the file system and shifted to
 * virtual-disk byte offsets as they are encoded.
 *
 * A file system that can describe itself in one pass (NTFS: one linear MFT read) is scanned: each
 * file's record is written as the scan meets it, keeping only its file index, then the names are
 * written in tree order from the scan's compact name tree (format 2.0: a name may refer to any
 * file). Others are walked, each stream's layout asked of the file system, files numbered as the
 * walk first meets them.
 */
import { encodeUpcase } from './upcase-section.js';
import { GrtError } from '../errors.js';
import type { CatalogScan, FileEntry, FileSystem, StreamLayout } from '../fs/file-system.js';
import { encodeVolume, type CatalogBinding } from './binding.js';
import { catalogHead, endSection, writeCatalogFile, type CatalogSink, type VolumeTotals } from './catalog-file.js';
import { concatBytes } from '../util/concat-bytes.js';
import type { LayoutError, NameRecord } from './encode.js';
import { VolumeChunks, type FilesChunkRef } from './volume-chunks.js';
import { encodeSection, SectionType } from './format.js';
import { ByteWriter } from './varint.js';
import { ORPHAN_DIR, orphanWarning } from '../fs/orphans.js';
import { inStreamOrder, streamLayouts } from './stream-order.js';

export { CHUNK_ENTRIES } from './volume-chunks.js';
/** Record numbers below this make exact numeric id keys (record × 2^16 + sequence < 2^53). */
const ID_KEY_RECORD_LIMIT = 2 ** 37;
/** How often onProgress is called, in entries. */
const PROGRESS_EVERY = 4096;

export interface CatalogInput {
  binding: CatalogBinding;
  /**
   * The volumes to catalogue: volume number (partition index on the first disk), its id
   * (Volume.id; String(index) when absent), byte offset in
   * the disk set's address space (disk-space.ts), mounted file system; for a logical volume,
   * `place` maps each layout from the volume's offsets to the disk set's instead (start 0).
   */
  volumes: { index: number; id?: string; start: number; fs: FileSystem; place?: LayoutPlacer }[];
}

/** Maps a layout in volume byte offsets to the disk set's, or to the refusal stored for it. */
export type LayoutPlacer = (layout: StreamLayout) => StreamLayout | LayoutError;

export interface BuildOptions {
  /**
   * Called every few thousand entries: `entries` counts files described so far (a one-pass
   * scan describes every file before it writes the names) or names written, whichever is ahead;
   * `id` is the volume id (Volume.id) when buildImageCatalog reports.
   */
  onProgress?: (progress: { entries: number; volume: number; id?: string }) => void;
  signal?: AbortSignal;
}

/** A file system with the one-pass scan hook (fs/file-system.ts CatalogScan). */
type ScanningFileSystem = FileSystem & { scanRecords: CatalogScan };

function canScan(fs: FileSystem): fs is ScanningFileSystem {
  return typeof fs.scanRecords === 'function';
}

interface DirRef {
  nameIndex: number;
  record: number;
  sequence: number;
  path: string;
}

/** The whole catalog in memory. For millions of files prefer writeCatalog, which streams. */
export async function buildCatalog(input: CatalogInput, options: BuildOptions = {}): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await emitCatalog(input, options, (bytes) => void parts.push(bytes));
  return concatBytes(parts);
}

/** Streams the catalog to `path` (via a temporary file renamed into place when complete). */
export async function writeCatalog(path: string, input: CatalogInput, options: BuildOptions = {}): Promise<void> {
  // A library caller's mix-up (writeCatalog(image, path)) is a USAGE error, not a TypeError inside reported as IO_ERROR.
  if (typeof path !== 'string' || typeof input !== 'object' || input === null || !Array.isArray((input as Partial<CatalogInput>).volumes)) {
    throw new GrtError('USAGE', 'writeCatalog(path, input) takes the catalog file and a CatalogInput; to catalog an opened image call buildImageCatalog(image, path)');
  }
  await writeCatalogFile(path, (sink) => emitCatalog(input, options, sink));
}

async function emitCatalog(input: CatalogInput, options: BuildOptions, sink: CatalogSink): Promise<void> {
  const head = catalogHead(input.binding);
  await sink(head);
  await sink(endSection(await emitVolumes(input.volumes, options, sink, head.length)));
}

/**
 * The volume sections of a catalog, built apart from its head (preamble, BINDING) and END: the
 * tap builds them while the stream still passes, before the disk's capacity (in the binding) is
 * known. FILES chunk offsets count from the first volume section.
 */
export interface VolumeSections extends VolumeTotals {
  sections: Uint8Array[];
}

/** The volume sections of `volumes` in memory (a catalog takes ~10 bytes a file). */
export async function buildVolumeSections(volumes: CatalogInput['volumes'], options: BuildOptions = {}): Promise<VolumeSections> {
  const sections: Uint8Array[] = [];
  const totals = await emitVolumes(volumes, options, (bytes) => void sections.push(bytes), 0);
  return { ...totals, sections };
}

/** Each volume's sections to `sink`; FILES chunk offsets count from `offset`, where the first section goes. */
async function emitVolumes(volumes: CatalogInput['volumes'], options: BuildOptions, sink: CatalogSink, offset: number): Promise<VolumeTotals> {
  const emit = async (type: number, payload: Uint8Array): Promise<number> => {
    const at = offset;
    const bytes = encodeSection(type, payload);
    offset += bytes.length;
    await sink(bytes);
    return at;
  };
  const totals: VolumeTotals['totals'] = [];
  const chunks: FilesChunkRef[] = [];
  for (const volume of volumes) totals.push(await catalogVolume(volume, options, emit, chunks));
  return { totals, chunks };
}

async function catalogVolume(
  volume: CatalogInput['volumes'][number],
  options: BuildOptions,
  emit: (type: number, payload: Uint8Array) => Promise<number>,
  chunks: FilesChunkRef[],
): Promise<{ index: number; names: number; files: number }> {
  const { fs, index, start } = volume;
  const head = new ByteWriter();
  const rule = fs.nameRule();
  encodeVolume(head, { index, start, fs: fs.kind, serial: fs.info.serial, clusterSize: fs.info.clusterSize, nameRule: rule.kind, ...(fs.info.label !== undefined ? { label: fs.info.label } : {}) });
  await emit(SectionType.volume, head.bytes());
  if (rule.kind === 'upcase') await emit(SectionType.upcase, encodeUpcase(index, rule.table));

  // Root entries that a plain listing leaves out are the file system's metadata files ($MFT, ...).
  const plainRoot = new Set((await fs.readDir('/')).map((e) => e.name));
  const root = await fs.stat('/');
  if (root.type !== 'dir') throw new GrtError('NOT_A_DIRECTORY', 'volume root is not a directory', { structure: 'catalog build', path: '/' });
  const out = new VolumeChunks(index, emit, chunks, volume.place);
  const context = { fs, start, plainRoot, root, out, options, volume: index };
  if (canScan(fs)) await catalogByScan(fs, context);
  else await catalogByWalk(context);
  await out.flush(true);
  options.onProgress?.({ entries: out.nameCount, volume: index });
  return { index, names: out.nameCount, files: out.fileCount };
}

interface VolumeContext {
  fs: FileSystem;
  start: number;
  plainRoot: Set<string>;
  root: FileEntry;
  out: VolumeChunks;
  options: BuildOptions;
  volume: number;
}

function checkAborted(options: BuildOptions): void {
  if (options.signal?.aborted) throw new GrtError('ABORTED', 'catalog build aborted', { structure: 'catalog build' });
}

/**
 * After each name: chunks written when full, progress reported now and then. A promise only when
 * a chunk is written: an async function per name cost a promise and a microtask turn for each of
 * them (measured: ~3% of a 100k-file build).
 */
function afterName(c: VolumeContext): Promise<void> | undefined {
  if (c.out.full) return c.out.flush().then(() => reportNames(c));
  reportNames(c);
  return undefined;
}

function reportNames(c: VolumeContext): void {
  // After a scan the files are all counted already: names report once they pass that count.
  if (c.out.nameCount % PROGRESS_EVERY === 0 && c.out.nameCount >= c.out.fileCount) c.options.onProgress?.({ entries: c.out.nameCount, volume: c.volume });
}

/** The root's name record (name 0), for file index `file`. */
function rootName(root: FileEntry, file: number): NameRecord {
  const rec: NameRecord = { parent: -1, file, name: root.name, parentId: root.parent === undefined ? 'none' : { record: root.parent.record, sequence: root.parent.sequence }, hidden: false, dir: true };
  if (root.dosName !== undefined) rec.dosName = root.dosName;
  if (root.deleted !== undefined) rec.deleted = root.deleted;
  return rec;
}

/**
 * The name record of the virtual folder ORPHAN_DIR (§5.2), made when the first orphan is met. It
 * names the root's file: every name must name a file, and the folder has no record of its own;
 * readers never make an entry of a virtual name, so the file is never shown as its.
 */
function orphanDirName(rootFile: number): NameRecord {
  return { parent: 0, file: rootFile, name: ORPHAN_DIR.slice(1), parentId: 'none', hidden: false, dir: true, virtual: true };
}

/**
 * The one-pass build: FILES records are written as the scan describes each file (MFT order), and
 * only its file index is kept; then the name tree is walked and NAMES written in tree order, each
 * naming its file by index (catalog format 2.0).
 */
async function catalogByScan(fs: ScanningFileSystem, c: VolumeContext): Promise<void> {
  const { out, start, options } = c;
  let fileOf = new Int32Array(1024).fill(-1);
  const names = await fs.scanRecords({ all: true, deleted: true, layouts: true }, ({ record, body, layouts }) => {
    // A record without a name is never listed.
    if (body.links === 0) return;
    if (out.fileCount % PROGRESS_EVERY === 0) {
      checkAborted(options);
      if (out.fileCount > 0) options.onProgress?.({ entries: out.fileCount, volume: c.volume });
    }
    if (record >= fileOf.length) {
      let size = fileOf.length;
      while (size <= record) size *= 2;
      const grown = new Int32Array(size).fill(-1);
      grown.set(fileOf);
      fileOf = grown;
    }
    const scanned = body.undecodable === undefined && layouts ? inStreamOrder(body, layouts) : undefined;
    if (scanned) {
      fileOf[record] = out.addFile(body, scanned, start);
      return out.full ? out.flush() : undefined;
    }
    return (async () => {
      // Without a path: the error kept for a stream names no path (the file may have several).
      const entry: FileEntry = { ...body, path: '', name: '' };
      fileOf[record] = out.addFile(body, await streamLayouts(fs, entry, layouts), start);
      if (out.full) await out.flush();
    })();
  });
  const rootRecord = c.root.id.record;
  let rootFile = rootRecord < fileOf.length ? fileOf[rootRecord]! : -1;
  if (rootFile < 0) rootFile = out.addFile(c.root, await streamLayouts(fs, c.root, undefined), start);
  out.addName(rootName(c.root, rootFile));
  const dirName = new Map<number, number>([[rootRecord, 0]]);
  for (const item of names.walk(rootRecord, '/', { all: true, deleted: true, paths: false })) {
    if ((out.nameCount & 0xfff) === 0) checkAborted(options);
    const name = names.linkName[item.link]!;
    // The walk gives parent -1 for a name under ORPHAN_DIR (no record of the volume).
    if (item.parent < 0 && !dirName.has(item.parent)) {
      dirName.set(item.parent, out.addName(orphanDirName(rootFile)));
      await afterName(c);
    }
    const parent = dirName.get(item.parent);
    if (parent === undefined) {
      throw new GrtError('NOT_FOUND', 'walk listed an entry before its directory', { structure: 'catalog build', path: name });
    }
    const parentRecord = names.linkParent[item.link]!;
    const parentSequence = names.linkParentSequence[item.link]!;
    const inUse = names.inUse(item.record);
    const dir = names.isDir(item.record);
    const rec: NameRecord = {
      parent,
      file: fileOf[item.record]!,
      name,
      parentId: parentRecord === item.parent && parentSequence === names.sequence(item.parent) ? 'derived' : { record: parentRecord, sequence: parentSequence },
      // An orphaned metafile record is left out of a plain listing as the live walk does.
      hidden: item.parent === rootRecord ? inUse && !c.plainRoot.has(name) : item.parent < 0 && names.isMetadata(item.record),
      dir,
    };
    const dosName = names.linkDosName[item.link];
    if (dosName !== undefined) rec.dosName = dosName;
    if (!inUse) rec.deleted = true;
    const at = out.addName(rec);
    if (dir) dirName.set(item.record, at);
    const flushed = afterName(c);
    if (flushed) await flushed;
  }
}

/** The generic build: a walk of the file system, each stream's layout asked of it. */
async function catalogByWalk(c: VolumeContext): Promise<void> {
  const { fs, out, start, options } = c;
  // Directories by path, and by id: a deleted directory may share its path with a live one, and
  // the parent id tells their children apart.
  const dirs = new Map<string, DirRef>();
  const dirsById = new Map<number | string, DirRef>();
  const linked = new Map<number | string, number>();
  let orphanDir: DirRef | undefined;

  const add = async (entry: FileEntry) => {
    checkAborted(options);
    const isRoot = entry.path === '/';
    const slash = entry.path.lastIndexOf('/');
    const parentPath = isRoot ? '' : entry.path.slice(0, slash) || '/';
    const byId = entry.parent && dirsById.get(idKey(entry.parent));
    let parent = isRoot ? undefined : byId && byId.path === parentPath ? byId : dirs.get(parentPath);
    // A name under ORPHAN_DIR that no listed directory of that path is the parent of: an orphan.
    const orphan = parentPath === ORPHAN_DIR && !(byId && byId.path === parentPath);
    if (orphan) {
      if (!orphanDir) {
        // File 0 is the root's (added first); record -1: no child's parent id is derived from it.
        orphanDir = { nameIndex: out.addName(orphanDirName(0)), record: -1, sequence: -1, path: ORPHAN_DIR };
        await afterName(c);
      }
      parent = orphanDir;
    }
    if (!isRoot && !parent) {
      throw new GrtError('NOT_FOUND', 'walk listed an entry before its directory', { structure: 'catalog build', path: entry.path });
    }
    // The name must be the whole last component (no '/' inside it, nothing missing).
    if (!isRoot && (slash < 0 || entry.path.length - slash - 1 !== entry.name.length || !entry.path.endsWith(entry.name))) {
      throw new GrtError('UNSUPPORTED', 'entry name is not the last part of its path', { structure: 'catalog build', path: entry.path, actual: entry.name });
    }
    const linkKey = entry.links > 1 && entry.type !== 'dir' ? idKey(entry.id) : undefined;
    let file = linkKey === undefined ? undefined : linked.get(linkKey);
    if (file === undefined) {
      // Readers rebuild an orphan's ORPHAN warning from its ids (§5.2): not stored twice.
      const fields = orphan && entry.parent ? { ...entry, warnings: withoutWarning(entry.warnings, orphanWarning(entry.id.record, entry.parent.record)) } : entry;
      file = out.addFile(fields, await streamLayouts(fs, entry, undefined), start);
      if (linkKey !== undefined) linked.set(linkKey, file);
    }
    const rec: NameRecord = {
      parent: parent?.nameIndex ?? -1,
      file,
      name: entry.name,
      parentId:
        entry.parent === undefined
          ? 'none'
          : parent && parent.record === entry.parent.record && parent.sequence === entry.parent.sequence
            ? 'derived'
            : { record: entry.parent.record, sequence: entry.parent.sequence },
      hidden: parentPath === '/' && !entry.deleted && !c.plainRoot.has(entry.name),
      dir: entry.type === 'dir',
    };
    if (entry.dosName !== undefined) rec.dosName = entry.dosName;
    if (entry.deleted !== undefined) rec.deleted = entry.deleted;
    const at = out.addName(rec);
    if (entry.type === 'dir') {
      const dir = { nameIndex: at, record: entry.id.record, sequence: entry.id.sequence, path: entry.path };
      dirs.set(entry.path, dir);
      dirsById.set(idKey(entry.id), dir);
    }
    await afterName(c);
  };

  await add(c.root);
  for await (const entry of fs.walk('/', { all: true, deleted: true })) await add(entry);
}

function withoutWarning(warnings: FileEntry['warnings'], drop: FileEntry['warnings'][number]): FileEntry['warnings'] {
  return warnings.filter((w) => w.code !== drop.code || w.message !== drop.message);
}

/** A map key for a file id: a number while record × 2^16 + sequence stays exact, else a string. */
function idKey(id: { record: number; sequence: number }): number | string {
  return id.record < ID_KEY_RECORD_LIMIT ? id.record * 0x1_0000 + id.sequence : `${id.record}:${id.sequence}`;
}
