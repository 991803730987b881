/**
 * Writing name and file records into NAMES and FILES chunk payloads (docs/catalog-format.md §5, §6).
 * A path is a chain of name records (each points at its parent's name record), so no path is
 * stored whole; hard links are several name records pointing at one file record. Record numbers
 * and mtimes are deltas from the previous record, the other times deltas from mtime, runs deltas
 * from the previous run's end: all small varints for deflate to squeeze further.
 */
import { GrtError } from '../errors.js';
import type { EntryType, FileEntry, OtherKind, StreamLayout } from '../fs/file-system.js';
import { StringTableWriter } from './string-table.js';
import { ByteWriter } from './varint.js';

export const ENTRY_TYPES: readonly EntryType[] = ['file', 'dir', 'symlink', 'junction', 'other'];

/** Name record flag bits (§5.2). */
export const NameFlag = {
  newFile: 1, // 1.x only: the file record is the next new one; otherwise its index follows
  virtual: 1, // 2.0: the same bit: a folder that is not on the volume (/$Orphan), never listed itself
  dosName: 2, // a DOS 8.3 name follows
  parentShift: 2, // bits 2-3: 0 parent id = parent name's file id, 1 none, 2 stored
  deletedShift: 4, // bits 4-5: 0 `deleted` absent, 1 false, 2 true
  hidden: 64, // a file-system metadata file: listed only with `all`
  dir: 128, // the name is a directory's (so lists and lookups need no file record)
} as const;

/** File record flag bits (§6.2); bits 0-2 are the index into ENTRY_TYPES. Bits 7-10 from format 3.0. */
export const FileFlag = { target: 8, undecodable: 16, warnings: 32, streams: 64, posix: 128, noBtime: 256, otherKind: 512, details: 1024, owners: 2048 } as const;
/** The highest flags value of a file record, by format major version. Bit 11 (owners) from 4.0. */
export const FILE_FLAGS_MAX = { 2: 0x7f, 3: 0x7ff, 4: 0xfff } as const;

/** Special-file kinds by their number in a file record (format 3.0). */
export const OTHER_KINDS: readonly OtherKind[] = ['fifo', 'socket', 'chardev', 'blockdev'];

/** Layout kinds (§6.3). */
export const LayoutKind = { raw: 0, lznt1: 1, resident: 2, error: 3, wof: 4 } as const;
/** The highest layout kind, by format major version (4.0 added 'wof'). */
export const LAYOUT_KIND_MAX = { 3: LayoutKind.error, 4: LayoutKind.wof } as const;
/** WOF chunk formats by their number in a 'wof' layout: the numbers WOF itself gives them. */
export const WOF_ALGORITHMS = ['XPRESS4K', 'LZX', 'XPRESS8K', 'XPRESS16K'] as const;

export interface NameRecord {
  /** Name index of the parent directory; -1 for the root. */
  parent: number;
  /** File index this name belongs to. */
  file: number;
  name: string;
  dosName?: string;
  /** FileEntry.parent: 'derived' when it is the parent name's file id. */
  parentId: 'derived' | 'none' | { record: number; sequence: number };
  deleted?: boolean;
  hidden: boolean;
  dir: boolean;
  /** A virtual directory (/$Orphan): a directory directly under the root, not on the volume. */
  virtual?: boolean;
}

/** A stream whose layout could not be taken: restoring it fails with this error again. */
export interface LayoutError {
  name: string;
  error: { code: string; message: string };
}

/**
 * The fields of a file a catalog keeps (once per file, shared by its hard-link names). Of
 * `security` it keeps the owner and group (the DACL stays on the image).
 */
export type FileFields = Pick<FileEntry, 'type' | 'size' | 'times' | 'attributes' | 'streams' | 'links' | 'target' | 'undecodable' | 'id' | 'warnings' | 'kind' | 'mode' | 'uid' | 'gid' | 'details' | 'security'>;

/** A file as a catalog gives it back. */
export interface FileRecord extends FileFields {
  /** Layouts in virtual-disk byte offsets. */
  layouts: (StreamLayout | LayoutError)[];
}

/** Encodes one NAMES chunk (format 2.0: file indexes as deltas, restarting at each chunk). */
export class NamesChunkWriter {
  readonly w = new ByteWriter();
  count = 0;
  private previousName = '';
  private previousFile = -1;

  constructor(private readonly volume: number, readonly firstName: number) {}

  add(rec: NameRecord): void {
    const w = this.w;
    const self = this.firstName + this.count;
    const parentMode = rec.parentId === 'derived' ? 0 : rec.parentId === 'none' ? 1 : 2;
    const deletedMode = rec.deleted === undefined ? 0 : rec.deleted ? 2 : 1;
    w.u(
      (rec.dosName !== undefined ? NameFlag.dosName : 0) |
        (parentMode << NameFlag.parentShift) |
        (deletedMode << NameFlag.deletedShift) |
        (rec.hidden ? NameFlag.hidden : 0) |
        (rec.dir ? NameFlag.dir : 0) |
        (rec.virtual ? NameFlag.virtual : 0),
    );
    w.u(rec.parent < 0 ? 0 : self - rec.parent);
    // Names of a directory are mostly files of consecutive MFT records: a delta of 1 (one byte).
    w.s(rec.file - this.previousFile);
    this.previousFile = rec.file;
    // Front coding: names in a directory come sorted, so neighbours share prefixes.
    let shared = 0;
    const limit = Math.min(rec.name.length, this.previousName.length);
    while (shared < limit && rec.name.charCodeAt(shared) === this.previousName.charCodeAt(shared)) shared++;
    w.u(shared);
    w.str(shared === 0 ? rec.name : rec.name.slice(shared));
    this.previousName = rec.name;
    if (rec.dosName !== undefined) w.str(rec.dosName);
    if (typeof rec.parentId === 'object') {
      w.u(rec.parentId.record);
      w.u(rec.parentId.sequence);
    }
    this.count++;
  }

  /** Chunk payload: header (volume, first name index, count), then records. */
  finish(): Uint8Array {
    return chunkPayload(this.volume, this.firstName, this.count, this.w);
  }
}

/** A NAMES or FILES chunk payload: its header (§5, §6: volume, first index, count), then the records. */
function chunkPayload(volume: number, first: number, count: number, records: ByteWriter): Uint8Array {
  const out = new ByteWriter();
  out.u(volume);
  out.u(first);
  out.u(count);
  out.raw(records.bytes());
  return out.bytes();
}

/** The size a record lists for a stream ('' = the unnamed one), which its layout usually repeats. */
export function streamSize(f: Pick<FileFields, 'size' | 'streams'>, name: string): number {
  return name === '' ? f.size : (f.streams.find((s) => s.name === name)?.size ?? 0);
}

function hasOwners(f: FileFields): boolean {
  return f.security !== undefined && (f.security.owner !== undefined || f.security.group !== undefined);
}

/** Encodes one FILES chunk. */
export class FilesChunkWriter {
  readonly w = new ByteWriter();
  count = 0;
  private readonly strings = new StringTableWriter(this.w);
  private previousRecord = 0;
  private previousMtime = 0n;

  constructor(private readonly volume: number, readonly firstFile: number) {}

  /**
   * One file record. `layouts` are in the file system's byte offsets plus `sourceShift` (the
   * volume's start on the virtual disk), added here so no layout is copied to shift it.
   */
  add(f: FileFields, layouts: readonly (StreamLayout | LayoutError)[], sourceShift = 0): void {
    const w = this.w;
    const t = this.strings;
    w.u(
      ENTRY_TYPES.indexOf(f.type) |
        (f.target !== undefined ? FileFlag.target : 0) |
        (f.undecodable !== undefined ? FileFlag.undecodable : 0) |
        (f.warnings.length > 0 ? FileFlag.warnings : 0) |
        (f.streams.length > 0 ? FileFlag.streams : 0) |
        (f.mode !== undefined || f.uid !== undefined || f.gid !== undefined ? FileFlag.posix : 0) |
        (f.times.btime === undefined ? FileFlag.noBtime : 0) |
        (f.kind !== undefined ? FileFlag.otherKind : 0) |
        (f.details !== undefined ? FileFlag.details : 0) |
        (hasOwners(f) ? FileFlag.owners : 0),
    );
    w.s(f.id.record - this.previousRecord);
    this.previousRecord = f.id.record;
    w.u(f.id.sequence);
    w.u(f.size);
    // Absent fields are 0, present ones value + 1.
    w.u(f.attributes === undefined ? 0 : f.attributes + 1);
    w.u(f.links);
    if (f.mode !== undefined || f.uid !== undefined || f.gid !== undefined) {
      w.u(f.mode === undefined ? 0 : f.mode + 1);
      w.u(f.uid === undefined ? 0 : f.uid + 1);
      w.u(f.gid === undefined ? 0 : f.gid + 1);
    }
    if (f.kind !== undefined) w.u(OTHER_KINDS.indexOf(f.kind));
    if (f.details !== undefined) t.write(JSON.stringify(f.details));
    if (hasOwners(f)) {
      // Bit 0: an owner follows, bit 1: a group (a descriptor may lack either).
      const { owner, group } = f.security!;
      w.u((owner !== undefined ? 1 : 0) | (group !== undefined ? 2 : 0));
      if (owner !== undefined) t.write(owner);
      if (group !== undefined) t.write(group);
    }
    // Nanoseconds since 1970 (format 3.0).
    const { mtime, atime, ctime, btime } = f.times;
    w.sbig(mtime - this.previousMtime);
    this.previousMtime = mtime;
    // A time equal to mtime (ctime usually is) is a 0 written without a bigint subtraction.
    if (atime === mtime) w.u(0);
    else w.sbig(atime - mtime);
    if (ctime === mtime) w.u(0);
    else w.sbig(ctime - mtime);
    if (btime === undefined) {
      // NoBtime flag set: nothing stored.
    } else if (btime === mtime) w.u(0);
    else w.sbig(btime - mtime);
    if (f.target !== undefined) t.write(f.target);
    if (f.undecodable !== undefined) t.write(f.undecodable);
    if (f.warnings.length > 0) {
      w.u(f.warnings.length);
      for (const warning of f.warnings) {
        t.write(warning.code);
        t.write(warning.message);
        w.u(warning.offset === undefined ? 0 : 1);
        if (warning.offset !== undefined) w.s(warning.offset);
      }
    }
    if (f.streams.length > 0) {
      w.u(f.streams.length);
      for (const s of f.streams) {
        t.write(s.name);
        w.u(s.size);
      }
    }
    w.u(layouts.length);
    for (const layout of layouts) this.addLayout(layout, streamSize(f, layout.name), sourceShift);
    this.count++;
  }

  /** `listedSize` is the stream's size in the record: a layout's size is stored as a difference from it. */
  private addLayout(layout: StreamLayout | LayoutError, listedSize: number, sourceShift: number): void {
    const w = this.w;
    this.strings.write(layout.name);
    if ('error' in layout) {
      w.u(LayoutKind.error);
      this.strings.write(layout.error.code);
      this.strings.write(layout.error.message);
      return;
    }
    w.u(LayoutKind[layout.encoding]);
    if (layout.wof) {
      w.u(WOF_ALGORITHMS.indexOf(layout.wof.algorithm));
      w.u(layout.wof.size);
      w.u(layout.wof.size - layout.wof.initializedSize);
    }
    w.s(layout.size - listedSize);
    w.s(layout.size - layout.initializedSize);
    w.u(layout.compressionUnit === undefined ? 0 : layout.compressionUnit + 1);
    w.u(layout.resident === undefined ? 0 : layout.resident.length + 1);
    if (layout.resident !== undefined) w.raw(layout.resident);
    w.u(layout.runs.length);
    let streamEnd = 0;
    let sourceEnd = 0;
    for (const run of layout.runs) {
      w.s(run.streamOffset - streamEnd);
      w.u(run.length);
      // 0 = sparse hole; otherwise 1 + zigzag(start − previous data run's end).
      if (run.sourceOffset === null) w.u(0);
      else {
        const sourceOffset = run.sourceOffset + sourceShift;
        if (!Number.isSafeInteger(sourceOffset + run.length)) {
          throw new GrtError('OUT_OF_RANGE', 'run offset beyond 2^53', { structure: 'stream layout', actual: sourceOffset });
        }
        const delta = sourceOffset - sourceEnd;
        const zig = delta >= 0 ? delta * 2 : -delta * 2 - 1;
        if (Number.isSafeInteger(zig + 1)) w.u(zig + 1);
        else w.ubig(1n + (delta >= 0 ? BigInt(delta) * 2n : BigInt(-delta) * 2n - 1n));
        sourceEnd = sourceOffset + run.length;
      }
      streamEnd = run.streamOffset + run.length;
    }
  }

  /** Chunk payload: header (volume, first file index, count), then records. */
  finish(): Uint8Array {
    return chunkPayload(this.volume, this.firstFile, this.count, this.w);
  }
}
