/**
 * An NTFS volume, read-only: `openNtfs(source)` → `NtfsVolume` (the FileSystem contract).
 *
 * Sources: libyal libfsntfs format notes (system files: 3 $Volume, 5 root, 10 $UpCase, 11 $Extend),
 * [MS-FSCC]. Metadata (records, index nodes) goes through a block cache; file data is read from
 * the source directly (large reads, read once).
 */
import { Readable } from 'node:stream';
import { GrtError, warningFrom, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { CachedSource, type CachedSourceOptions } from '../../io/cached-source.js';
import type { FileEntry, FileSystem, ListOptions, NameRule, StreamLayout, EntrySecurity } from '../file-system.js';
import { ATTR_DATA, ATTR_INDEX_ROOT, ATTR_REPARSE_POINT, ATTR_VOLUME_INFORMATION, ATTR_VOLUME_NAME } from './attribute.js';
import { readBootSector } from './boot-sector.js';
import type { GrainInflation } from '../../vmdk/inflation.js';
import { buildLayout, openLayoutStream } from './data-stream.js';
import { inIndexOrder } from '../name-order.js';
import { DirectoryReader } from './directory.js';
import type { IndexEntry } from './directory-index.js';
import { describeFile, toFileEntry, UNDECODABLE_WOF_WIM, wofAlgorithmOf, ZERO_TIMES } from './file-entry.js';
import { WOF_STREAM_NAME, wofLayout } from './wof.js';
import { FILE_NAME_FLAG_DIRECTORY, NAMESPACE_DOS } from './file-name.js';
import { extentsOf, Mft, readAttributeValue, type NtfsFile } from './mft.js';
import { RECORD_IS_DIRECTORY } from './mft-record.js';
import { isMetafile, ORPHAN_DIR, ROOT_RECORD, type NameTree } from './name-tree.js';
import { pathFromParents } from './record-path.js';
import { deletedChildren, scanListing, scanRecords, treeEntries, type OnScannedRecord, type ScanOptions, type ScannedEntry } from './scan.js';
import { RunGuard } from './run-guard.js';
import { OwnerCache } from './owner-cache.js';
import { entrySecurity, openSecureStore, readFileSecurity } from './security-file.js';
import type { FileSecurity, SecureStore } from './security-secure.js';
import { UPCASE_BYTES, UpcaseTable } from './upcase.js';
import { decodeUtf16 } from './utf16.js';
import { entryTimesOf } from '../../util/time.js';

const VOLUME_RECORD = 3;
const UPCASE_RECORD = 10;
/** Path components followed in one lookup (NTFS paths are at most 32767 UTF-16 units). */
const MAX_PATH_DEPTH = 16384;
/** Child records read concurrently when listing a directory. */
const CHILD_BATCH = 64;
/** Chunk size of createReadStream. */
const READ_STREAM_CHUNK = 1024 * 1024;

export interface OpenNtfsOptions {
  /** The metadata block cache (records, index nodes). */
  cache?: CachedSourceOptions;
  /**
   * Read WOF-compressed (Compact OS) files as stored: the unnamed stream as it is on the volume
   * (sparse, zeros) beside the WofCompressedData stream, instead of the decompressed plaintext.
   */
  rawWof?: boolean;
  inflation?: GrainInflation; // where WOF chunks of large reads are decoded (wof.ts); default this thread
}

export interface NtfsInfo {
  label?: string;
  /** Volume serial number, 16 upper-case hex digits. */
  serial: string;
  clusterSize: number;
  sectorSize: number;
  recordSize: number;
  indexBlockSize: number;
  /** NTFS version from $VOLUME_INFORMATION, e.g. '3.1'. */
  version?: string;
  volumeSize: number;
  mftRecords: number;
  [key: string]: unknown;
}

export async function openNtfs(source: ByteSource, options: OpenNtfsOptions = {}): Promise<NtfsVolume> {
  const warnings: GrtWarning[] = [];
  const meta = new CachedSource(source, options.cache);
  const boot = await readBootSector(meta, warnings);
  const mft = await Mft.open(meta, boot, warnings);
  const info: NtfsInfo = {
    serial: boot.serial,
    clusterSize: boot.clusterSize,
    sectorSize: boot.sectorSize,
    recordSize: boot.recordSize,
    indexBlockSize: boot.indexBlockSize,
    volumeSize: boot.volumeSize,
    mftRecords: mft.recordCount,
  };
  const attempt = async (fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      warnings.push(warningFrom(error));
    }
  };
  await attempt(async () => {
    const volume = await mft.loadFile(VOLUME_RECORD);
    const name = volume.attributes.find((a) => a.type === ATTR_VOLUME_NAME && a.value);
    if (name) info.label = decodeUtf16(name.value!, 0, name.value!.length >> 1);
    const version = volume.attributes.find((a) => a.type === ATTR_VOLUME_INFORMATION && a.value && a.value.length >= 10);
    if (version) info.version = `${version.value![8]}.${version.value![9]}`;
  });
  let upcase: UpcaseTable | undefined;
  await attempt(async () => {
    const extents = extentsOf((await mft.loadFile(UPCASE_RECORD)).attributes, ATTR_DATA, '');
    upcase = UpcaseTable.fromBytes(await readAttributeValue(meta, extents, boot.clusterSize, UPCASE_BYTES, '$UpCase'), extents[0]?.byteOffset);
  });
  if (!upcase) warnings.push({ code: 'BAD_ATTRIBUTE', message: '$UpCase unreadable; names compare with ASCII case folding only' });
  return new NtfsVolume(source, meta, mft, upcase ?? UpcaseTable.ascii(), info, warnings, options.rawWof ?? false, options.inflation);
}

interface Resolved {
  file: NtfsFile;
  entry: FileEntry;
}

export class NtfsVolume implements FileSystem {
  readonly kind = 'ntfs' as const;
  private readonly directories: DirectoryReader;
  private readonly runGuard: RunGuard;
  /** $Secure:$SDS, opened on the first `security` call (listings without owners never read it). */
  private secureStore: Promise<SecureStore> | undefined;

  constructor(
    private readonly source: ByteSource,
    private readonly meta: CachedSource,
    readonly mft: Mft,
    private readonly upcase: UpcaseTable,
    readonly info: NtfsInfo,
    /** Volume-level oddities: backup boot sector used, damaged records met during a scan, ... */
    readonly warnings: GrtWarning[],
    private readonly rawWof = false, private readonly inflation?: GrainInflation, // OpenNtfsOptions'
  ) {
    this.directories = new DirectoryReader(meta, mft, upcase, info, warnings);
    this.runGuard = RunGuard.of(mft);
  }

  async stat(path: string): Promise<FileEntry> {
    return (await this.resolve(path)).entry;
  }

  async readDir(path: string, options: ListOptions = {}): Promise<FileEntry[]> {
    const dir = await this.resolve(path);
    if (dir.entry.type !== 'dir') throw new GrtError('NOT_A_DIRECTORY', 'not a directory', { path });
    const out: FileEntry[] = [];
    const record = dir.file.record.recordNumber;
    const items = (await this.directories.entries(dir.file)).filter(
      // DOS names pair with a long name listed anyway; the root lists itself as '.'.
      (item) => item.key.namespace !== NAMESPACE_DOS && item.file.record !== record &&
        (options.all || record !== ROOT_RECORD || !isMetafile(record, item.key.name, item.file.record)),
    );
    // Children's records in parallel batches: a real disk serves nearby reads together.
    for (let i = 0; i < items.length; i += CHILD_BATCH) {
      out.push(...(await Promise.all(items.slice(i, i + CHILD_BATCH).map((item) => this.childEntry(dir.entry.path, record, item)))));
    }
    if (options.deleted) out.push(...deletedChildren(await scanListing(this.mft, this.source, { deleted: true }, this.warnings), record, dir.entry.path));
    // Block by block, an index is sorted only within each block (and deleted names come last).
    return inIndexOrder(out, (name) => this.upcase.key(name));
  }

  /**
   * Every entry below `path`, parents before children. From the root, or with deleted entries
   * asked for, this is one linear MFT scan (`scan`); below the root without deleted entries it
   * walks the directory indexes.
   */
  async *walk(path: string, options: ListOptions = {}): AsyncIterable<FileEntry> {
    const start = await this.resolve(path);
    if (start.entry.type !== 'dir') throw new GrtError('NOT_A_DIRECTORY', 'not a directory', { path });
    const record = start.file.record.recordNumber;
    if (record === ROOT_RECORD || options.deleted) {
      yield* treeEntries(await scanListing(this.mft, this.source, options, this.warnings), record, start.entry.path, options);
      return;
    }
    const seen = new Set<number>([record]);
    const pending: string[] = [start.entry.path];
    while (pending.length > 0) {
      const dirPath = pending.pop()!;
      const children = await this.readDir(dirPath, options);
      const subdirs: string[] = [];
      for (const child of children) {
        yield child;
        if (child.type === 'dir' && !seen.has(child.id.record)) {
          seen.add(child.id.record);
          subdirs.push(child.path);
        }
      }
      pending.push(...subdirs.reverse());
    }
  }

  /**
   * Every entry of the volume for a catalog: one linear pass over the MFT, paths built from parent
   * references (unattached names under /$Orphan), each entry with its streams' layouts when
   * `layouts` is set. Parents come before children.
   */
  async *scan(options: ScanOptions = {}): AsyncIterable<ScannedEntry> {
    yield* treeEntries(await scanListing(this.mft, this.source, options, this.warnings), ROOT_RECORD, '/', options);
  }

  /**
   * One linear MFT pass that holds nothing per file (for a catalog): each described record goes to
   * `onRecord` as it is parsed, in MFT order; with `layouts`, with its streams' layouts (resident
   * bytes valid during the call only) and owner and group (owner-cache.ts). Returns the volume's
   * name tree: its `walk` gives the paths `scan` would list, as (record, link) pairs.
   */
  scanRecords(options: ScanOptions, onRecord: OnScannedRecord): Promise<NameTree> {
    const cache = new OwnerCache((file) => this.securityOf(file));
    return scanRecords(this.mft, this.source, options.layouts && !options.owners ? { ...options, owners: (file) => cache.ownersOf(file) } : options, this.warnings, onRecord);
  }

  /**
   * The entry of MFT record `recordNumber`, in use or deleted (as `icat` reads a record by number):
   * named by its first long name, at the path its parent references give (under /$Orphan when they
   * reach no root). NOT_FOUND past the end of $MFT; a record never used fails as damaged (BAD_MAGIC).
   */
  async entryByRecord(recordNumber: number): Promise<FileEntry> {
    const file = await this.mft.loadFile(recordNumber);
    const { body, links } = await describeFile(file, this.source, this.info.clusterSize);
    if (recordNumber === ROOT_RECORD) return toFileEntry(body, '/', '');
    const link = links[0];
    if (!link) {
      const name = `$MFT-record-${recordNumber}`;
      return { ...toFileEntry(body, `${ORPHAN_DIR}/${name}`, name), warnings: [...body.warnings, { code: 'NOT_FOUND', message: `MFT record ${recordNumber} has no file name` }] };
    }
    const entry = toFileEntry(body, await pathFromParents(this.mft, link.name.name, link.name.parent), link.name.name, link.name.parent);
    if (link.dosName !== undefined) entry.dosName = link.dosName;
    return entry;
  }

  async streamLayout(target: string | FileEntry, streamName = ''): Promise<StreamLayout> {
    const { file, entry } = await this.target(target);
    refuseUndecodable(entry);
    const structure = `MFT record ${file.record.recordNumber}`;
    const algorithm = streamName === '' && !this.rawWof ? wofAlgorithmOf(file.attributes) : undefined;
    if (algorithm) {
      // The plaintext is the WofCompressedData stream decoded: its layout says where that is.
      const compressed = extentsOf(file.attributes, ATTR_DATA, WOF_STREAM_NAME);
      if (compressed.length === 0) throw new GrtError('NOT_FOUND', `WOF-compressed file without its ${WOF_STREAM_NAME} stream`, { structure, path: entry.path });
      const plain = buildLayout(extentsOf(file.attributes, ATTR_DATA, ''), this.info.clusterSize, structure);
      const layout = wofLayout(buildLayout(compressed, this.info.clusterSize, structure), plain.size, algorithm, structure);
      this.runGuard.check(layout, file.record.recordNumber, structure);
      return layout;
    }
    const extents = extentsOf(file.attributes, ATTR_DATA, streamName);
    if (extents.length === 0) {
      if (entry.type === 'dir' && streamName === '') throw new GrtError('IS_A_DIRECTORY', 'a directory has no data stream', { path: entry.path });
      throw new GrtError('NOT_FOUND', `no stream ${JSON.stringify(streamName)}`, { path: entry.path });
    }
    const layout = buildLayout(extents, this.info.clusterSize, structure);
    this.runGuard.check(layout, file.record.recordNumber, structure);
    return layout;
  }

  async openStream(target: string | FileEntry, streamName = ''): Promise<ByteSource> {
    return this.openLayout(await this.streamLayout(target, streamName));
  }

  openLayout(layout: StreamLayout): ByteSource {
    return openLayoutStream(this.source, layout, this.inflation);
  }

  /** A node stream of the data, read in 1 MiB chunks as the consumer asks for them. */
  createReadStream(target: string | FileEntry, streamName = ''): Readable {
    const open = this.openStream(target, streamName);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      const stream = await open;
      for (let offset = 0; offset < stream.size; offset += READ_STREAM_CHUNK) {
        yield await stream.read(offset, Math.min(READ_STREAM_CHUNK, stream.size - offset));
      }
    }
    open.catch(() => undefined); // the error surfaces through the stream
    return Readable.from(chunks(), { objectMode: false });
  }

  /** The security descriptor (owner, group, DACL, raw bytes) of a file, or undefined without one. */
  async security(target: string | FileEntry): Promise<FileSecurity | undefined> {
    return this.securityOf((await this.target(target)).file);
  }

  private securityOf(file: NtfsFile): Promise<FileSecurity | undefined> {
    return readFileSecurity(file, this.meta, this.info.clusterSize, () => (this.secureStore ??= openSecureStore(this.mft, this.meta, this.info.clusterSize, this.warnings)));
  }

  /** FileSystem.readSecurity: the parsed parts of the file's descriptor, without its bytes. */
  async readSecurity(entry: FileEntry): Promise<EntrySecurity | undefined> {
    return entrySecurity((await this.security(entry))?.info, true);
  }

  async readSecurityDescriptor(entry: FileEntry): Promise<Uint8Array | undefined> {
    return (await this.security(entry))?.raw;
  }

  upcaseTable(): Uint16Array {
    return this.upcase.units;
  }

  nameRule(): NameRule {
    return { kind: 'upcase', table: this.upcase.units };
  }

  async close(): Promise<void> {
    this.directories.clear();
    await this.meta.close();
  }

  private async target(target: string | FileEntry): Promise<Resolved> {
    if (typeof target === 'string') return this.resolve(target);
    const file = await this.mft.loadFile(target.id.record);
    if (file.record.sequence !== target.id.sequence) {
      throw new GrtError('NOT_FOUND', 'the record was reused since the entry was listed', { structure: `MFT record ${target.id.record}`, expected: target.id.sequence, actual: file.record.sequence, path: target.path });
    }
    return { file, entry: target };
  }

  /**
   * Follow `path` from the root. Only the last component is described (a full FileEntry); the
   * ones before it only need to be directories whose index can be read.
   */
  private async resolve(path: string): Promise<Resolved> {
    const parts = path.split('/').filter((p) => p !== '');
    if (parts.length > MAX_PATH_DEPTH) throw new GrtError('LIMIT_EXCEEDED', 'path too deep', { path, expected: MAX_PATH_DEPTH });
    let file = await this.mft.loadFile(ROOT_RECORD);
    let dirPath = '/';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const candidates = await this.directories.lookup(file, part);
      if (candidates.length === 0) throw new GrtError('NOT_FOUND', 'no such file or directory', { path });
      // Names differing only in case (POSIX namespace): prefer the exact spelling.
      const item = candidates.find((c) => c.key.name === part) ?? candidates[0]!;
      const parentRecord = file.record.recordNumber;
      file = await this.mft.loadFile(item.file.record);
      const childPath = joinPath(dirPath, item.key.name);
      if (i === parts.length - 1) return { file, entry: await this.entryFor(file, childPath, parentRecord, item) };
      if (!(await this.isDirectory(file))) throw new GrtError('NOT_A_DIRECTORY', `${childPath} is not a directory`, { path });
      dirPath = childPath;
    }
    const described = await describeFile(file, this.source, this.info.clusterSize, this.rawWof);
    return { file, entry: toFileEntry(described.body, '/', '') };
  }

  /**
   * Whether a path component can be looked into, as its entry's type would say: a directory
   * (record flag or $I30 root) without a reparse point needs no description; one with a reparse
   * point (a junction or symlink is not followed) is described to know its type.
   */
  private async isDirectory(file: NtfsFile): Promise<boolean> {
    let index = false;
    for (const a of file.attributes) {
      if (a.type === ATTR_REPARSE_POINT) return (await describeFile(file, this.source, this.info.clusterSize, this.rawWof)).body.type === 'dir';
      if (a.type === ATTR_INDEX_ROOT && a.name === '$I30') index = true;
    }
    return index || (file.record.flags & RECORD_IS_DIRECTORY) !== 0;
  }

  private async childEntry(dirPath: string, dirRecord: number, item: IndexEntry): Promise<FileEntry> {
    const path = joinPath(dirPath, item.key.name);
    try {
      return await this.entryFor(await this.mft.loadFile(item.file.record), path, dirRecord, item);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      // A damaged child record: list what the index knows about it.
      return {
        path,
        name: item.key.name,
        type: (item.key.flags & FILE_NAME_FLAG_DIRECTORY) !== 0 ? 'dir' : 'file',
        size: item.key.dataSize,
        times: entryTimesOf(ZERO_TIMES),
        attributes: 0,
        streams: [],
        links: 1,
        id: item.file,
        parent: item.key.parent,
        warnings: [warningFrom(error)],
      };
    }
  }

  private async entryFor(file: NtfsFile, path: string, parentRecord: number, item: IndexEntry): Promise<FileEntry> {
    const { body, links } = await describeFile(file, this.source, this.info.clusterSize, this.rawWof);
    const link = links.find((l) => l.name.name === item.key.name && l.name.parent.record === parentRecord);
    const entry = toFileEntry(body, path, item.key.name, item.key.parent);
    if (link?.dosName !== undefined) entry.dosName = link.dosName;
    if (file.record.sequence !== item.file.sequence) {
      entry.warnings = [...entry.warnings, { code: 'BAD_INDEX', message: `index entry for ${path} names sequence ${item.file.sequence}, record has ${file.record.sequence}` }];
    }
    return entry;
  }
}

function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Why an undecodable entry's data cannot be read, as the error a read gives. */
function refuseUndecodable(entry: FileEntry): void {
  const path = entry.path;
  if (entry.undecodable === 'efs') throw new GrtError('ENCRYPTED', 'EFS-encrypted file', { path });
  if (entry.undecodable === UNDECODABLE_WOF_WIM) throw new GrtError('UNSUPPORTED', 'WIM-backed WOF file: its data lives in a WIM image outside the volume', { path });
  if (entry.undecodable === 'wof') throw new GrtError('UNSUPPORTED', 'WOF file of an unknown provider or format', { path });
  if (entry.undecodable === 'dedup') throw new GrtError('UNSUPPORTED', 'deduplicated file: its data lives in the Data Deduplication chunk store', { path });
  if (entry.undecodable) throw new GrtError('UNSUPPORTED', `${entry.undecodable} data cannot be decoded`, { path });
}
