/**
 * Catalog (or live listing) rows in two interchange formats:
 *  - NDJSON: one JSON object a line, times as ISO 8601 with all seven FILETIME digits.
 *  - The Sleuth Kit body file, format 3.x (the one `fls -m` writes and `mactime` reads):
 *    MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime, times in whole Unix
 *    seconds, NTFS "MFT changed" as ctime and creation as crtime; alternate data streams get their
 *    own line as `name:stream`, deleted names end in " (deleted)", as fls prints them.
 */
import type { FileEntry } from '../fs/entry.js';
import { filetimeToIso, filetimeToUnixSeconds } from '../util/filetime.js';

type Entries = AsyncIterable<FileEntry> | Iterable<FileEntry>;

/** FILE_ATTRIBUTE_READONLY ([MS-FSCC] 2.6). */
const ATTRIBUTE_READONLY = 0x1;

export interface ExportOptions {
  /** Volume number added to every NDJSON row. */
  volume?: number;
  /** Prefix for body-file names, e.g. "C:" (fls -m's mount point argument). */
  mountPoint?: string;
}

/** One JSON line (with its '\n') for each entry. */
export async function* toNdjson(entries: Entries, options: ExportOptions = {}): AsyncIterable<string> {
  for await (const e of entries) {
    const row: Record<string, unknown> = {};
    if (options.volume !== undefined) row.volume = options.volume;
    Object.assign(row, {
      path: e.path,
      name: e.name,
      type: e.type,
      size: e.size,
      mtime: filetimeToIso(e.times.mtime),
      atime: filetimeToIso(e.times.atime),
      ctime: filetimeToIso(e.times.ctime),
      btime: filetimeToIso(e.times.btime),
      attributes: e.attributes,
      streams: e.streams,
      links: e.links,
      id: e.id,
    });
    if (e.parent) row.parent = e.parent;
    if (e.target !== undefined) row.target = e.target;
    if (e.dosName !== undefined) row.dosName = e.dosName;
    if (e.deleted) row.deleted = true;
    if (e.undecodable !== undefined) row.undecodable = e.undecodable;
    if (e.warnings.length > 0) row.warnings = e.warnings;
    yield `${JSON.stringify(row)}\n`;
  }
}

/** Unix seconds, whole, as mactime wants them; 0 for an unset FILETIME. */
function seconds(filetime: bigint): number {
  return filetime === 0n ? 0 : Math.floor(filetimeToUnixSeconds(filetime));
}

/** The mode string fls prints: "<name type>/<meta type><rwx×3>", NTFS has no owners so rwx is derived from read-only. */
function modeString(e: FileEntry): string {
  const letter = e.type === 'dir' ? 'd' : e.type === 'file' ? 'r' : e.type === 'other' ? '-' : 'l';
  const rwx = e.attributes & ATTRIBUTE_READONLY ? 'r-xr-xr-x' : 'rwxrwxrwx';
  return `${letter}/${letter}${rwx}`;
}

/** NOTE: the body file has no quoting; a '|' or newline in a name would break a row, so they are escaped. */
function bodyName(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, '\\n');
}

/** Body-file lines (each with its '\n'): one per entry, one more per alternate data stream. */
export async function* toBodyfile(entries: Entries, options: ExportOptions = {}): AsyncIterable<string> {
  const prefix = options.mountPoint ?? '';
  for await (const e of entries) {
    const times = [e.times.atime, e.times.mtime, e.times.ctime, e.times.btime].map(seconds).join('|');
    const suffix = e.deleted ? ' (deleted)' : '';
    // NOTE: fls writes record-attrType-attrId (64-128-2); the catalog keeps no attribute ids, so
    // the plain MFT record number goes here — what icat and istat take as the inode (icat of it
    // gives the unnamed stream). "record-sequence" had read to TSK as record-attrType.
    const inode = String(e.id.record);
    const path = e.path === '/' ? prefix + '/' : prefix + e.path;
    yield `0|${bodyName(path)}${suffix}|${inode}|${modeString(e)}|0|0|${e.size}|${times}\n`;
    for (const s of e.streams) {
      yield `0|${bodyName(`${path}:${s.name}`)}${suffix}|${inode}|${modeString(e)}|0|0|${s.size}|${times}\n`;
    }
  }
}
