/**
 * The file systems grt can mount: one line per reader, loaded when first used (a listing of an
 * NTFS volume never loads the ext reader). `image.ts`, the catalog and the CLI reach readers only
 * through here.
 *
 * Adding a file system: a folder `src/fs/<name>/` implementing `FileSystem` (fs/file-system.ts),
 * with a module exporting a `FileSystemReader`, and one line in READERS naming the FsKinds the
 * volume layer detects for it (volume/detect.ts).
 */
import type { ByteSource } from '../io/byte-source.js';
import type { CachedSourceOptions } from '../io/cached-source.js';
import type { GrainInflation } from '../vmdk/inflation.js';
import type { FileSystem, FsKind } from './file-system.js';
import type { LookaheadVolume, StreamLookahead, TapHooks } from './stream-lookahead.js';

export interface OpenFileSystemOptions {
  /** The metadata block cache (records, index nodes, inodes). */
  cache?: CachedSourceOptions;
  /** NTFS: read WOF-compressed (Compact OS) files as stored, not as their plaintext (`--raw-wof`). */
  rawWof?: boolean;
  /** NTFS: where WOF chunks of large reads are decoded (a restore's engine's, on its workers); default this thread. */
  inflation?: GrainInflation;
}

/** What a reader's folder exports. */
export interface FileSystemReader {
  /** Mount the volume whose bytes are `source`, read-only. */
  open(source: ByteSource, options?: OpenFileSystemOptions): Promise<FileSystem>;
  /**
   * Optional: the volume's serial or UUID (as `FileSystem.info.serial` gives it) from a few
   * hundred bytes, without mounting, so checking a catalog's binding stays cheap.
   */
  readSerial?(source: ByteSource): Promise<string>;
  /** Optional: whether `source` holds this file system, beyond the volume layer's detection. */
  detect?(source: ByteSource): Promise<boolean>;
  /** Optional: what a catalog of the volume reads, found while a backup stream passes (catalog/tap). */
  lookahead?(volume: LookaheadVolume, hooks: TapHooks): StreamLookahead;
}

interface RegistryEntry {
  kinds: readonly FsKind[];
  load(): Promise<FileSystemReader>;
}

const READERS: readonly RegistryEntry[] = [
  { kinds: ['ntfs'], load: async () => (await import('./ntfs/reader.js')).ntfsReader },
  { kinds: ['ext2', 'ext3', 'ext4'], load: async () => (await import('./ext/reader.js')).extReader },
  { kinds: ['xfs'], load: async () => (await import('./xfs/reader.js')).xfsReader },
];

function entryFor(kind: FsKind): RegistryEntry | undefined {
  return READERS.find((entry) => entry.kinds.includes(kind));
}

/** Whether grt has a reader for volumes of this kind. */
export function canRead(kind: FsKind): boolean {
  return entryFor(kind) !== undefined;
}

/** The reader for `kind`, loaded; undefined when grt has none. */
export async function readerFor(kind: FsKind): Promise<FileSystemReader | undefined> {
  return entryFor(kind)?.load();
}
