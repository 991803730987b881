/**
 * From an assembled MFT file to the parts of a FileEntry that do not depend on the path it was
 * reached by: times, attributes, type, sizes, streams, link count, reparse target.
 *
 * Sources: [MS-FSCC] 2.6 (FILE_ATTRIBUTE_* flags), 2.1.2 (reparse tags); libyal libfsntfs notes.
 */
import { GrtError, warningFrom, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import type { EntryTimes, EntryType, FileEntry, StreamInfo } from '../entry.js';
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
import { INTERIX_SYMLINK_MAGIC, MAX_INTERIX_BYTES, parseInterixSymlink, parseReparsePoint } from './reparse-point.js';
import { parseStandardInformation, type StandardInformation } from './standard-information.js';

export const FILE_ATTRIBUTE_SYSTEM = 0x4;
export const FILE_ATTRIBUTE_DIRECTORY = 0x10;
export const FILE_ATTRIBUTE_ENCRYPTED = 0x4000;

/** Reparse data is at most 16 KiB ([MS-FSCC] 2.1.2: MAXIMUM_REPARSE_DATA_BUFFER_SIZE). */
const MAX_REPARSE_BYTES = 16 * 1024;
const ZERO_TIMES: EntryTimes = { mtime: 0n, atime: 0n, ctime: 0n, btime: 0n };

/** A FileEntry without the path-dependent fields. */
export type EntryBody = Omit<FileEntry, 'path' | 'name' | 'parent' | 'dosName'>;

export interface DescribedFile {
  body: EntryBody;
  /** Names that are links (POSIX, Win32, Win32&DOS), each with the DOS name paired with it. */
  links: { name: FileName; dosName?: string }[];
}

/** The data streams of a file: name → extents sorted by VCN. */
export function dataStreams(attributes: readonly Attribute[]): Map<string, Attribute[]> {
  const streams = new Map<string, Attribute[]>();
  for (const a of attributes) {
    if (a.type !== ATTR_DATA) continue;
    const list = streams.get(a.name);
    if (list) list.push(a);
    else streams.set(a.name, [a]);
  }
  for (const list of streams.values()) list.sort((x, y) => (x.nonResident?.startVcn ?? 0) - (y.nonResident?.startVcn ?? 0));
  return streams;
}

function streamSize(extents: Attribute[]): number {
  const head = extents.find((e) => e.value !== null || e.nonResident?.startVcn === 0);
  return head ? (head.value?.length ?? head.nonResident!.dataSize) : 0;
}

/** A read describing a file needs (a non-resident reparse point, a possible Interix link). */
type DescribeRead = () => Promise<Uint8Array | undefined>;

/** Describe a file. Errors in single attributes become warnings on the entry. */
export async function describeFile(file: NtfsFile, dataSource: ByteSource, clusterSize: number): Promise<DescribedFile> {
  const steps = describeSteps(file, dataSource, clusterSize);
  for (let step = steps.next(); ; ) {
    if (step.done) return step.value;
    step = steps.next(await step.value());
  }
}

/**
 * describeFile for a file that needs no reads — most files — without a promise: a scan describes
 * every record, and an await per record costs more than describing it. Undefined when a read is
 * needed (then call describeFile).
 */
export function describeFileNow(file: NtfsFile, dataSource: ByteSource, clusterSize: number): DescribedFile | undefined {
  const step = describeSteps(file, dataSource, clusterSize).next();
  return step.done ? step.value : undefined;
}

/** The description, yielding each read it needs (nothing started until the driver calls it). */
function* describeSteps(file: NtfsFile, dataSource: ByteSource, clusterSize: number): Generator<DescribeRead, DescribedFile, Uint8Array | undefined> {
  const warnings: GrtWarning[] = file.warnings.length > 0 ? [...file.warnings] : [];
  const structure = `MFT record ${file.record.recordNumber}`;
  // One pass over the attributes (this runs for every record of a scan): the first
  // $STANDARD_INFORMATION and $REPARSE_POINT, every $FILE_NAME, whether a $I30 index root exists.
  let si: Attribute | undefined;
  let reparse: Attribute | undefined;
  let hasIndexRoot = false;
  const names: FileName[] = [];
  for (const a of file.attributes) {
    if (a.type === ATTR_STANDARD_INFORMATION) {
      if (si === undefined && a.value) si = a;
    } else if (a.type === ATTR_FILE_NAME) {
      if (!a.value) continue;
      try {
        names.push(parseFileName(a.value, structure));
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
        warnings.push(warningFrom(error));
      }
    } else if (a.type === ATTR_INDEX_ROOT) {
      if (a.name === '$I30') hasIndexRoot = true;
    } else if (a.type === ATTR_REPARSE_POINT) {
      reparse ??= a;
    }
  }
  let standard: StandardInformation | undefined;
  if (si) {
    try {
      standard = parseStandardInformation(si.value!, structure);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      // Reported before the name warnings, as the attributes are ordered on disk.
      warnings.splice(file.warnings.length, 0, warningFrom(error));
    }
  } else {
    warnings.splice(file.warnings.length, 0, { code: 'BAD_RECORD', message: `${structure}: no $STANDARD_INFORMATION` });
  }

  // map, not push: an array grown by push keeps room for 17 elements, and a scan holds the links
  // of every file of the volume until it ends.
  const links: DescribedFile['links'] = names
    .filter((n) => n.namespace !== NAMESPACE_DOS)
    .map((name) => ({ name, dosName: names.find((d) => d.namespace === NAMESPACE_DOS && d.parent.record === name.parent.record)?.name }));

  const isDir = (file.record.flags & RECORD_IS_DIRECTORY) !== 0 || hasIndexRoot;
  let type: EntryType = isDir ? 'dir' : 'file';
  let attributes = (standard?.attributes ?? 0) | (isDir ? FILE_ATTRIBUTE_DIRECTORY : 0);
  let target: string | undefined;
  let undecodable: string | undefined;

  if (reparse) {
    const value = reparse.value ?? (yield () => attemptAsync(async () => {
      const layout = buildLayout([reparse], clusterSize, structure);
      return openLayoutStream(dataSource, layout).read(0, Math.min(MAX_REPARSE_BYTES, layout.size));
    }, warnings));
    let point: ReturnType<typeof parseReparsePoint> | undefined;
    try {
      if (value) point = parseReparsePoint(value, structure);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      warnings.push(warningFrom(error));
    }
    if (point?.kind === 'symlink' || point?.kind === 'junction') {
      type = point.kind;
      target = point.target;
    } else if (point?.kind === 'wof' || point?.kind === 'dedup') {
      undecodable = point.kind;
    }
  }

  const streams = dataStreams(file.attributes);
  const main = streams.get('');
  let encrypted = (attributes & FILE_ATTRIBUTE_ENCRYPTED) !== 0;
  for (const extents of streams.values()) if ((extents[0]!.flags & ATTR_FLAG_ENCRYPTED) !== 0) encrypted = true;
  if (encrypted) undecodable ??= 'efs';
  const size = isDir || !main ? 0 : streamSize(main);
  // Interix (SFU / ntfs-3g `ln -s`) symlink: a SYSTEM file whose data is IntxLNK\1 + UTF-16 target.
  if (type === 'file' && main && (attributes & FILE_ATTRIBUTE_SYSTEM) !== 0 && size >= 10 && size <= MAX_INTERIX_BYTES && !undecodable) {
    const data = yield () => attemptAsync(async () => {
      const stream = openLayoutStream(dataSource, buildLayout(main, clusterSize, structure));
      // Look at the magic first: SYSTEM files (desktop.ini, ...) are common and rarely links.
      const magic = await stream.read(0, 8);
      return magic.every((b, i) => b === INTERIX_SYMLINK_MAGIC[i]) ? stream.read(0, size) : undefined;
    }, warnings);
    const interix = data ? parseInterixSymlink(data) : undefined;
    if (interix !== undefined) {
      type = 'symlink';
      target = interix;
    }
  }
  const streamInfo: StreamInfo[] = [];
  for (const [name, extents] of streams) if (name !== '') streamInfo.push({ name, size: streamSize(extents) });

  const body: EntryBody = {
    type,
    size,
    times: standard?.times ?? ZERO_TIMES,
    attributes,
    streams: streamInfo,
    links: links.length,
    id: { record: file.record.recordNumber, sequence: file.record.sequence },
    warnings,
  };
  if (target !== undefined) body.target = target;
  if (undecodable) body.undecodable = undecodable;
  if (!file.record.inUse) body.deleted = true;
  return { body, links };
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
