/**
 * Catalog (or live listing) rows in two interchange formats:
 *  - NDJSON: one JSON object a line, fs/entry-json.ts's form (times as ISO 8601, nine digits).
 *  - The Sleuth Kit body file, format 3.x (the one `fls -m` writes and `mactime` reads):
 *    MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime, times in whole Unix
 *    seconds, NTFS "MFT changed" as ctime and creation as crtime; alternate data streams get their
 *    own line as `name:stream`, deleted names end in " (deleted)", as fls prints them.
 */
import type { FileEntry } from '../fs/file-system.js';
import { entryToJSON, type EntryJsonOptions } from '../fs/entry-json.js';
import { filetimeToNs, IsoCache, nsToWholeSeconds } from '../util/time.js';

type Entries = AsyncIterable<FileEntry> | Iterable<FileEntry>;

/** FILE_ATTRIBUTE_READONLY ([MS-FSCC] 2.6). */
const ATTRIBUTE_READONLY = 0x1;

export interface ExportOptions {
  /** Added to every NDJSON row as `volume`: a partition number of the first disk, else the volume id. */
  volume?: number | string;
  /** The volume's file system: names the id keys of NDJSON rows (fs/entry-json.ts). */
  fs?: string;
  /** Prefix for body-file names, e.g. "C:" (fls -m's mount point argument). */
  mountPoint?: string;
}

/** One JSON line (with its '\n') for each entry, in the form of fs/entry-json.ts. */
export async function* toNdjson(entries: Entries, options: ExportOptions = {}): AsyncIterable<string> {
  const isoCache = new IsoCache();
  const json: EntryJsonOptions = { isoCache, ...(options.fs !== undefined ? { fs: options.fs } : {}), ...(options.volume !== undefined ? { volume: options.volume } : {}) };
  for await (const e of entries) yield `${JSON.stringify(entryToJSON(e, json))}\n`;
}

/** A FILETIME of 0 (NTFS: never set), as nanoseconds since 1970. */
const FILETIME_ZERO_NS = filetimeToNs(0n);

/** Unix seconds, whole, as mactime wants them; 0 for a time never set (absent, or FILETIME 0). */
function seconds(ns: bigint | undefined): number {
  return ns === undefined || ns === FILETIME_ZERO_NS ? 0 : nsToWholeSeconds(ns);
}

/**
 * The mode string fls prints: "<name type>/<meta type><rwx×3>": from the permission bits where
 * the file system has them; NTFS has no owners, so rwx is derived from read-only there.
 */
function modeString(e: FileEntry): string {
  const letter = e.type === 'dir' ? 'd' : e.type === 'file' ? 'r' : e.type === 'other' ? '-' : 'l';
  if (e.mode !== undefined) return `${letter}/${letter}${rwxOf(e.mode)}`;
  const rwx = (e.attributes ?? 0) & ATTRIBUTE_READONLY ? 'r-xr-xr-x' : 'rwxrwxrwx';
  return `${letter}/${letter}${rwx}`;
}

/** `rwxr-x---` of permission bits (setuid/setgid/sticky shown as s/S and t/T, as ls does). */
export function rwxOf(mode: number): string {
  let out = '';
  for (let shift = 6; shift >= 0; shift -= 3) {
    const bits = (mode >> shift) & 7;
    const special = shift === 6 ? mode & 0o4000 : shift === 3 ? mode & 0o2000 : mode & 0o1000;
    const x = special ? (bits & 1 ? (shift === 0 ? 't' : 's') : shift === 0 ? 'T' : 'S') : bits & 1 ? 'x' : '-';
    out += `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${x}`;
  }
  return out;
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
    const owner = `${e.uid ?? 0}|${e.gid ?? 0}`;
    yield `0|${bodyName(path)}${suffix}|${inode}|${modeString(e)}|${owner}|${e.size}|${times}\n`;
    for (const s of e.streams) {
      yield `0|${bodyName(`${path}:${s.name}`)}${suffix}|${inode}|${modeString(e)}|${owner}|${s.size}|${times}\n`;
    }
  }
}
