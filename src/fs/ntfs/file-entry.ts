/**
 * From an assembled MFT file to the parts of a FileEntry that do not depend on the path it was
 * reached by: times, attributes, type, sizes, streams, link count, reparse target.
 *
 * Sources: [MS-FSCC] 2.6 (FILE_ATTRIBUTE_* flags), 2.1.2 (reparse tags); libyal libfsntfs notes.
 */
import { GrtError, warningFrom, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import type { EntryTimes, EntryType, FileEntry, StreamInfo } from '../file-system.js';
import {
  ATTR_DATA,
  ATTR_FILE_NAME,
  ATTR_FLAG_ENCRYPTED,
  ATTR_INDEX_ROOT,
  ATTR_REPARSE_POINT,
  ATTR_STANDARD_INFORMATION,
  type Attribute,
} from './attribute.js';
import { buildLayout, openLayoutStream } from './data-stream.js';
import { NAMESPACE_DOS, parseFileName, type FileName } from './file-name.js';
import { RECORD_IS_DIRECTORY } from './mft-record.js';
import type { NtfsFile } from './mft.js';
import { INTERIX_SYMLINK_MAGIC, MAX_INTERIX_BYTES, parseInterixSymlink, parseReparsePoint, TAG_WOF } from './reparse-point.js';
import { parseStandardInformation, type StandardInformation } from './standard-information.js';
import { append } from '../../util/append.js';
import { parseWofReparse, WOF_STREAM_NAME, type WofAlgorithm } from './wof.js';
import { entryTimesOf, filetimeToNs } from '../../util/time.js';

export const FILE_ATTRIBUTE_SYSTEM = 0x4;
export const FILE_ATTRIBUTE_DIRECTORY = 0x10;
export const FILE_ATTRIBUTE_ENCRYPTED = 0x4000;
/** `undecodable` of a WOF file whose data lives in a WIM image outside the volume (WIM provider). */
export const UNDECODABLE_WOF_WIM = 'wof-wim';

/** Reparse data is at most 16 KiB ([MS-FSCC] 2.1.2: MAXIMUM_REPARSE_DATA_BUFFER_SIZE). */
const MAX_REPARSE_BYTES = 16 * 1024;
/** A FILETIME of 0 (1601-01-01): the times of a record without $STANDARD_INFORMATION. */
const FILETIME_ZERO_NS = filetimeToNs(0n);
export const ZERO_TIMES: Readonly<EntryTimes> = { mtime: FILETIME_ZERO_NS, atime: FILETIME_ZERO_NS, ctime: FILETIME_ZERO_NS, btime: FILETIME_ZERO_NS };

/** A FileEntry without the path-dependent fields. */
export type EntryBody = Omit<FileEntry, 'path' | 'name' | 'parent' | 'dosName'>;

export interface DescribedFile {
  body: EntryBody;
  /** Names that are links (POSIX, Win32, Win32&DOS), each with the DOS name paired with it. */
  links: { name: FileName; dosName?: string }[];
  /**
   * The data streams in the order first met, each its extents sorted by VCN (all of one name:
   * `extents[0].name`). A list, not a Map: most files have one stream, and a Map per file was a
   * measurable share of a 100k-file catalog build.
   */
  streams: Attribute[][];
  /** A WOF file-provider file: its unnamed stream is the plaintext of WofCompressedData. */
  wof?: WofAlgorithm;
}

/** The stream named `name` (extents), if the file has one. */
function streamNamed(streams: Attribute[][], name: string): Attribute[] | undefined {
  for (const extents of streams) if (extents[0]!.name === name) return extents;
  return undefined;
}

function streamSize(extents: Attribute[]): number {
  for (const e of extents) {
    if (e.value !== null) return e.value.length;
    if (e.nonResident?.startVcn === 0) return e.nonResident.dataSize;
  }
  return 0;
}

/**
 * Describe a file. Errors in single attributes become warnings on the entry. `rawWof`: a WOF file
 * is described as stored (its WofCompressedData stream listed) rather than as its plaintext.
 */
export async function describeFile(file: NtfsFile, dataSource: ByteSource, clusterSize: number, rawWof = false): Promise<DescribedFile> {
  const d = gather(file);
  d.rawWof = rawWof;
  if (d.reparse) {
    const reparse = d.reparse;
    const value = reparse.value ?? (await attemptAsync(async () => {
      const layout = buildLayout([reparse], clusterSize, d.structure);
      return openLayoutStream(dataSource, layout).read(0, Math.min(MAX_REPARSE_BYTES, layout.size));
    }, d.warnings));
    applyReparse(d, value);
  }
  let interix: Uint8Array | undefined;
  if (interixCandidate(d)) {
    const main = streamNamed(d.streams, '')!;
    interix = await attemptAsync(async () => {
      const stream = openLayoutStream(dataSource, buildLayout(main, clusterSize, d.structure));
      // Look at the magic first: SYSTEM files (desktop.ini, ...) are common and rarely links.
      const magic = await stream.read(0, 8);
      return magic.every((b, i) => b === INTERIX_SYMLINK_MAGIC[i]) ? stream.read(0, d.size) : undefined;
    }, d.warnings);
  }
  return finish(d, interix);
}

/**
 * describeFile for a file that needs no reads — most files — without a promise: a scan describes
 * every record, and an await per record costs more than describing it. Undefined when a read is
 * needed (then call describeFile).
 */
export function describeFileNow(file: NtfsFile): DescribedFile | undefined {
  const d = gather(file);
  if (d.reparse) {
    if (d.reparse.value === null) return undefined;
    applyReparse(d, d.reparse.value);
  }
  return interixCandidate(d) ? undefined : finish(d, undefined);
}

/** A description in progress: what one pass over the attributes found. */
interface Description {
  file: NtfsFile;
  structure: string;
  warnings: GrtWarning[];
  standard: StandardInformation | undefined;
  reparse: Attribute | undefined;
  links: DescribedFile['links'];
  streams: Attribute[][];
  isDir: boolean;
  type: EntryType;
  attributes: number;
  size: number;
  target: string | undefined;
  undecodable: string | undefined;
  wof: WofAlgorithm | undefined;
  rawWof: boolean;
}

/** One pass over the attributes (this runs for every record of a scan). */
function gather(file: NtfsFile): Description {
  const warnings: GrtWarning[] = file.warnings.length > 0 ? [...file.warnings] : [];
  const structure = `MFT record ${file.record.recordNumber}`;
  // The first $STANDARD_INFORMATION and $REPARSE_POINT, every $FILE_NAME, whether a $I30 index
  // root exists, the data streams.
  let si: Attribute | undefined;
  let reparse: Attribute | undefined;
  let hasIndexRoot = false;
  let names: FileName[] | undefined;
  let dosNames = 0;
  // Lists start undefined and grow by append (util/append.ts: short lists per record).
  let streams: Attribute[][] | undefined;
  let unsorted = false;
  for (const a of file.attributes) {
    if (a.type === ATTR_STANDARD_INFORMATION) {
      if (si === undefined && a.value) si = a;
    } else if (a.type === ATTR_FILE_NAME) {
      if (!a.value) continue;
      try {
        const name = parseFileName(a.value, structure, a.byteOffset);
        names = append(names, name);
        if (name.namespace === NAMESPACE_DOS) dosNames++;
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
        warnings.push(warningFrom(error));
      }
    } else if (a.type === ATTR_INDEX_ROOT) {
      if (a.name === '$I30') hasIndexRoot = true;
    } else if (a.type === ATTR_REPARSE_POINT) {
      reparse ??= a;
    } else if (a.type === ATTR_DATA) {
      const list = streams && streamNamed(streams, a.name);
      if (list) {
        list.push(a);
        unsorted = true;
      } else streams = append(streams, [a]);
    }
  }
  streams ??= [];
  if (unsorted) for (const list of streams) list.sort(byStartVcn);
  const standard = standardOf(si, file, structure, warnings);
  const links = linksOf(names, dosNames);
  const isDir = (file.record.flags & RECORD_IS_DIRECTORY) !== 0 || hasIndexRoot;
  const main = streamNamed(streams, '');
  return {
    file,
    structure,
    warnings,
    standard,
    reparse,
    links,
    streams,
    isDir,
    type: isDir ? 'dir' : 'file',
    // NOTE: `|` gives a signed 32-bit result; Windows sets bit 31 on some files (seen on real
    // volumes), and FILE_ATTRIBUTE_* is unsigned ([MS-FSCC] 2.6).
    attributes: ((standard?.attributes ?? 0) | (isDir ? FILE_ATTRIBUTE_DIRECTORY : 0)) >>> 0,
    size: isDir || !main ? 0 : streamSize(main),
    target: undefined,
    undecodable: undefined,
    wof: undefined,
    rawWof: false,
  };
}

/**
 * The decoded $STANDARD_INFORMATION `si`, or undefined with a warning when it is missing or
 * damaged; the warning goes before the name warnings, as the attributes are ordered on disk.
 */
function standardOf(si: Attribute | undefined, file: NtfsFile, structure: string, warnings: GrtWarning[]): StandardInformation | undefined {
  if (!si) {
    warnings.splice(file.warnings.length, 0, { code: 'BAD_RECORD', message: `${structure}: no $STANDARD_INFORMATION` });
    return undefined;
  }
  try {
    return parseStandardInformation(si.value!, structure, si.byteOffset);
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    warnings.splice(file.warnings.length, 0, warningFrom(error));
    return undefined;
  }
}

/** Links are the non-DOS names, each with the DOS name of the same parent (`dosNames` of them). */
function linksOf(names: readonly FileName[] | undefined, dosNames: number): DescribedFile['links'] {
  let links: DescribedFile['links'] | undefined;
  if (names) {
    for (const name of names) {
      if (name.namespace === NAMESPACE_DOS) continue;
      const dos = dosNames === 0 ? undefined : names.find((d) => d.namespace === NAMESPACE_DOS && d.parent.record === name.parent.record);
      links = append(links, { name, dosName: dos?.name });
    }
  }
  return links ?? [];
}

function byStartVcn(x: Attribute, y: Attribute): number {
  return (x.nonResident?.startVcn ?? 0) - (y.nonResident?.startVcn ?? 0);
}

/** Type, target or undecodable kind from the reparse data (undefined: it could not be read). */
function applyReparse(d: Description, value: Uint8Array | undefined): void {
  let point: ReturnType<typeof parseReparsePoint> | undefined;
  try {
    if (value) point = parseReparsePoint(value, d.structure, d.reparse?.byteOffset);
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    d.warnings.push(warningFrom(error));
  }
  if (point?.kind === 'symlink' || point?.kind === 'junction') {
    d.type = point.kind;
    d.target = point.target;
  } else if (point?.kind === 'wof' && point.wof?.provider === 'file') {
    if (!d.rawWof) d.wof = point.wof.algorithm;
  } else if (point?.kind === 'wof' && point.wof?.provider === 'wim') {
    d.undecodable = UNDECODABLE_WOF_WIM;
  } else if (point?.kind === 'wof' || point?.kind === 'dedup') {
    d.undecodable = point.kind;
  }
}

/** Whether the file is encrypted (then undecodable 'efs'). */
function encrypted(d: Description): boolean {
  if ((d.attributes & FILE_ATTRIBUTE_ENCRYPTED) !== 0) return true;
  for (const extents of d.streams) if ((extents[0]!.flags & ATTR_FLAG_ENCRYPTED) !== 0) return true;
  return false;
}

/**
 * Records of the fixed metafiles ($MFT … $Extend and the four reserved after them; libfsntfs
 * "Metadata files"): SYSTEM files that are never Interix symlinks. Not sniffing them keeps a
 * listing from reading $MFTMirr, which lies mid-volume (a backup stream reaches it halfway).
 */
const FIXED_METAFILE_RECORDS = 16;

/** Interix (SFU / ntfs-3g `ln -s`) symlink candidate: a SYSTEM file whose data may be IntxLNK\1 + UTF-16 target. */
function interixCandidate(d: Description): boolean {
  if (encrypted(d)) d.undecodable ??= 'efs';
  return d.file.record.recordNumber >= FIXED_METAFILE_RECORDS && d.type === 'file' && streamNamed(d.streams, '') !== undefined && (d.attributes & FILE_ATTRIBUTE_SYSTEM) !== 0 && d.size >= 10 && d.size <= MAX_INTERIX_BYTES && !d.undecodable;
}

function finish(d: Description, interixData: Uint8Array | undefined): DescribedFile {
  const interix = interixData ? parseInterixSymlink(interixData) : undefined;
  if (interix !== undefined) {
    d.type = 'symlink';
    d.target = interix;
  }
  const streamInfo: StreamInfo[] = [];
  for (const extents of d.streams) {
    const name = extents[0]!.name;
    // A decoded WOF file's compressed stream is how its plaintext is stored, not a stream of its own.
    if (name !== '' && !(d.wof && name === WOF_STREAM_NAME)) streamInfo.push({ name, size: streamSize(extents) });
  }
  const record = d.file.record;
  const body: EntryBody = {
    type: d.type,
    size: d.size,
    times: entryTimesOf(d.standard?.times ?? ZERO_TIMES),
    attributes: d.attributes,
    streams: streamInfo,
    links: d.links.length,
    id: { record: record.recordNumber, sequence: record.sequence },
    warnings: d.warnings,
  };
  if (d.target !== undefined) body.target = d.target;
  if (d.undecodable) body.undecodable = d.undecodable;
  if (!record.inUse) body.deleted = true;
  const described: DescribedFile = { body, links: d.links, streams: d.streams };
  if (d.wof && !d.undecodable) described.wof = d.wof;
  return described;
}

/**
 * The FileEntry of a described file under one of its names. Field by field, in the order a spread
 * of the body would give (JSON output keeps its key order): a spread of bodies of many shapes takes
 * V8's slow path, and this runs for every file listed.
 */
export function toFileEntry(body: EntryBody, path: string, name: string, parent?: { record: number; sequence: number }): FileEntry {
  const entry = { type: body.type, size: body.size, times: body.times, attributes: body.attributes, streams: body.streams, links: body.links, id: body.id, warnings: body.warnings } as FileEntry;
  if (body.target !== undefined) entry.target = body.target;
  if (body.undecodable !== undefined) entry.undecodable = body.undecodable;
  if (body.deleted !== undefined) entry.deleted = body.deleted;
  entry.path = path;
  entry.name = name;
  if (parent) entry.parent = parent;
  return entry;
}

/** The format of a WOF file-provider file from its attributes; undefined for any other file. */
export function wofAlgorithmOf(attributes: readonly Attribute[]): WofAlgorithm | undefined {
  const value = attributes.find((a) => a.type === ATTR_REPARSE_POINT)?.value;
  if (!value || value.length < 8 || new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true) !== TAG_WOF) return undefined;
  const wof = parseWofReparse(value);
  return wof.provider === 'file' ? wof.algorithm : undefined;
}

async function attemptAsync<T>(fn: () => Promise<T>, warnings: GrtWarning[]): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    warnings.push(warningFrom(error));
    return undefined;
  }
}
