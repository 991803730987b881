/**
 * Reading a catalog front to back in bounded memory (docs/catalog-format.md §3, §5, §6), for a
 * reader that passes once over every folder and file of it (the estate index). Opening reads the
 * section headers with positioned reads, checks every section's CRC-32 while hashing the file, and
 * reads the binding, VOLUME, UPCASE and END sections as openCatalog does: a damaged or truncated
 * structure is refused before the caller does anything. Then a volume's file records come a FILES
 * chunk at a time, and the names a NAMES chunk at a time, grouped into folders as they come. Of the
 * name tree only the directories are kept (each one's path, and whether a listing shows it), as a
 * later name may be a child of any of them; no other name outlives its chunk.
 */
import { createHash } from 'node:crypto';
import { GrtError } from '../errors.js';
import type { ListOptions } from '../fs/file-system.js';
import type { ByteSource } from '../io/byte-source.js';
import { FileSource } from '../io/file-source.js';
import { MemorySource } from '../io/memory-source.js';
import type { CatalogBinding, CatalogVolume } from './binding.js';
import { checkNamesChunk, decodeRecords, newNameRecord, readNameRecord, readNamesHeader, type ChunkHeader, type NamesCursor } from './decode.js';
import { NameFlag, type FileRecord } from './encode.js';
import { checkPreamble, checkSectionCount, checkSectionCrc, parseSectionHeader, PREAMBLE_BYTES, readSectionPayload, SECTION_HEADER_BYTES, SectionType, type SectionHeader } from './format.js';
import { checkNamesRead, filesChunkReader, namesVolume, readStructure, type CatalogStructure, type VolumeHead } from './open.js';
import { ByteReader } from './varint.js';
import { isShown, type CatalogFolder } from './volume-tree.js';

/**
 * Names of one folder handed out at most at once: a directory of a million names comes as several
 * folders with its path, so no folder grows with the catalog (a caller merges them by path).
 */
const FOLDER_NAMES = 4096;
/** Bytes past the END section are hashed (they are part of the file) this many at a time. */
const HASH_BLOCK_BYTES = 1024 * 1024;
/** Sections opening reads whole and keeps until the structure is read: all small. */
const STRUCTURE_SECTIONS: ReadonlySet<number> = new Set([SectionType.binding, SectionType.volume, SectionType.upcase, SectionType.end]);

/** The names of one directory that a listing shows, with its volume. */
export interface StreamedFolder extends CatalogFolder {
  volume: number;
}

/** Where a catalog's bytes come from: a file read at offsets (FileSource), or the bytes themselves (MemorySource). */
type CatalogSource = Pick<ByteSource, 'size' | 'read' | 'close'> & Required<Pick<ByteSource, 'readInto'>>;

/**
 * Buffers one pass over a catalog's chunks reads and inflates them into, grown to the largest
 * chunk: chunks are read one after another, so one of each serves the whole pass and a big
 * catalog leaves no trail of dead chunk buffers for the collector.
 */
class ChunkBuffers {
  private stored = new Uint8Array(0);
  private inflated = new Uint8Array(0);

  /** Section `h`'s payload (valid until the next call): read, its CRC checked again (the file may have changed), inflated. */
  async payload(source: CatalogSource, h: SectionHeader): Promise<Uint8Array> {
    const length = SECTION_HEADER_BYTES + h.storedLength;
    if (this.stored.length < length) this.stored = new Uint8Array(Math.max(length, this.stored.length * 2));
    if (this.inflated.length <= h.uncompressedLength) this.inflated = new Uint8Array(Math.max(h.uncompressedLength + 1, this.inflated.length * 2));
    const section = this.stored.subarray(0, length);
    await source.readInto(h.offset, section);
    return readSectionPayload(section, h, h.offset, this.inflated);
  }
}

/** A directory met so far: its path (empty when a listing does not show it) and whether it is shown. */
interface Dir {
  path: string;
  shown: boolean;
}

/** A volume's names read so far. */
interface NamesState extends VolumeHead {
  cursor: NamesCursor;
  filled: number;
  dirs: Map<number, Dir>;
}

export class CatalogStream {
  private constructor(
    private readonly source: CatalogSource,
    private readonly headers: SectionHeader[],
    private readonly structure: CatalogStructure,
    /** SHA-256 (hex) of the whole file. */
    readonly sha256: string,
  ) {}

  /** Opens a catalog file (or its bytes), checking its structure and every section's CRC-32. */
  static async open(pathOrBytes: string | Uint8Array): Promise<CatalogStream> {
    const source: CatalogSource = typeof pathOrBytes === 'string' ? await FileSource.open(pathOrBytes) : new MemorySource(pathOrBytes, 'catalog');
    try {
      const hash = createHash('sha256');
      const preamble = await source.read(0, Math.min(PREAMBLE_BYTES, source.size));
      const major = checkPreamble(preamble);
      hash.update(preamble);
      const { headers, kept, end } = await readSections(source, hash);
      for (let at = end; at < source.size; at += HASH_BLOCK_BYTES) hash.update(await source.read(at, Math.min(HASH_BLOCK_BYTES, source.size - at)));
      const structure = readStructure(headers, major, (h, name) => new ByteReader(kept.get(h.offset)!, h.offset, name));
      return new CatalogStream(source, headers, structure, hash.digest('hex'));
    } catch (error) {
      await source.close?.();
      throw error;
    }
  }

  get binding(): CatalogBinding {
    return this.structure.binding;
  }

  get volumes(): CatalogVolume[] {
    return [...this.structure.volumes.values()].map((v) => ({ ...v.info }));
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }

  /**
   * Every file record of a volume in file order, without layouts, a FILES chunk at a time (each
   * chunk's records decoded once, as its iterator is run, and not kept): a chunk per await, not a
   * record per await, as an await per record would cost more than decoding it.
   */
  async *fileChunks(volume: number): AsyncGenerator<Iterable<FileRecord>> {
    const v = this.structure.volumes.get(volume);
    if (!v) throw new GrtError('NOT_FOUND', `no volume ${volume} in the catalog`, { structure: 'catalog' });
    const buffers = new ChunkBuffers();
    for (const chunk of v.chunks) {
      const { r, head } = filesChunkReader(await buffers.payload(this.source, chunk.header), v, chunk);
      yield decodeRecords(r, head, v.major, false);
    }
  }

  /**
   * The names a listing with `options` shows, grouped by directory as the NAMES chunks give them
   * (Catalog.folders' names, files and deleted flags): a directory whose names are not stored
   * together, or has more than FOLDER_NAMES, comes as several folders of one path.
   */
  async *folders(options: ListOptions = {}): AsyncGenerator<StreamedFolder> {
    const { major, endHeader } = this.structure;
    const volumes = new Map<number, NamesState>();
    for (const [index, head] of this.structure.volumes) volumes.set(index, { ...head, cursor: { previous: '', previousFile: -1, files: 0 }, filled: 0, dirs: new Map() });
    let folder: OpenFolder | undefined;
    const buffers = new ChunkBuffers();
    for (const h of this.headers) {
      if (h.type !== SectionType.names) continue;
      const r = new ByteReader(await buffers.payload(this.source, h), h.offset, 'catalog NAMES section');
      const chunk = readNamesHeader(r, major);
      const v = namesVolume(volumes, chunk.volume, h, r);
      checkNamesChunk(r, chunk, v.filled, v.info.names, v.cursor, major);
      const done: StreamedFolder[] = [];
      folder = readNamesChunk(r, chunk, v, major, options, folder, done);
      yield* done;
    }
    for (const v of volumes.values()) checkNamesRead(v, v.filled, v.cursor.files, endHeader);
    if (folder) yield strip(folder);
  }
}

/** A folder being filled, with its directory's name index. */
type OpenFolder = StreamedFolder & { parent: number };

/**
 * The records of one NAMES chunk (of volume `v`) into folders: `folder` is the one being filled
 * (carried from the chunk before), each one finished goes to `done`; returns the one left open.
 * A plain function, not the generator's body: the loop runs once per name and is optimised so.
 */
function readNamesChunk(r: ByteReader, chunk: ChunkHeader, v: NamesState, major: number, options: ListOptions, open: OpenFolder | undefined, done: StreamedFolder[]): OpenFolder | undefined {
  let folder = open;
  const rec = newNameRecord();
  const isDir = (i: number) => v.dirs.has(i);
  for (let self = chunk.first; self < chunk.first + chunk.count; self++) {
    readNameRecord(r, self, v.cursor, v.info.files, major, isDir, rec);
    const parent = self === 0 ? undefined : v.dirs.get(rec.parent)!;
    const shown = parent === undefined || (parent.shown && isShown(rec.flags, options));
    if (rec.flags & NameFlag.dir) v.dirs.set(self, { path: !shown ? '' : parent === undefined ? '/' : joinPath(parent.path, rec.name), shown });
    // A virtual folder is not listed, its names are (under its path, as a live walk lists /$Orphan/x).
    if (parent === undefined || !shown || rec.flags & NameFlag.virtual) continue;
    if (folder && (folder.volume !== chunk.volume || folder.parent !== rec.parent || folder.names.length >= FOLDER_NAMES)) {
      done.push(strip(folder));
      folder = undefined;
    }
    folder ??= { volume: chunk.volume, parent: rec.parent, path: parent.path, names: [], deleted: [], files: [] };
    folder.names.push(rec.name);
    folder.deleted.push(((rec.flags >> NameFlag.deletedShift) & 3) === 2);
    folder.files.push(rec.file);
  }
  v.filled = chunk.first + chunk.count;
  if (r.remaining !== 0) r.fail('bytes left after the last name record', r.remaining);
  return folder;
}

function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function strip(folder: OpenFolder): StreamedFolder {
  return { volume: folder.volume, path: folder.path, names: folder.names, deleted: folder.deleted, files: folder.files };
}

/**
 * Every section header up to END, each section read once: its CRC-32 checked, its bytes hashed,
 * and the payloads of the structure's sections kept (by offset). `end` is where END stops.
 */
async function readSections(source: CatalogSource, hash: ReturnType<typeof createHash>): Promise<{ headers: SectionHeader[]; kept: Map<number, Uint8Array>; end: number }> {
  const headers: SectionHeader[] = [];
  const kept = new Map<number, Uint8Array>();
  let buffer = new Uint8Array(0);
  let offset = PREAMBLE_BYTES;
  for (;;) {
    checkSectionCount(headers.length, offset);
    if (offset + SECTION_HEADER_BYTES > source.size) {
      throw new GrtError('TRUNCATED', 'catalog ends before its END section', { structure: 'catalog section', offset });
    }
    const h = parseSectionHeader(await source.read(offset, SECTION_HEADER_BYTES), offset, source.size);
    if (buffer.length < SECTION_HEADER_BYTES + h.storedLength) buffer = new Uint8Array(Math.max(SECTION_HEADER_BYTES + h.storedLength, buffer.length * 2));
    const section = buffer.subarray(0, SECTION_HEADER_BYTES + h.storedLength);
    await source.readInto(offset, section);
    hash.update(section);
    // Kept payloads are copied out of the buffer the next section is read into.
    if (STRUCTURE_SECTIONS.has(h.type)) kept.set(offset, readSectionPayload(section, h, offset).slice());
    else checkSectionCrc(section, h, offset);
    headers.push(h);
    offset = h.payloadOffset + h.storedLength;
    if (h.type === SectionType.end) return { headers, kept, end: offset };
  }
}
