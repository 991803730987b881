/**
 * Opening and querying a catalog (docs/catalog-format.md §7). Opening checks every section header,
 * reads the END section (totals and where each FILES chunk is), then inflates only the NAMES
 * chunks into flat arrays: enough to list, stat and search every path. File records (sizes, times,
 * layouts) are inflated a chunk at a time on demand and a few chunks are kept.
 */
import { GrtError, withPath, type GrtErrorCode } from '../errors.js';
import { readRegularFile } from '../io/file-source.js';
import type { FileEntry, ListOptions, NameRule, StreamLayout } from '../fs/file-system.js';
import { checkBinding, type CatalogBinding, type CatalogVolume } from './binding.js';
import { decodeFileAt, decodeRecords, indexFiles, type ChunkHeader, type FilesChunkIndex } from './decode.js';
import { NameFlag, type FileRecord } from './encode.js';
import { readSectionPayload } from './format.js';
import { compileGlob } from '../util/glob.js';
import { orphanWarning } from '../fs/orphans.js';
import { nameKeyOf as nameKeyFor, unicodeUpcaseTable } from '../fs/name-order.js';
import { filesChunkReader, parseCatalog, type VolumeState } from './open.js';
import { ByteReader } from './varint.js';
import { childLists, foldersOf, isVisible, pathOf, visibleBelow, type CatalogFolder } from './volume-tree.js';

export type { CatalogFolder };
import { entryTimesOf } from '../util/time.js';

/**
 * Memory for inflated FILES chunks (their bytes, string tables and checkpoints), least recently
 * used dropped past it. Names refer to files in any order (2.0: files in MFT order, names in tree
 * order), so a listing of a volume whose files are scattered in its MFT reaches chunks at random;
 * at about 40 bytes a file this covers near a million files. 32 MiB, beside the catalog file
 * (held whole), its NAMES arrays and DECODED_CHUNKS chunks of records, keeps a reader of a
 * multi-million-file catalog well under 150 MiB RSS; a chunk is at most ~8 MiB inflated, so a few
 * chunks fit whatever the catalog.
 */
const FILES_CACHE_BYTES = 32 * 1024 * 1024;
/**
 * Chunks that keep the records their indexing pass decoded (an object per record), least recently
 * indexed dropped: reads soon after a chunk is inflated, as in a listing, cost nothing more. Other
 * reads decode from the nearest checkpoint (at most FILES_CHECKPOINT records). One chunk: four
 * kept 64k record objects, and after a full listing of 100,000 files the reader held ~45 MiB more
 * heap (a catalog restore of them needed over 50 MiB of heap and peaked at 304 MiB RSS, with one
 * 235 MiB); listings are no slower (`grt-ls --catalog -R --json` 1.46–1.52 s, with one 1.22–1.47 s).
 */
const DECODED_CHUNKS = 1;
/** Decoded file records kept: a directory's record is asked for again for each of its children. */
const FILE_RECORD_CACHE = 256;
/** Directories with more children than this get a name map on first lookup. */
const LOOKUP_MAP_CHILDREN = 32;

export interface CatalogOpenOptions {
  /** Memory for inflated FILES chunks (default 32 MiB); the chunk in use is kept even past it. */
  filesCacheBytes?: number;
  /**
   * False for a reader that lists but never restores (the estate index): file records are read
   * and checked whole but keep no layouts, which spares an object per run. layout() then refuses.
   */
  layouts?: boolean;
}

export interface CatalogListOptions extends ListOptions {
  /** Every entry below the directory, parents before children, as the file system's walk. */
  recursive?: boolean;
}


/** Catalogs of format 1.0 store no rule: names compare upper-cased by JavaScript's rules. */
function nameKeyOf(v: VolumeState): (name: string) => string {
  return v.rule ? nameKeyFor(v.rule) : (name) => name.toUpperCase();
}

export class Catalog {
  /** Entries handed out, so layout() can find their file record without a path lookup. */
  private readonly origin = new WeakMap<FileEntry, { volume: number; file: number }>();
  private readonly state = new Map<number, VolumeState>();
  private readonly chunkCache = new Map<string, { index: FilesChunkIndex; bytes: number }>();
  /** Memory of the chunks in chunkCache, as chunkBytes counts it. */
  private cachedBytes = 0;
  /** Decoded records by volume and file index, oldest dropped first. */
  private readonly recordCache = new Map<number, Map<number, FileRecord>>();
  /** The chunk read last, reached without a cache lookup (consecutive reads mostly share one). */
  private lastChunk?: { ref: VolumeState['chunks'][number]; index: FilesChunkIndex };
  /** Chunks holding decoded records, least recently decoded first. */
  private readonly decodedChunks: FilesChunkIndex[] = [];

  private constructor(
    private readonly bytes: Uint8Array,
    readonly binding: CatalogBinding,
    volumes: VolumeState[],
    private readonly filesCacheBytes: number,
    private readonly keepLayouts: boolean,
  ) {
    for (const v of volumes) this.state.set(v.info.index, v);
  }

  get volumes(): CatalogVolume[] {
    return [...this.state.values()].map((v) => ({ ...v.info }));
  }

  /** CATALOG_MISMATCH with a one-line reason unless `actual` is the image this catalog describes. */
  checkBinding(actual: CatalogBinding): void {
    checkBinding(this.binding, actual);
  }

  /** The entry at `path`: case-insensitive, an exact-case match preferred, live entries before deleted. */
  async stat(volume: number, path: string): Promise<FileEntry> {
    return this.entry(volume, this.lookup(this.volume(volume), path));
  }

  /** The children of a directory (or everything below it with `recursive`), as listing the image gives them. */
  async *list(volume: number, path: string, options: CatalogListOptions = {}): AsyncIterable<FileEntry> {
    const v = this.volume(volume);
    const start = this.lookup(v, path);
    if (!(v.names.flags[start]! & NameFlag.dir)) {
      yield this.entry(volume, start);
      return;
    }
    if (!options.recursive) {
      const { childStart, childList } = childLists(v);
      for (let k = childStart[start]!; k < childStart[start + 1]!; k++) {
        const i = childList[k]!;
        if (isVisible(v, i, options) && !(v.names.flags[i]! & NameFlag.virtual)) yield this.entry(volume, i);
      }
      return;
    }
    for (const i of visibleBelow(v, start, options)) yield this.entry(volume, i);
  }

  /**
   * Every listed name below the root grouped by directory, for bulk readers such as the estate
   * index (volume-tree.ts), without an entry object per name.
   */
  folders(volume: number, options: ListOptions = {}): Generator<CatalogFolder> {
    return foldersOf(this.volume(volume), options);
  }

  /**
   * Every file record of a volume in file order (folders' file indexes count them), a FILES chunk
   * at a time, each decoded once and not kept: for one pass over a whole volume.
   */
  *fileRecords(volume: number): Generator<FileRecord> {
    const v = this.volume(volume);
    for (const chunk of v.chunks) {
      const { r, head } = this.chunkReader(v, chunk);
      yield* decodeRecords(r, head, v.major, this.keepLayouts);
    }
  }

  /** A FILES chunk's payload, inflated and checked against the END section, and its header. */
  private chunkReader(v: VolumeState, chunk: VolumeState['chunks'][number]): { r: ByteReader; head: ChunkHeader } {
    return filesChunkReader(readSectionPayload(this.bytes, chunk.header), v, chunk);
  }

  /** Entries whose name (or path, when the glob has a '/') matches `glob`, in catalog order. */
  async *find(volume: number | undefined, glob: string, options: ListOptions = {}): AsyncIterable<FileEntry> {
    const pattern = compileGlob(glob);
    const indexes = volume === undefined ? [...this.state.keys()] : [this.volume(volume).info.index];
    for (const index of indexes) {
      const v = this.state.get(index)!;
      for (const i of visibleBelow(v, 0, options)) {
        if (pattern.test(pattern.matchesPath ? pathOf(v, i) : v.names.name[i]!)) yield this.entry(index, i);
      }
    }
  }

  /**
   * Where a stream ('' = unnamed) of an entry lives, in virtual-disk byte offsets. The entry is one
   * this catalog returned, or any entry with the same path and id.
   */
  layout(volume: number, entry: FileEntry, stream = ''): StreamLayout {
    if (!this.keepLayouts) throw new GrtError('USAGE', 'the catalog was opened without layouts', { structure: 'catalog', path: entry.path });
    const layout = this.recordOf(volume, entry).layouts.find((l) => l.name === stream);
    if (!layout) throw new GrtError('NOT_FOUND', `no stream "${stream}" in the catalog`, { structure: 'catalog', path: entry.path });
    // The error the file system gave when the catalog was made, as it was.
    if ('error' in layout) throw new GrtError(layout.error.code as GrtErrorCode, layout.error.message);
    return { ...layout, runs: layout.runs.map((r) => ({ ...r })), ...(layout.resident ? { resident: layout.resident.slice() } : {}), ...(layout.wof ? { wof: { ...layout.wof } } : {}) };
  }

  /** The file record (as stored: not to be changed) of an entry this catalog returned, or of any entry with the same path and id. */
  recordOf(volume: number, entry: FileEntry): FileRecord {
    const v = this.volume(volume);
    let file = this.origin.get(entry);
    if (!file || file.volume !== volume) file = { volume, file: v.names.file[this.lookup(v, entry.path)]! };
    const rec = this.record(v, file.file);
    if (rec.id.record !== entry.id.record || rec.id.sequence !== entry.id.sequence) {
      throw new GrtError('NOT_FOUND', 'entry is not in this catalog', { structure: 'catalog', path: entry.path, expected: rec.id.record, actual: entry.id.record });
    }
    return rec;
  }

  static async open(pathOrBytes: string | Uint8Array, options: CatalogOpenOptions = {}): Promise<Catalog> {
    let bytes: Uint8Array;
    if (typeof pathOrBytes === 'string') {
      try {
        bytes = await readRegularFile(pathOrBytes);
      } catch (cause) {
        if (cause instanceof GrtError) throw cause;
        throw new GrtError('IO_ERROR', 'cannot read catalog', { path: pathOrBytes, cause });
      }
    } else bytes = pathOrBytes;
    try {
      const { binding, volumes } = parseCatalog(bytes);
      return new Catalog(bytes, binding, volumes, options.filesCacheBytes ?? FILES_CACHE_BYTES, options.layouts ?? true);
    } catch (error) {
      if (error instanceof GrtError && typeof pathOrBytes === 'string' && !error.path) throw withPath(error, pathOrBytes);
      throw error;
    }
  }

  private volume(index: number): VolumeState {
    const v = this.state.get(index);
    if (!v) throw new GrtError('NOT_FOUND', `no volume ${index} in the catalog`, { structure: 'catalog' });
    return v;
  }

  /**
   * The key names of `volume` compare by, as the volume does: upper case through its own table
   * when the catalog has it (NTFS $UpCase), Unicode rules otherwise (catalogs of format 1.0).
   * Keys compared as strings (UTF-16 units) give the order of an NTFS directory index.
   */
  nameKey(volume: number): (name: string) => string {
    return nameKeyOf(this.volume(volume));
  }

  /**
   * The volume's name rule; for a catalog of format 1.0 (none stored) an upcase table made of
   * JavaScript's upper case of each UTF-16 unit, the closest table to the rule it lists by.
   */
  nameRule(volume: number): NameRule {
    return this.volume(volume).rule ?? { kind: 'upcase', table: unicodeUpcaseTable() };
  }

  /** Candidates for `part` in directory `dir`, by upper-cased name. */
  private childrenNamed(v: VolumeState, dir: number, part: string): number[] {
    const { childStart, childList } = childLists(v);
    const upper = nameKeyOf(v);
    const key = upper(part);
    const from = childStart[dir]!;
    const to = childStart[dir + 1]!;
    if (to - from <= LOOKUP_MAP_CHILDREN) {
      const out: number[] = [];
      for (let k = from; k < to; k++) if (upper(v.names.name[childList[k]!]!) === key) out.push(childList[k]!);
      return out;
    }
    let map = v.lookup.get(dir);
    if (!map) {
      map = new Map();
      for (let k = from; k < to; k++) {
        const i = childList[k]!;
        const nameKey = upper(v.names.name[i]!);
        const list = map.get(nameKey);
        if (list) list.push(i);
        else map.set(nameKey, [i]);
      }
      v.lookup.set(dir, map);
    }
    return map.get(key) ?? [];
  }

  /**
   * The name index of `path`, case-insensitively through the volume's own upcase table (catalogs
   * of format 1.0 have none: JavaScript's toUpperCase, which differs only for rare characters).
   */
  private lookup(v: VolumeState, path: string): number {
    let at = 0;
    const parts = path.split('/').filter((part) => part !== '' && part !== '.');
    for (const [k, part] of parts.entries()) {
      if (!(v.names.flags[at]! & NameFlag.dir)) {
        throw new GrtError('NOT_A_DIRECTORY', 'a path component is not a directory', { structure: 'catalog', path });
      }
      // A virtual folder is a step of a path but no entry of its own (NOT_FOUND, as live).
      const named = this.childrenNamed(v, at, part);
      const candidates = k < parts.length - 1 ? named : named.filter((i) => !(v.names.flags[i]! & NameFlag.virtual));
      const live = candidates.filter((i) => ((v.names.flags[i]! >> NameFlag.deletedShift) & 3) !== 2);
      const pool = live.length > 0 ? live : candidates;
      const exact = pool.find((i) => v.names.name[i] === part);
      const found = exact ?? pool[0];
      if (found === undefined) throw new GrtError('NOT_FOUND', 'no such file in the catalog', { structure: 'catalog', path });
      at = found;
    }
    return at;
  }

  private record(v: VolumeState, file: number): FileRecord {
    let records = this.recordCache.get(v.info.index);
    if (!records) this.recordCache.set(v.info.index, (records = new Map()));
    let rec = records.get(file);
    if (rec) return rec;
    // Binary search for the chunk holding this file.
    let lo = 0;
    let hi = v.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (v.chunks[mid]!.first <= file) lo = mid;
      else hi = mid - 1;
    }
    const chunk = v.chunks[lo]!;
    rec = decodeFileAt(this.chunkIndex(v, chunk), file - chunk.first);
    if (records.size >= FILE_RECORD_CACHE) records.delete(records.keys().next().value!);
    records.set(file, rec);
    return rec;
  }

  /** A FILES chunk, inflated and indexed on first use; the least recently used dropped. */
  private chunkIndex(v: VolumeState, chunk: VolumeState['chunks'][number]): FilesChunkIndex {
    const last = this.lastChunk;
    if (last?.ref === chunk) return last.index;
    const key = `${v.info.index}:${chunk.first}`;
    const cached = this.chunkCache.get(key);
    let index: FilesChunkIndex;
    if (cached) {
      index = cached.index;
      this.chunkCache.delete(key);
      this.chunkCache.set(key, cached);
    } else {
      const { r, head } = this.chunkReader(v, chunk);
      index = indexFiles(r, head, v.major, this.keepLayouts);
      const bytes = chunkBytes(index);
      this.cachedBytes += bytes;
      for (const [oldKey, old] of this.chunkCache) {
        if (this.cachedBytes <= this.filesCacheBytes) break;
        this.chunkCache.delete(oldKey);
        this.cachedBytes -= old.bytes;
      }
      this.chunkCache.set(key, { index, bytes });
    }
    if (index.decoded && !this.decodedChunks.includes(index)) {
      this.decodedChunks.push(index);
      if (this.decodedChunks.length > DECODED_CHUNKS) this.decodedChunks.shift()!.decoded = undefined;
    }
    this.lastChunk = { ref: chunk, index };
    return index;
  }

  private entry(volume: number, i: number): FileEntry {
    const v = this.volume(volume);
    const file = v.names.file[i]!;
    const rec = this.record(v, file);
    const flags = v.names.flags[i]!;
    const entry: FileEntry = {
      path: pathOf(v, i),
      name: v.names.name[i]!,
      type: rec.type,
      size: rec.size,
      times: entryTimesOf(rec.times),
      streams: rec.streams.map((s) => ({ ...s })),
      links: rec.links,
      id: { ...rec.id },
      warnings: rec.warnings.map((w) => ({ ...w })),
    };
    if (rec.kind !== undefined) entry.kind = rec.kind;
    if (rec.attributes !== undefined) entry.attributes = rec.attributes;
    if (rec.mode !== undefined) entry.mode = rec.mode;
    if (rec.uid !== undefined) entry.uid = rec.uid;
    if (rec.gid !== undefined) entry.gid = rec.gid;
    if (rec.details !== undefined) entry.details = { ...rec.details };
    if (rec.target !== undefined) entry.target = rec.target;
    const parentMode = (flags >> NameFlag.parentShift) & 3;
    if (parentMode === 0 && i > 0) entry.parent = { ...this.record(v, v.names.file[v.names.parent[i]!]!).id };
    else if (parentMode === 2) entry.parent = { ...v.names.parentId.get(i)! };
    const dosName = v.names.dosName.get(i);
    if (dosName !== undefined) entry.dosName = dosName;
    const deletedMode = (flags >> NameFlag.deletedShift) & 3;
    if (deletedMode !== 0) entry.deleted = deletedMode === 2;
    if (rec.undecodable !== undefined) entry.undecodable = rec.undecodable;
    // A name directly under a virtual folder is an orphan: its warning is rebuilt, not stored (§5.2).
    if (i > 0 && v.names.flags[v.names.parent[i]!]! & NameFlag.virtual && entry.parent) entry.warnings.push(orphanWarning(rec.id.record, entry.parent.record));
    this.origin.set(entry, { volume, file });
    return entry;
  }
}

export function openCatalog(pathOrBytes: string | Uint8Array, options: CatalogOpenOptions = {}): Promise<Catalog> {
  return Catalog.open(pathOrBytes, options);
}

/** Memory a cached chunk holds: inflated bytes, strings (UTF-16), checkpoint arrays. */
function chunkBytes(index: FilesChunkIndex): number {
  let bytes = index.r.length + index.offsets.byteLength + index.records.byteLength + index.mtimes.length * 16;
  for (const text of index.strings) bytes += 16 + text.length * 2;
  return bytes;
}
