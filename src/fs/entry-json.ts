/**
 * The one JSON form of a FileEntry: `grt-ls --json` rows, the catalog's NDJSON export and the
 * library's `entryToJSON` all use it, so a row means the same wherever it came from.
 *
 * Keys: path, name, type, kind (type 'other'), size; mtime, atime, ctime, btime as ISO 8601 UTC
 * with nine fractional digits (exact: times are nanoseconds; 'invalid' past what a Date holds);
 * mode, uid, gid (POSIX file systems); attributes, dosName (NTFS); streams, links, target; the
 * file's identity under its file system's name for it — `mft: {record, sequence}` and
 * `parentMft` on NTFS, `inode`, `generation` and `parentInode` on ext2/3/4 and XFS; details;
 * deleted, undecodable; owner, group, dacl when security was read (null: the descriptor lacks
 * that part; no dacl from a catalog, which does not keep it); warnings. Other absent fields are left out, never null.
 *
 * Entries hold bigint times, which JSON.stringify refuses: serialize them with entryToJSON.
 */
import type { FileEntry, FsKind } from './file-system.js';
import { IsoCache, nsToIso } from '../util/time.js';

/** How a file system names its file numbers in JSON. */
export type IdStyle = 'mft' | 'inode';

/** The id style of a file-system kind: 'mft' for NTFS, 'inode' for the POSIX ones. */
export function idStyleOf(kind: FsKind | string | undefined): IdStyle {
  return kind === 'ntfs' || kind === undefined ? 'mft' : 'inode';
}

export interface EntryJsonOptions {
  /** The volume's file system, for the name of the id keys; default NTFS's ('mft'). */
  fs?: FsKind | string;
  /** Added first, as `volume`, when given (catalog exports of several volumes). */
  volume?: number | string;
  /** Formats times; pass one per listing so rows in the same second share the date text. */
  isoCache?: IsoCache;
}

/** The JSON object of one entry (plain values only: safe for JSON.stringify). */
export function entryToJSON(entry: FileEntry, options: EntryJsonOptions = {}): Record<string, unknown> {
  const iso = options.isoCache ?? new IsoCache();
  const out: Record<string, unknown> = {};
  if (options.volume !== undefined) out.volume = options.volume;
  out.path = entry.path;
  out.name = entry.name;
  out.type = entry.type;
  if (entry.kind !== undefined) out.kind = entry.kind;
  out.size = entry.size;
  const t = entry.times;
  out.mtime = nsToIso(t.mtime, iso);
  out.atime = nsToIso(t.atime, iso);
  out.ctime = nsToIso(t.ctime, iso);
  if (t.btime !== undefined) out.btime = nsToIso(t.btime, iso);
  if (entry.mode !== undefined) out.mode = entry.mode;
  if (entry.uid !== undefined) out.uid = entry.uid;
  if (entry.gid !== undefined) out.gid = entry.gid;
  if (entry.attributes !== undefined) out.attributes = entry.attributes;
  out.streams = entry.streams.map((s) => ({ name: s.name, size: s.size }));
  out.links = entry.links;
  if (entry.target !== undefined) out.target = entry.target;
  if (idStyleOf(options.fs) === 'mft') {
    out.mft = { record: entry.id.record, sequence: entry.id.sequence };
    if (entry.parent) out.parentMft = { record: entry.parent.record, sequence: entry.parent.sequence };
  } else {
    out.inode = entry.id.record;
    out.generation = entry.id.sequence;
    if (entry.parent) out.parentInode = entry.parent.record;
  }
  if (entry.dosName !== undefined) out.dosName = entry.dosName;
  if (entry.details !== undefined) out.details = { ...entry.details };
  if (entry.deleted) out.deleted = true;
  if (entry.undecodable !== undefined) out.undecodable = entry.undecodable;
  if (entry.security) {
    // Asked for (grt-ls --security): null says the descriptor has no such part.
    out.owner = entry.security.owner ?? null;
    out.group = entry.security.group ?? null;
    if (entry.security.daclKept !== false) out.dacl = entry.security.dacl ?? null;
  }
  out.warnings = entry.warnings.map((w) => ({ ...w }));
  return out;
}
