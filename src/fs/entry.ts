/**
 * What a file system reader tells the layers above it (CLI, catalog, restore), independent of the
 * on-disk format. NTFS is the first reader; FAT and ext4 will fill the same shapes later.
 */
import type { ByteSource } from '../io/byte-source.js';
import type { GrtWarning } from '../errors.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'junction' | 'other';

/** FILETIME values (100 ns ticks since 1601-01-01 UTC), as bigint so no precision is lost. */
export interface EntryTimes {
  /** Last modification of the data. */
  mtime: bigint;
  /** Last access. */
  atime: bigint;
  /** Last change of the metadata (NTFS "MFT modified"). */
  ctime: bigint;
  /** Creation ("birth"). */
  btime: bigint;
}

export interface StreamInfo {
  /** '' is the unnamed (main) data stream; other names are alternate data streams. */
  name: string;
  size: number;
}

export interface FileEntry {
  /** '/'-separated path from the volume root; '/' is the root itself. */
  path: string;
  /** Last path component (the long/Win32 name; DOS 8.3 names are in `dosName`). */
  name: string;
  type: EntryType;
  /** Size of the unnamed data stream in bytes (0 for directories). */
  size: number;
  times: EntryTimes;
  /** Windows FILE_ATTRIBUTE_* flags ([MS-FSCC] 2.6). */
  attributes: number;
  /** Alternate (named) data streams; the unnamed stream is `size`. */
  streams: StreamInfo[];
  /** Number of hard links (names in directories) of this file. */
  links: number;
  /** Target of a symlink or junction, as stored (print name preferred). */
  target?: string;
  /** Identity in the file system: MFT record number and sequence number for NTFS. */
  id: { record: number; sequence: number };
  /** Parent directory's identity. */
  parent?: { record: number; sequence: number };
  dosName?: string;
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
  security?: { owner?: string; group?: string; dacl?: { type: string; sid?: string; mask: number; flags: number }[] };
  warnings: GrtWarning[];
}

/**
 * Where a stream's bytes live, so it can be read again without the file system's metadata
 * (the catalog stores this). Offsets are bytes of the ByteSource the file system was opened on.
 */
export interface StreamLayout {
  name: string;
  /** Logical size of the stream. */
  size: number;
  /** Bytes past this read as zeros (NTFS ValidDataLength / initialized size). */
  initializedSize: number;
  /** 'raw': runs map bytes directly; 'lznt1': runs hold compression units to decompress. */
  encoding: 'raw' | 'lznt1' | 'resident';
  /** Bytes per compression unit (NTFS: 16 clusters usually) when encoding is 'lznt1'. */
  compressionUnit?: number;
  /** The data itself when encoding is 'resident'. */
  resident?: Uint8Array;
  /** Extents in stream order; `sourceOffset` null is a sparse hole. Lengths in bytes. */
  runs: { streamOffset: number; sourceOffset: number | null; length: number }[];
}

export interface ListOptions {
  /** Include file-system metadata files (NTFS $MFT, $Bitmap, ...). */
  all?: boolean;
  /** Include deleted (not in use) records. */
  deleted?: boolean;
}

/** A mounted (read-only) file system, as the CLI, catalog and restore use it. */
export interface FileSystem {
  readonly kind: 'ntfs';
  /** Volume facts for display and for binding a catalog: label, serial, cluster size, ... */
  readonly info: { label?: string; serial: string; clusterSize: number; [key: string]: unknown };
  /** The entry at `path` ('/' = root); NOT_FOUND if absent. Lookup follows the volume's case rules. */
  stat(path: string): Promise<FileEntry>;
  /** The children of the directory at `path`. */
  readDir(path: string, options?: ListOptions): Promise<FileEntry[]>;
  /** Every entry below `path` (not the path itself), parents before children. */
  walk(path: string, options?: ListOptions): AsyncIterable<FileEntry>;
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
  /**
   * The table names are compared through (NTFS $UpCase): upper-case form of each UTF-16 code unit,
   * 65536 entries. A catalog stores it so its lookups follow the volume's own rules.
   */
  upcaseTable?(): Uint16Array;
  close?(): Promise<void>;
}
