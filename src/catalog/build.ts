/**
 * Building a catalog right after a backup (docs/catalog-format.md): one walk of each volume,
 * names and files appended to chunks that are compressed and written as soon as they fill, so
 * memory holds one chunk pair plus a map of directory paths and of hard-linked files, never the
 * whole tree. Layouts are taken from the file system and shifted to virtual-disk byte offsets.
 * A file system that can list itself with layouts in one pass (NTFS: one linear MFT read) is
 * scanned that way; others are walked and asked for each stream's layout.
 */
import { encodeUpcase } from './upcase-section.js';
import { open, rename, rm } from 'node:fs/promises';
import { GrtError } from '../errors.js';
import type { FileEntry, FileSystem, StreamLayout } from '../fs/entry.js';
import { encodeBinding, encodeVolume, type CatalogBinding } from './binding.js';
import { FilesChunkWriter, NamesChunkWriter, type FileRecord, type LayoutError, type NameRecord } from './encode.js';
import { encodePreamble, encodeSection, SectionType } from './format.js';
import { ByteWriter } from './varint.js';

/** Entries per chunk: 16k names inflate to ~0.5 MiB, so a reader touches little to reach one file. */
export const CHUNK_ENTRIES = 16_384;
/** A FILES chunk is closed early past this many bytes (files with very long run lists). */
const CHUNK_FLUSH_BYTES = 8 * 1024 * 1024;
/** Record numbers below this make exact numeric id keys (record × 2^16 + sequence < 2^53). */
const ID_KEY_RECORD_LIMIT = 2 ** 37;
/** How often onProgress is called, in entries. */
const PROGRESS_EVERY = 4096;

export interface CatalogInput {
  binding: CatalogBinding;
  /** The volumes to catalogue: partition index, byte offset on the virtual disk, mounted file system. */
  volumes: { index: number; start: number; fs: FileSystem }[];
}

export interface BuildOptions {
  onProgress?: (progress: { entries: number; volume: number }) => void;
  signal?: AbortSignal;
}

/** Entries as a one-pass scan yields them: each with its data streams' layouts (volume offsets). */
type ScannedEntry = FileEntry & { layouts?: StreamLayout[] };

/** A FileSystem that lists every entry with its layouts in one pass (NtfsVolume.scan). */
interface ScanningFileSystem extends FileSystem {
  scan(options: { deleted: boolean; all: boolean; layouts: boolean }): AsyncIterable<ScannedEntry>;
}

function canScan(fs: FileSystem): fs is ScanningFileSystem {
  return typeof (fs as Partial<ScanningFileSystem>).scan === 'function';
}

interface DirRef {
  nameIndex: number;
  record: number;
  sequence: number;
  path: string;
}

/** Where a FILES chunk is, so a reader finds a file without inflating the others (END section). */
interface FilesChunkRef {
  sectionOffset: number;
  volume: number;
  first: number;
  count: number;
}

/** The whole catalog in memory. For millions of files prefer writeCatalog, which streams. */
export async function buildCatalog(input: CatalogInput, options: BuildOptions = {}): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await emitCatalog(input, options, (bytes) => void parts.push(bytes));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Streams the catalog to `path` (via a temporary file renamed into place when complete). */
export async function writeCatalog(path: string, input: CatalogInput, options: BuildOptions = {}): Promise<void> {
  const partial = `${path}.partial`;
  const handle = await open(partial, 'w');
  try {
    await emitCatalog(input, options, async (bytes) => {
      await handle.write(bytes);
    });
    await handle.close();
    await rename(partial, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(partial, { force: true });
    if (error instanceof GrtError) throw error;
    throw new GrtError('IO_ERROR', `cannot write catalog: ${(error as Error).message}`, { path, cause: error });
  }
}

async function emitCatalog(input: CatalogInput, options: BuildOptions, sink: (bytes: Uint8Array) => void | Promise<void>): Promise<void> {
  let offset = 0;
  const emit = async (type: number, payload: Uint8Array): Promise<number> => {
    const at = offset;
    const bytes = encodeSection(type, payload);
    offset += bytes.length;
    await sink(bytes);
    return at;
  };
  const preamble = encodePreamble();
  offset += preamble.length;
  await sink(preamble);
  const binding = new ByteWriter();
  encodeBinding(binding, input.binding);
  await emit(SectionType.binding, binding.bytes());

  const totals: { index: number; names: number; files: number }[] = [];
  const chunks: FilesChunkRef[] = [];
  for (const volume of input.volumes) {
    totals.push(await catalogVolume(volume, options, emit, chunks));
  }
  const end = new ByteWriter();
  end.u(totals.length);
  for (const t of totals) {
    end.u(t.index);
    end.u(t.names);
    end.u(t.files);
  }
  end.u(chunks.length);
  for (const c of chunks) {
    end.u(c.sectionOffset);
    end.u(c.volume);
    end.u(c.first);
    end.u(c.count);
  }
  await emit(SectionType.end, end.bytes());
}

async function catalogVolume(
  volume: CatalogInput['volumes'][number],
  options: BuildOptions,
  emit: (type: number, payload: Uint8Array) => Promise<number>,
  chunks: FilesChunkRef[],
): Promise<{ index: number; names: number; files: number }> {
  const { fs, index, start } = volume;
  const head = new ByteWriter();
  encodeVolume(head, { index, start, fs: fs.kind, serial: fs.info.serial, clusterSize: fs.info.clusterSize, ...(fs.info.label !== undefined ? { label: fs.info.label } : {}) });
  await emit(SectionType.volume, head.bytes());
  const upcase = fs.upcaseTable?.();
  if (upcase) await emit(SectionType.upcase, encodeUpcase(index, upcase));

  // Root entries that a plain listing leaves out are the file system's metadata files ($MFT, ...).
  const plainRoot = new Set((await fs.readDir('/')).map((e) => e.name));
  // Directories by path, and by id: a deleted directory may share its path with a live one, and
  // the parent id tells their children apart.
  const dirs = new Map<string, DirRef>();
  const dirsById = new Map<number | string, DirRef>();
  const linked = new Map<number | string, number>();
  let names = new NamesChunkWriter(index, 0, 0);
  let files = new FilesChunkWriter(index, 0);
  let nameCount = 0;
  let fileCount = 0;

  const flushNames = async () => {
    await emit(SectionType.names, names.finish());
    names = new NamesChunkWriter(index, nameCount, fileCount);
  };
  const flushFiles = async () => {
    const sectionOffset = await emit(SectionType.files, files.finish());
    chunks.push({ sectionOffset, volume: index, first: files.firstFile, count: files.count });
    files = new FilesChunkWriter(index, fileCount);
  };

  const add = async (entry: ScannedEntry) => {
    if (options.signal?.aborted) throw new GrtError('ABORTED', 'catalog build aborted', { structure: 'catalog' });
    const isRoot = entry.path === '/';
    const slash = entry.path.lastIndexOf('/');
    const parentPath = isRoot ? '' : entry.path.slice(0, slash) || '/';
    const byId = entry.parent && dirsById.get(idKey(entry.parent));
    const parent = isRoot ? undefined : byId && byId.path === parentPath ? byId : dirs.get(parentPath);
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
      file = fileCount++;
      if (linkKey !== undefined) linked.set(linkKey, file);
      files.add(await fileRecord(fs, entry, start));
      if (files.count >= CHUNK_ENTRIES || files.w.length >= CHUNK_FLUSH_BYTES) await flushFiles();
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
      hidden: parentPath === '/' && !entry.deleted && !plainRoot.has(entry.name),
      dir: entry.type === 'dir',
    };
    if (entry.dosName !== undefined) rec.dosName = entry.dosName;
    if (entry.deleted !== undefined) rec.deleted = entry.deleted;
    if (entry.type === 'dir') {
      const dir = { nameIndex: nameCount, record: entry.id.record, sequence: entry.id.sequence, path: entry.path };
      dirs.set(entry.path, dir);
      dirsById.set(idKey(entry.id), dir);
    }
    names.add(rec);
    nameCount++;
    if (names.count >= CHUNK_ENTRIES) await flushNames();
    if (nameCount % PROGRESS_EVERY === 0) options.onProgress?.({ entries: nameCount, volume: index });
  };

  const root = await fs.stat('/');
  if (root.type !== 'dir') throw new GrtError('NOT_A_DIRECTORY', 'volume root is not a directory', { structure: 'catalog build', path: '/' });
  await add(root);
  const entries = canScan(fs) ? fs.scan({ all: true, deleted: true, layouts: true }) : fs.walk('/', { all: true, deleted: true });
  for await (const entry of entries) await add(entry);
  if (names.count > 0) await flushNames();
  if (files.count > 0) await flushFiles();
  options.onProgress?.({ entries: nameCount, volume: index });
  return { index, names: nameCount, files: fileCount };
}

/**
 * The file's record, with every stream's layout in virtual-disk byte offsets. A layout the scan
 * already built is used as is; a stream it has none for (unreadable, refused, undecodable file) is
 * asked of the file system, so the catalog keeps the exact error a live restore would give.
 */
async function fileRecord(fs: FileSystem, entry: ScannedEntry, start: number): Promise<FileRecord> {
  const streamNames = entry.type === 'dir' ? entry.streams.map((s) => s.name) : ['', ...entry.streams.map((s) => s.name)];
  const layouts: (StreamLayout | LayoutError)[] = [];
  for (const name of streamNames) {
    try {
      const scanned = entry.undecodable === undefined ? entry.layouts?.find((l) => l.name === name) : undefined;
      layouts.push(shift(scanned ?? (await fs.streamLayout(entry, name)), start));
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      // Kept so a restore of this stream fails with the same reason, without the image's metadata.
      const prefix = `${error.code}: `;
      const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
      layouts.push({ name, error: { code: error.code, message } });
    }
  }
  const rec: FileRecord = {
    type: entry.type,
    size: entry.size,
    times: entry.times,
    attributes: entry.attributes,
    streams: entry.streams,
    links: entry.links,
    id: entry.id,
    warnings: entry.warnings,
    layouts,
  };
  if (entry.target !== undefined) rec.target = entry.target;
  if (entry.undecodable !== undefined) rec.undecodable = entry.undecodable;
  return rec;
}

/** A map key for a file id: a number while record × 2^16 + sequence stays exact, else a string. */
function idKey(id: { record: number; sequence: number }): number | string {
  return id.record < ID_KEY_RECORD_LIMIT ? id.record * 0x1_0000 + id.sequence : `${id.record}:${id.sequence}`;
}

function shift(layout: StreamLayout, start: number): StreamLayout {
  const runs = layout.runs.map((run) => {
    const sourceOffset = run.sourceOffset === null ? null : run.sourceOffset + start;
    if (sourceOffset !== null && !Number.isSafeInteger(sourceOffset)) {
      throw new GrtError('OUT_OF_RANGE', 'run offset beyond 2^53', { structure: 'stream layout', actual: sourceOffset });
    }
    return { streamOffset: run.streamOffset, sourceOffset, length: run.length };
  });
  // Named fields rather than a spread (V8's slow path for objects of varying shape).
  const shifted: StreamLayout = { name: layout.name, size: layout.size, initializedSize: layout.initializedSize, encoding: layout.encoding, runs };
  if (layout.resident !== undefined) shifted.resident = layout.resident;
  if (layout.compressionUnit !== undefined) shifted.compressionUnit = layout.compressionUnit;
  return shifted;
}
