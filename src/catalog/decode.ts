/**
 * Reading NAMES and FILES chunk payloads back (docs/catalog-format.md §5, §6), the inverse of
 * encode.ts. Every index read is bounded by what it indexes (a parent must come before its child,
 * a file index must already exist or be the next one), every count by the bytes left, so damage
 * that slips past the CRC still ends in BAD_CATALOG.
 */
import type { EntryDetails, StreamLayout } from '../fs/file-system.js';
import { filetimeToNs } from '../util/time.js';
import { StringTableReader } from './string-table.js';
import type { ByteReader } from './varint.js';
import { ENTRY_TYPES, FILE_FLAGS_MAX, FileFlag, LAYOUT_KIND_MAX, LayoutKind, NameFlag, OTHER_KINDS, streamSize, WOF_ALGORITHMS, type FileRecord, type LayoutError } from './encode.js';

/** The name records of one volume, held as arrays: this is what a catalog keeps in memory. */
export interface NameTable {
  /** Parent name index (-1 for the root). */
  parent: Int32Array;
  file: Int32Array;
  /** NameFlag bits. */
  flags: Uint8Array;
  name: string[];
  dosName: Map<number, string>;
  /** Stored FileEntry.parent ids, for names whose flags say so. */
  parentId: Map<number, { record: number; sequence: number }>;
  /** Format 1.x: files counted so far while reading (the next new file index). */
  files: number;
  /** Names read so far. */
  filled: number;
}

export function newNameTable(count: number): NameTable {
  return {
    parent: new Int32Array(count),
    file: new Int32Array(count),
    flags: new Uint8Array(count),
    name: new Array<string>(count),
    dosName: new Map(),
    parentId: new Map(),
    files: 0,
    filled: 0,
  };
}

export interface ChunkHeader {
  volume: number;
  first: number;
  count: number;
}

/** Header of a NAMES chunk; format 1.x adds the first new file index (checked against the table). */
export function readNamesHeader(r: ByteReader, major: number): ChunkHeader & { firstNewFile?: number } {
  const head: ChunkHeader & { firstNewFile?: number } = { volume: r.u(), first: r.u(), count: r.u() };
  if (major === 1) head.firstNewFile = r.u();
  return head;
}

export function readFilesHeader(r: ByteReader): ChunkHeader {
  return { volume: r.u(), first: r.u(), count: r.u() };
}

/**
 * Where the reading of a volume's names stands: per chunk the previous name (front coding) and
 * file index (2.0 deltas); across chunks, format 1.x's count of files met (the next new file index).
 */
export interface NamesCursor {
  previous: string;
  previousFile: number;
  files: number;
}

/** One name record as read (§5.2): a scratch object that readNameRecord overwrites. */
export interface NameRecord {
  flags: number;
  /** Parent name index (-1 for the root). */
  parent: number;
  file: number;
  name: string;
  dosName?: string;
  parentId?: { record: number; sequence: number };
}

export function newNameRecord(): NameRecord {
  return { flags: 0, parent: -1, file: 0, name: '' };
}

/** Checks a NAMES chunk's header against where the volume's reading stands (`filled` names read). */
export function checkNamesChunk(r: ByteReader, h: ChunkHeader & { firstNewFile?: number }, filled: number, names: number, cursor: NamesCursor, major: number): void {
  if (h.first !== filled || h.first + h.count > names) r.fail('names chunk out of order or beyond its volume', h.first);
  if (major === 1 && h.firstNewFile !== cursor.files) r.fail('names chunk does not follow the previous one', h.firstNewFile);
  cursor.previous = '';
  cursor.previousFile = -1;
}

/**
 * Name record `self` into `out`. Format 1.x: a name's file is the next new one or an earlier one;
 * 2.0: any file, as a delta from the previous name's, and flag bit 0 marks a virtual directory
 * (§5.2), allowed only directly under the root. `isDir(i)` says whether name i (< self) is a directory.
 */
export function readNameRecord(r: ByteReader, self: number, cursor: NamesCursor, totalFiles: number, major: number, isDir: (i: number) => boolean, out: NameRecord): void {
  const flags = r.bounded(0xff, 'name flags');
  const parentDelta = r.bounded(self, 'parent distance');
  if ((parentDelta === 0) !== (self === 0)) r.fail('only the first name may be the root', self);
  const parent = self - parentDelta;
  let file: number;
  if (major > 1) {
    file = cursor.previousFile + r.s();
    if (!(file >= 0 && file < totalFiles)) r.fail('file index beyond the END section count', file);
    cursor.previousFile = file;
  } else if (flags & NameFlag.newFile) {
    file = cursor.files++;
    if (file >= totalFiles) r.fail('more files than the END section counts', file);
  } else {
    file = r.bounded(cursor.files - 1, 'file index');
  }
  const shared = r.bounded(cursor.previous.length, 'shared name prefix');
  const name = shared === 0 ? r.str() : cursor.previous.slice(0, shared) + r.str();
  cursor.previous = name;
  out.parent = self === 0 ? -1 : parent;
  out.file = file;
  // The table holds 2.0 flags: 1.x's newFile bit is spent here, so it never reads as virtual.
  out.flags = major === 1 ? flags & ~NameFlag.newFile : flags;
  out.name = name;
  out.dosName = flags & NameFlag.dosName ? r.str() : undefined;
  const parentMode = (flags >> NameFlag.parentShift) & 3;
  const deletedMode = (flags >> NameFlag.deletedShift) & 3;
  if (parentMode === 3 || deletedMode === 3) r.fail('reserved name flag value', flags);
  out.parentId = parentMode === 2 ? { record: r.u(), sequence: r.u() } : undefined;
  if (!(self === 0 ? flags & NameFlag.dir : isDir(parent))) r.fail('parent of a name is not a directory', parent);
  if (major > 1 && flags & NameFlag.virtual) {
    if (!(flags & NameFlag.dir)) r.fail('virtual name is not a directory', self);
    if (self === 0 || parent !== 0) r.fail('virtual directory not directly under the root', self);
  }
}

/** Fills table rows [first, first + count) from the chunk's records. */
export function decodeNames(r: ByteReader, h: ChunkHeader & { firstNewFile?: number }, table: NameTable, totalFiles: number, major: number): void {
  const cursor: NamesCursor = { previous: '', previousFile: -1, files: table.files };
  checkNamesChunk(r, h, table.filled, table.parent.length, cursor, major);
  const isDir = (i: number) => (table.flags[i]! & NameFlag.dir) !== 0;
  const rec = newNameRecord();
  for (let i = 0; i < h.count; i++) {
    const self = h.first + i;
    readNameRecord(r, self, cursor, totalFiles, major, isDir, rec);
    table.parent[self] = rec.parent;
    table.file[self] = rec.file;
    table.flags[self] = rec.flags;
    table.name[self] = rec.name;
    if (rec.dosName !== undefined) table.dosName.set(self, rec.dosName);
    if (rec.parentId) table.parentId.set(self, rec.parentId);
  }
  table.files = cursor.files;
  table.filled = h.first + h.count;
  if (r.remaining !== 0) r.fail('bytes left after the last name record', r.remaining);
}

/** A FILES chunk's records are indexed every this many: reaching one parses at most this many. */
export const FILES_CHECKPOINT = 8;

/**
 * A FILES chunk ready for reading single records: its inflated payload, the section's string
 * table, and every FILES_CHECKPOINT-th record's byte offset and delta bases (record numbers and
 * mtimes are deltas from the previous record). Names refer to files in any order (format 2.0),
 * so readers reach records of many chunks at random; this costs the payload and a few bytes a
 * record, not an object per record.
 */
export interface FilesChunkIndex {
  r: ByteReader;
  count: number;
  strings: string[];
  offsets: Int32Array;
  records: Float64Array;
  mtimes: bigint[];
  /** Every record, as the indexing pass decoded them, while a reader keeps them. */
  decoded?: FileRecord[];
  /** Where the last decode ended (record `next`, its offset and delta bases): reading on is cheap. */
  cursor: { next: number; position: number; record: number; mtime: bigint };
  /** The catalog's format major version. */
  major: number;
  /** Whether records keep their layouts (a reader that never restores skips building them). */
  layouts: boolean;
}

/** Checks every record of a FILES chunk (all of it: damage is found on first use) and indexes it. */
export function indexFiles(r: ByteReader, h: ChunkHeader, major: number, layouts = true): FilesChunkIndex {
  const strings = new StringTableReader(r);
  const checkpoints = Math.ceil(h.count / FILES_CHECKPOINT);
  const index: FilesChunkIndex = {
    r, count: h.count, strings: [], offsets: new Int32Array(checkpoints), records: new Float64Array(checkpoints), mtimes: [],
    cursor: { next: -1, position: 0, record: 0, mtime: 0n },
    major,
    layouts,
  };
  const state = { record: 0, mtime: 0n };
  const decoded: FileRecord[] = [];
  for (let i = 0; i < h.count; i++) {
    if (i % FILES_CHECKPOINT === 0) {
      const c = i / FILES_CHECKPOINT;
      index.offsets[c] = r.position;
      index.records[c] = state.record;
      index.mtimes.push(state.mtime);
    }
    decoded.push(decodeFile(r, strings, state, major, layouts));
  }
  if (r.remaining !== 0) r.fail('bytes left after the last file record', r.remaining);
  index.strings = strings.table;
  index.decoded = decoded;
  return index;
}

/**
 * Every record of a FILES chunk in order, each decoded once and handed out, not kept: one pass
 * over a volume's files (the estate index) makes only garbage that dies young. The chunk is
 * checked as indexFiles checks it.
 */
export function* decodeRecords(r: ByteReader, h: ChunkHeader, major: number, layouts: boolean): Generator<FileRecord> {
  const strings = new StringTableReader(r);
  const state = { record: 0, mtime: 0n };
  for (let i = 0; i < h.count; i++) yield decodeFile(r, strings, state, major, layouts);
  if (r.remaining !== 0) r.fail('bytes left after the last file record', r.remaining);
}

/** Record `k` of an indexed chunk: from the cursor when it is just before, else from a checkpoint. */
export function decodeFileAt(index: FilesChunkIndex, k: number): FileRecord {
  if (index.decoded) return index.decoded[k]!;
  const r = index.r;
  const cursor = index.cursor;
  const c = Math.floor(k / FILES_CHECKPOINT);
  let i: number;
  const state = { record: 0, mtime: 0n };
  if (cursor.next <= k && cursor.next >= c * FILES_CHECKPOINT) {
    i = cursor.next;
    r.position = cursor.position;
    state.record = cursor.record;
    state.mtime = cursor.mtime;
  } else {
    i = c * FILES_CHECKPOINT;
    r.position = index.offsets[c]!;
    state.record = index.records[c]!;
    state.mtime = index.mtimes[c]!;
  }
  const strings = new StringTableReader(r, index.strings);
  for (; i < k; i++) decodeFile(r, strings, state, index.major, index.layouts);
  const f = decodeFile(r, strings, state, index.major, index.layouts);
  cursor.next = k + 1;
  cursor.position = r.position;
  cursor.record = state.record;
  cursor.mtime = state.mtime;
  return f;
}

/**
 * One file record; `state` holds the previous record's number and mtime (as stored), and is
 * advanced. `major` < 3: times are FILETIMEs and every field is NTFS's (§6.2). Without `layouts`
 * the layouts are read and checked all the same, but not kept: no object per run.
 */
function decodeFile(r: ByteReader, strings: StringTableReader, state: { record: number; mtime: bigint }, major: number, layouts: boolean): FileRecord {
  const flags = r.bounded(major >= 4 ? FILE_FLAGS_MAX[4] : major >= 3 ? FILE_FLAGS_MAX[3] : FILE_FLAGS_MAX[2], 'file flags');
  const type = ENTRY_TYPES[flags & 7];
  if (type === undefined) r.fail('unknown entry type', flags & 7);
  const record = state.record + r.s();
  if (!Number.isSafeInteger(record) || record < 0) r.fail('record number out of range', record);
  state.record = record;
  const sequence = r.u();
  const size = r.u();
  const attributes = r.u();
  const links = r.u();
  const f: FileRecord = { type, size, times: { mtime: 0n, atime: 0n, ctime: 0n }, streams: [], links, id: { record, sequence }, warnings: [], layouts: [] };
  if (major < 3) {
    f.attributes = attributes;
    const mtime = state.mtime + r.sbig();
    state.mtime = mtime;
    f.times = { mtime: filetimeToNs(mtime), atime: filetimeToNs(mtime + r.sbig()), ctime: filetimeToNs(mtime + r.sbig()), btime: filetimeToNs(mtime + r.sbig()) };
  } else {
    decodeFields3(r, strings, state, flags, attributes, f);
  }
  if (flags & FileFlag.target) f.target = strings.read();
  if (flags & FileFlag.undecodable) f.undecodable = strings.read();
  if (flags & FileFlag.warnings) {
    const count = r.bounded(r.remaining, 'warning count');
    for (let k = 0; k < count; k++) {
      const code = strings.read();
      const message = strings.read();
      f.warnings.push(r.bounded(1, 'warning offset flag') ? { code, message, offset: r.s() } : { code, message });
    }
  }
  if (flags & FileFlag.streams) {
    const count = r.bounded(r.remaining, 'stream count');
    for (let k = 0; k < count; k++) f.streams.push({ name: strings.read(), size: r.u() });
  }
  const layoutCount = r.bounded(r.remaining, 'layout count');
  for (let k = 0; k < layoutCount; k++) {
    const layout = decodeLayout(r, strings, f, major, layouts);
    if (layouts) f.layouts.push(layout);
  }
  return f;
}

/** The fields format 3.0 added or changed: present-or-absent values, POSIX fields, ns times. */
function decodeFields3(r: ByteReader, strings: StringTableReader, state: { mtime: bigint }, flags: number, attributes: number, f: FileRecord): void {
  if (attributes > 0) f.attributes = attributes - 1;
  if (flags & FileFlag.posix) {
    const [mode, uid, gid] = [r.u(), r.u(), r.u()];
    if (mode > 0) f.mode = mode - 1;
    if (uid > 0) f.uid = uid - 1;
    if (gid > 0) f.gid = gid - 1;
  }
  if (flags & FileFlag.otherKind) f.kind = OTHER_KINDS[r.bounded(OTHER_KINDS.length - 1, 'special file kind')]!;
  if (flags & FileFlag.details) f.details = parseDetails(r, strings.read());
  if (flags & FileFlag.owners) {
    const present = r.bounded(3, 'owner and group flags');
    f.security = {};
    if (present & 1) f.security.owner = strings.read();
    if (present & 2) f.security.group = strings.read();
  }
  const mtime = state.mtime + r.sbig();
  state.mtime = mtime;
  f.times = { mtime, atime: mtime + r.sbig(), ctime: mtime + r.sbig() };
  if (!(flags & FileFlag.noBtime)) f.times.btime = mtime + r.sbig();
}

/** EntryDetails as stored (JSON text): an object of numbers, or damage. */
function parseDetails(r: ByteReader, text: string): EntryDetails {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    r.fail('file details are not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'number')) {
    r.fail('file details are not an object of numbers');
  }
  return value as EntryDetails;
}

const ENCODINGS = ['raw', 'lznt1', 'resident', 'error', 'wof'] as const;

function decodeLayout(r: ByteReader, strings: StringTableReader, f: FileRecord, major: number, keepRuns: boolean): StreamLayout | LayoutError {
  const name = strings.read();
  const kind = r.bounded(major >= 4 ? LAYOUT_KIND_MAX[4] : LAYOUT_KIND_MAX[3], 'layout kind');
  if (kind === LayoutKind.error) return { name, error: { code: strings.read(), message: strings.read() } };
  let wof: StreamLayout['wof'];
  if (kind === LayoutKind.wof) {
    const algorithm = WOF_ALGORITHMS[r.bounded(WOF_ALGORITHMS.length - 1, 'WOF format')]!;
    const compressedSize = r.u();
    const compressedInitialized = compressedSize - r.u();
    if (!Number.isSafeInteger(compressedSize) || compressedInitialized < 0) r.fail('WOF compressed size out of range', compressedSize);
    wof = { algorithm, size: compressedSize, initializedSize: compressedInitialized };
  }
  const size = streamSize(f, name) + r.s();
  if (!Number.isSafeInteger(size) || size < 0) r.fail('stream size out of range', size);
  const initializedSize = size - r.s();
  if (!Number.isSafeInteger(initializedSize)) r.fail('initialized size out of range', initializedSize);
  const layout: StreamLayout = { name, size, initializedSize, encoding: ENCODINGS[kind] as StreamLayout['encoding'], runs: [] };
  if (wof) layout.wof = wof;
  const unit = r.u();
  if (unit > 0) layout.compressionUnit = unit - 1;
  const resident = r.bounded(r.remaining + 1, 'resident length');
  if (resident > 0) layout.resident = r.raw(resident - 1);
  // Each run takes at least three bytes, so the count is bounded by what is left.
  const runs = r.bounded(Math.floor(r.remaining / 3), 'run count');
  let streamEnd = 0;
  let sourceEnd = 0;
  for (let k = 0; k < runs; k++) {
    const streamOffset = streamEnd + r.s();
    const length = r.u();
    const tag = r.uSmallOrBig();
    let sourceOffset: number | null = null;
    if (typeof tag === 'number' && tag > 0) {
      const zig = tag - 1;
      sourceOffset = sourceEnd + (zig % 2 === 1 ? -(zig + 1) / 2 : zig / 2);
    } else if (typeof tag === 'bigint') {
      const zig = tag - 1n;
      sourceOffset = sourceEnd + Number(zig & 1n ? -(zig >> 1n) - 1n : zig >> 1n);
    }
    if (sourceOffset !== null) {
      if (!Number.isSafeInteger(sourceOffset) || !Number.isSafeInteger(sourceOffset + length)) r.fail('run offset out of range', sourceOffset);
      sourceEnd = sourceOffset + length;
    }
    streamEnd = streamOffset + length;
    if (!Number.isSafeInteger(streamOffset) || !Number.isSafeInteger(streamEnd)) r.fail('run stream offset out of range', streamOffset);
    if (keepRuns) layout.runs.push({ streamOffset, length, sourceOffset });
  }
  return layout;
}
