/**
 * The file-system contract: what a reader tells the layers above it (CLI, catalog, restore),
 * independent of the on-disk format. NTFS (fs/ntfs/) implements it today; ext2/3/4 and XFS fill
 * the same shapes. The catalog (catalog/catalog-fs.ts) implements it too, from stored records.
 *
 * A new file system is a folder `src/fs/<name>/` whose entry module exports an opener, plus one
 * line in fs/registry.ts. The reader implements `FileSystem` below:
 *  - `stat`, `readDir`, `walk`: entries as `FileEntry` (paths '/'-separated from the volume root);
 *  - optionally `listNames`: what a plain listing prints (name, type), where the reader can give it
 *    without reading every file's record (ext and XFS: from directory entries);
 *  - `openStream`, `streamLayout` (and optionally `openLayout`): data as a ByteSource, and where
 *    those bytes live on the volume so a catalog can read them later without the metadata;
 *  - `nameRule()`: how names compare (lookups and listing order), stored in catalogs;
 *  - optionally `scanRecords` (a one-pass description of every file, see `CatalogScan`): without
 *    it a catalog walks the tree, which is correct but slower.
 * Entries are plain objects; `entryToJSON` (fs/entry-json.ts) is their one JSON form.
 */
import type { ByteSource } from '../io/byte-source.js';
import type { GrtWarning } from '../errors.js';
import type { FsKind } from '../volume/types.js';

export type { FsKind };

/**
 * 'junction' is an NTFS mount-point reparse point; 'other' is a FIFO, socket or device node,
 * told apart by `FileEntry.kind`.
 */
export type EntryType = 'file' | 'dir' | 'symlink' | 'junction' | 'other';

/** What an entry of type 'other' is (POSIX S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK). */
export type OtherKind = 'fifo' | 'socket' | 'chardev' | 'blockdev';

/**
 * Times as bigint nanoseconds since 1970-01-01 00:00:00 UTC (negative before 1970), so NTFS's
 * 100 ns FILETIMEs and Linux's nanosecond times both fit exactly. util/time.ts converts.
 */
export interface EntryTimes {
  /** Last modification of the data. */
  mtime: bigint;
  /** Last access. */
  atime: bigint;
  /** Last change of the metadata (NTFS "MFT modified", POSIX ctime). */
  ctime: bigint;
  /** Creation ("birth"); absent where the file system keeps none (ext2/3, 128-byte ext4 inodes). */
  btime?: bigint;
}

export interface StreamInfo {
  /** '' is the unnamed (main) data stream; other names are alternate data streams. */
  name: string;
  size: number;
}

/**
 * Identity of a file in its volume: `record` is the file number (NTFS MFT record number, ext/XFS
 * inode number) and `sequence` its reuse counter (NTFS sequence number, ext/XFS inode generation;
 * 0 where none is kept). Two entries with the same id are hard links of one file.
 */
export interface FileId {
  record: number;
  sequence: number;
}

/** Fields only some file systems have, under one object so the common shape stays small. */
export interface EntryDetails {
  /** ext2/3/4: inode flags (EXT4_*_FL); XFS: di_flags. */
  flags?: number;
  /** XFS: project id. */
  projectId?: number;
  /** Character and block devices: the device number (Linux major and minor), where the reader knows it. */
  deviceMajor?: number;
  deviceMinor?: number;
}

/**
 * Owner, group (SID strings, S-1-5-21-…) and DACL of a Windows file ([MS-DTYP] 2.4.6); a part
 * the descriptor lacks is absent (no DACL: everyone has full access; an empty one: no access).
 */
export interface EntrySecurity {
  owner?: string;
  group?: string;
  dacl?: { type: string; sid?: string; mask: number; flags: number }[];
  /** False where the DACL was not kept (a catalog keeps owner and group only): `dacl` then says nothing. */
  daclKept?: false;
}

export interface FileEntry {
  /** '/'-separated path from the volume root; '/' is the root itself. */
  path: string;
  /** Last path component (the long/Win32 name on NTFS; DOS 8.3 names are in `dosName`). */
  name: string;
  type: EntryType;
  /** For type 'other': which kind of special file. */
  kind?: OtherKind;
  /** Size of the unnamed data stream in bytes (0 for directories). */
  size: number;
  times: EntryTimes;
  /**
   * Windows FILE_ATTRIBUTE_* flags ([MS-FSCC] 2.6) on NTFS (and FAT); absent on POSIX file
   * systems. Kept top-level beside `dosName`: both are the Windows family's, not one reader's.
   */
  attributes?: number;
  /**
   * POSIX permission bits with setuid/setgid/sticky (st_mode & 0o7777), without the file-type
   * bits: the type is `type`/`kind`. Absent on NTFS.
   */
  mode?: number;
  /** POSIX owner and group ids (32-bit); absent on NTFS. */
  uid?: number;
  gid?: number;
  /** Alternate (named) data streams; the unnamed stream is `size`. */
  streams: StreamInfo[];
  /** Number of hard links (names in directories) of this file. */
  links: number;
  /** Target of a symlink or junction, as stored (print name preferred). */
  target?: string;
  /** Identity in the file system (see FileId). */
  id: FileId;
  /** Parent directory's identity. */
  parent?: FileId;
  /** DOS 8.3 name (NTFS, FAT). */
  dosName?: string;
  /** File-system specific fields. */
  details?: EntryDetails;
  /** True for a record not in use (listed only when deleted entries are asked for). */
  deleted?: boolean;
  /**
   * Data grt lists but cannot decode yet; reading it fails with a GrtError naming this.
   * e.g. 'wof-wim' (WIM-backed WOF), 'wof' (WOF of an unknown provider or format), 'dedup', 'efs'.
   * WOF file-provider (Compact OS) files are decoded: they carry no `undecodable`.
   */
  undecodable?: string;
  /**
   * NTFS owner, group (SID strings) and DACL ([MS-DTYP] 2.4.4: ACE type name, trustee SID, access
   * mask, ACE flags); filled only when asked (`grt-ls --security`), absent otherwise.
   */
  security?: EntrySecurity;
  warnings: GrtWarning[];
}

/**
 * Where a stream's bytes live, so it can be read again without the file system's metadata
 * (the catalog stores this). Offsets are bytes of the ByteSource the file system was opened on.
 * fs/layout-stream.ts reads one.
 */
export interface StreamLayout {
  name: string;
  /** Logical size of the stream. */
  size: number;
  /** Bytes past this read as zeros (NTFS ValidDataLength / initialized size). */
  initializedSize: number;
  /**
   * 'raw': runs map bytes directly; 'lznt1': runs hold compression units to decompress; 'wof':
   * runs (or `resident`) hold a WOF WofCompressedData stream (see `wof`) whose plaintext is the
   * stream, `size` and `initializedSize` being the plaintext's.
   */
  encoding: 'raw' | 'lznt1' | 'resident' | 'wof';
  /** Bytes per compression unit (NTFS: 16 clusters usually) when encoding is 'lznt1'. */
  compressionUnit?: number;
  /** The data itself when encoding is 'resident'. */
  resident?: Uint8Array;
  /**
   * 'wof' only: the chunk format (XPRESS4K/8K/16K, LZX) and the size and initialized size of the
   * compressed stream the runs map (NTFS fs/ntfs/wof.ts).
   */
  wof?: { algorithm: 'XPRESS4K' | 'LZX' | 'XPRESS8K' | 'XPRESS16K'; size: number; initializedSize: number };
  /** Extents in stream order; `sourceOffset` null is a sparse hole. Lengths in bytes. */
  runs: { streamOffset: number; sourceOffset: number | null; length: number }[];
}

export interface ListOptions {
  /** Include file-system metadata files (NTFS $MFT, $Bitmap, ...). */
  all?: boolean;
  /** Include deleted (not in use) records. */
  deleted?: boolean;
}

/**
 * What a plain listing (`ls` without -l) shows of an entry: a `FileEntry` has these fields too.
 * See `FileSystem.listNames`.
 */
export type NameEntry = Pick<FileEntry, 'path' | 'name' | 'type' | 'deleted' | 'undecodable'>;

/**
 * How a volume compares names, for lookups and for the order a directory lists in:
 *  - 'upcase' (NTFS): case-insensitive through the volume's own table (`$UpCase`: the upper-case
 *    form of each UTF-16 code unit, 65536 entries), ties broken by the exact UTF-16 units;
 *  - 'bytes' (ext2/3/4, XFS): case-sensitive, in the byte order of the names' UTF-8 form.
 * fs/name-order.ts implements both; a catalog stores the rule so its lookups follow the volume's.
 */
export type NameRule = { kind: 'upcase'; table: Uint16Array } | { kind: 'bytes' };

/** Volume facts for display and for binding a catalog. */
export interface FileSystemInfo {
  label?: string;
  /** Volume serial number or UUID, as text; a catalog compares it before trusting its offsets. */
  serial: string;
  /** Allocation unit in bytes (NTFS cluster, ext block). */
  clusterSize: number;
  [key: string]: unknown;
}

/** A mounted (read-only) file system, as the CLI, catalog and restore use it. */
export interface FileSystem {
  readonly kind: FsKind;
  readonly info: FileSystemInfo;
  /** Damage met so far that did not stop the mount or a listing. */
  readonly warnings?: readonly GrtWarning[];
  /** The entry at `path` ('/' = root); NOT_FOUND if absent. Lookup follows `nameRule()`. */
  stat(path: string): Promise<FileEntry>;
  /** The children of the directory at `path`, in the order `nameRule()` gives. */
  readDir(path: string, options?: ListOptions): Promise<FileEntry[]>;
  /** Every entry below `path` (not the path itself), parents before children. */
  walk(path: string, options?: ListOptions): AsyncIterable<FileEntry>;
  /**
   * Optional: the entries `walk` (`recursive`) or `readDir` of the directory at `path` gives, in
   * the same order, with only the fields a plain listing prints, in batches (a directory's
   * children at a time: one promise per entry costs more than the listing itself). For a reader whose directory
   * entries carry each name's type (ext `filetype`, XFS `ftype`), this skips reading every
   * child's inode; it reads a child's inode where the directory entry does not say enough (a
   * directory, to descend; no type; a deleted name). A child whose inode is damaged is listed by
   * its directory entry here while `walk` leaves it out with a volume warning. Callers that need
   * any other field use `walk`/`readDir`.
   */
  listNames?(path: string, options?: ListOptions & { recursive?: boolean }): AsyncIterable<readonly NameEntry[]>;
  /**
   * A stream ('' = unnamed data) of the file at a path, or of an entry already listed (which
   * goes straight to its record, no path lookup), as a ByteSource.
   */
  openStream(target: string | FileEntry, streamName?: string): Promise<ByteSource>;
  /** Where that stream's bytes live on the source the file system was opened on. */
  streamLayout(target: string | FileEntry, streamName?: string): Promise<StreamLayout>;
  /**
   * Optional: the stream a layout from `streamLayout` describes, without finding the file again
   * (a restore needs both: the layout for holes, the stream for the bytes).
   */
  openLayout?(layout: StreamLayout): ByteSource;
  /** How this volume compares names. */
  nameRule(): NameRule;
  /** Optional: the owner, group and DACL of an entry (NTFS `$Secure`); undefined where none is kept. */
  readSecurity?(entry: FileEntry): Promise<EntrySecurity | undefined>;
  /** Optional: the entry's self-relative security descriptor as stored (NTFS), for restores that keep it. */
  readSecurityDescriptor?(entry: FileEntry): Promise<Uint8Array | undefined>;
  /** Optional one-pass description of every file, for catalogs (see CatalogScan). */
  scanRecords?: CatalogScan;
  /** Optional: an entry's extended attributes, names with their namespace (`user.comment`), as stored (ext, XFS). */
  xattrs?(target: string | FileEntry): Promise<{ name: string; value: Uint8Array }[]>;
  close?(): Promise<void>;
}

/** What a one-pass scan hands over per file: its fields (no path, name or parent) and layouts. */
export interface ScannedRecord {
  record: number;
  body: Pick<FileEntry, 'type' | 'size' | 'times' | 'attributes' | 'streams' | 'links' | 'target' | 'undecodable' | 'id' | 'warnings' | 'kind' | 'mode' | 'uid' | 'gid' | 'details'> & { deleted?: boolean };
  layouts?: StreamLayout[];
}

/** The names a scan found, walked after it as (record, link) pairs. */
export interface ScannedNames {
  walk(startRecord: number, startPath: string, options: ListOptions & { paths?: boolean }): Iterable<{ record: number; link: number; parent: number }>;
  readonly linkName: readonly string[];
  readonly linkDosName: readonly (string | undefined)[];
  readonly linkParent: ArrayLike<number>;
  readonly linkParentSequence: ArrayLike<number>;
  isDir(record: number): boolean;
  inUse(record: number): boolean;
  /** A file-system metadata file (NTFS $MFT …): hidden from plain listings when found orphaned. */
  isMetadata(record: number): boolean;
  sequence(record: number): number;
}

/**
 * A file system that can describe every file in one pass without holding them (NTFS: one linear
 * MFT read) calls `onRecord` per file, then returns the name tree. Names a scan cannot place
 * under the root are listed under ORPHAN_DIR (fs/orphans.ts).
 */
export type CatalogScan = (
  options: { deleted: boolean; all: boolean; layouts: boolean },
  onRecord: (scanned: ScannedRecord) => void | Promise<void>,
) => Promise<ScannedNames>;
