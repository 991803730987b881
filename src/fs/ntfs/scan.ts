/**
 * The full listing: one linear pass over every MFT record (read in large sequential chunks), then
 * paths built from the parent references of the $FILE_NAME attributes (name-tree.ts). Linear in
 * the number of records, whatever the directory sizes — no index is walked.
 *
 * Each described record goes to the caller as it is parsed (MFT order); the scan itself keeps only
 * the compact name tree. A listing, which needs every body again once paths are known, holds them
 * (`scanListing`); a catalog encodes each record at once and holds nothing per file.
 */
import { pageAlignedBuffer } from '../../io/aligned-buffer.js';
import { GrtError, warningFrom, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import type { EntrySecurity, FileEntry, ListOptions, StreamLayout } from '../file-system.js';
import { buildLayout } from './data-stream.js';
import { ATTR_ATTRIBUTE_LIST, type Attribute } from './attribute.js';
import { describeFile, describeFileNow, toFileEntry, type DescribedFile, type EntryBody } from './file-entry.js';
import { parseMftRecord, type MftRecord } from './mft-record.js';
import { assembleFile, type Mft, type NtfsFile } from './mft.js';
import { BodyStore } from './body-store.js';
import { RunGuard } from './run-guard.js';
import { NameTree, orphanWarning, type TreeItem } from './name-tree.js';
import { append } from '../../util/append.js';
import { WOF_STREAM_NAME, wofLayout, type WofAlgorithm } from './wof.js';

/** Bytes of MFT read per chunk during the scan: large sequential reads, bounded memory. */
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;
/** Block size for resident stream data kept during a scan (see Slab). */
const SLAB_BYTES = 256 * 1024;

export interface ScanOptions extends ListOptions {
  /** Also build each data stream's StreamLayout (for a catalog). */
  layouts?: boolean;
  /** With `layouts`: each file's owner and group, put in the body's `security` (for a catalog). */
  owners?: ScanOwners;
}

/** A file's owner and group: a value when known without reading (owner-cache.ts), else a promise. */
export type ScanOwners = (file: NtfsFile) => EntrySecurity | undefined | Promise<EntrySecurity | undefined>;

export type ScannedEntry = FileEntry & { layouts?: StreamLayout[] };

/**
 * One described record, as the scan hands it over. `layouts` (with the `layouts` option) may hold
 * resident bytes that point into the scan's read buffer: valid during the call only.
 */
export interface ScannedRecord {
  record: number;
  body: EntryBody;
  layouts?: StreamLayout[];
}

/** Called per described record in scan order; a returned promise is awaited before the scan goes on. */
export type OnScannedRecord = (scanned: ScannedRecord) => void | Promise<void>;

/** A scan's result for a listing: the name tree and every record's description. */
export interface ScanListing {
  tree: NameTree;
  held: BodyStore;
}

/**
 * Small byte arrays kept for the whole scan (resident stream data, one per small file), copied
 * into shared blocks: one ArrayBuffer per file costs the collector far more than its bytes.
 */
class Slab {
  private block = new Uint8Array(0);
  private used = 0;

  copy(bytes: Uint8Array): Uint8Array {
    if (bytes.length > SLAB_BYTES / 4) return bytes.slice();
    if (this.used + bytes.length > this.block.length) {
      this.block = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const out = this.block.subarray(this.used, this.used + bytes.length);
    out.set(bytes);
    this.used += bytes.length;
    return out;
  }
}

/** The warnings of a file read from one record: none (describing it copies them, never adds to these). */
const NO_WARNINGS: GrtWarning[] = Object.freeze([]) as unknown as GrtWarning[];

function hasAttributeList(record: MftRecord): boolean {
  for (const attribute of record.attributes) if (attribute.type === ATTR_ATTRIBUTE_LIST) return true;
  return false;
}

/**
 * The warning of an in-use record whose base reference names a record that does not claim it
 * (libfsntfs "MFT entry": only extension records carry a base reference, and their base's
 * attribute list names them): it is listed as a file, not dropped as an extension.
 */
export function unclaimedWarning(record: number, baseRecord: number): GrtWarning {
  return { code: 'BAD_RECORD', message: `MFT record ${record} names base record ${baseRecord}, which does not claim it; listed as a file` };
}

/** A record whose resident values no longer point into the (reused) chunk buffer. */
function detach(record: MftRecord): MftRecord {
  for (const attribute of record.attributes) if (attribute.value) attribute.value = attribute.value.slice();
  return record;
}

/**
 * Read and describe every record, handing each to `onRecord` in MFT order (files with an attribute
 * list last); damaged records become volume warnings. Returns the name tree of the volume.
 */
export async function scanRecords(mft: Mft, dataSource: ByteSource, options: ScanOptions, warnings: GrtWarning[], onRecord: OnScannedRecord): Promise<NameTree> {
  const { recordSize, clusterSize, clusterCount } = mft.boot;
  const tree = new NameTree();
  // Layouts are checked for cross-linked runs before a catalog records them (run-guard.ts).
  const guard = options.layouts ? RunGuard.of(mft) : undefined;
  const extensions = new Map<number, MftRecord>();
  const deferred: MftRecord[] = [];
  const perChunk = Math.max(1, Math.floor(SCAN_CHUNK_BYTES / recordSize));
  const readChunk = chunkReader(mft, perChunk);
  const add = (file: NtfsFile, described: DescribedFile): void | Promise<void> => {
    const { record } = file;
    const { body, links } = described;
    tree.add(record.recordNumber, body.type, record.inUse, record.sequence, links);
    if (!options.layouts) return onRecord({ record: record.recordNumber, body });
    const scanned = { record: record.recordNumber, body, layouts: checkedLayouts(record.recordNumber, described, clusterSize, guard!) };
    const pending = options.owners && withOwners(file, body, options.owners);
    return pending ? pending.then(() => onRecord(scanned)) : onRecord(scanned);
  };
  let reading = readChunk(0);
  for (let index = 0; reading; index++) {
    // Private buffers reused for every chunk (fixups are undone in place): no allocation per chunk
    // or per record. Records kept past their chunk (extension and attribute-list records) are
    // detached; resident bytes handed to onRecord are valid during the call only (ScannedRecord).
    const chunk = await reading;
    reading = readChunk(index + 1);
    const first = index * perChunk;
    const count = chunk.length / recordSize;
    for (let i = 0; i < count; i++) {
      const at = i * recordSize;
      // Never-used records are zeros: skip them without a warning.
      if (chunk[at] !== 0x46 || chunk[at + 1] !== 0x49 || chunk[at + 2] !== 0x4c || chunk[at + 3] !== 0x45) continue;
      // Flags (offset 22) are outside any fixup stride end: a free record is skipped unparsed.
      if (!options.deleted && (chunk[at + 22]! & 1) === 0) continue;
      const number = first + i;
      let record: MftRecord;
      try {
        record = parseMftRecord(chunk.subarray(at, at + recordSize), number, mft.recordOffset(number), clusterCount);
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
        warnings.push(warningFrom(error));
        continue;
      }
      if (record.base.record !== 0) extensions.set(number, detach(record));
      else if (!record.inUse && !options.deleted) continue;
      else if (hasAttributeList(record)) deferred.push(detach(record));
      else {
        const file: NtfsFile = { record, attributes: record.attributes, warnings: NO_WARNINGS };
        const pending = add(file, describeFileNow(file) ?? (await describeFile(file, dataSource, clusterSize)));
        if (pending) await pending;
      }
    }
  }
  await addHeldRecords(mft, dataSource, deferred, extensions, add);
  return tree;
}

/**
 * Chunk `index` of the MFT (`perChunk` records) read into one of two buffers, or undefined past the
 * last record. Two buffers: the next chunk is read while this one is parsed. Page-aligned: the
 * kernel copies the MFT out of the page cache ~4× faster into them (io/aligned-buffer.ts).
 */
function chunkReader(mft: Mft, perChunk: number): (index: number) => Promise<Uint8Array> | undefined {
  const { recordSize } = mft.boot;
  const buffers = [pageAlignedBuffer(perChunk * recordSize), pageAlignedBuffer(perChunk * recordSize)];
  return (index) => {
    const first = index * perChunk;
    if (first >= mft.recordCount) return undefined;
    const count = Math.min(perChunk, mft.recordCount - first);
    const chunk = buffers[index % 2]!.subarray(0, count * recordSize);
    const reading = mft.readRecordsInto(first, chunk).then(() => chunk);
    // A failed read-ahead must not be an unhandled rejection while this chunk is parsed: it is
    // awaited in its turn.
    reading.catch(() => undefined);
    return reading;
  };
}

/** The layouts of a described file's streams, each checked for cross-linked runs; a bad one is a warning of the file. */
function checkedLayouts(record: number, described: DescribedFile, clusterSize: number, guard: RunGuard): StreamLayout[] {
  let layouts: StreamLayout[] | undefined; // grown by append (util/append.ts)
  for (const extents of described.streams) {
    // A WOF file's unnamed stream is sparse on the volume: its layout is that of the compressed
    // stream (wof.ts wofLayout), which is then no stream of its own.
    const name = extents[0]!.name;
    if (described.wof && name === WOF_STREAM_NAME) continue;
    try {
      // Resident bytes stay views into the read buffer: valid during onRecord, as ScannedRecord says.
      const structure = `MFT record ${record}`;
      const layout = described.wof && name === '' ? wofScanLayout(described, described.wof, extents, clusterSize, structure) : buildLayout(extents, clusterSize, structure, false, true);
      guard.check(layout, record, structure);
      layouts = append(layouts, layout);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      described.body.warnings.push(warningFrom(error));
    }
  }
  return layouts ?? [];
}

/**
 * Sets `body.security` to the file's owner and group, synchronously when `owners` answers so (a
 * descriptor met before: no promise per record); a damaged descriptor becomes a warning of the file.
 */
function withOwners(file: NtfsFile, body: EntryBody, owners: ScanOwners): Promise<void> | undefined {
  const found = owners(file);
  if (!(found instanceof Promise)) {
    if (found) body.security = found;
    return undefined;
  }
  return found.then(
    (value) => {
      if (value) body.security = value;
    },
    (error: unknown) => {
      if (!(error instanceof GrtError)) throw error;
      body.warnings = [...body.warnings, { code: error.code, message: `security descriptor: ${error.message}` }];
    },
  );
}

/** The 'wof' layout of a WOF file's unnamed stream (`plain`), from its WofCompressedData stream. */
function wofScanLayout(described: DescribedFile, algorithm: WofAlgorithm, plain: Attribute[], clusterSize: number, structure: string): StreamLayout {
  const compressed = described.streams.find((extents) => extents[0]!.name === WOF_STREAM_NAME);
  if (!compressed) throw new GrtError('NOT_FOUND', `WOF-compressed file without its ${WOF_STREAM_NAME} stream`, { structure });
  const size = buildLayout(plain, clusterSize, structure).size;
  return wofLayout(buildLayout(compressed, clusterSize, structure, false, true), size, algorithm, structure);
}

/**
 * The records the scan held for its end: files with an attribute list, assembled from their
 * extension records. Extension records an in-use base claims through its attribute list are part
 * of it; any other record with a base reference is listed as a file of its own (it would otherwise
 * be hidden from every scan).
 */
async function addHeldRecords(
  mft: Mft,
  dataSource: ByteSource,
  deferred: readonly MftRecord[],
  extensions: ReadonlyMap<number, MftRecord>,
  add: (file: NtfsFile, described: DescribedFile) => void | Promise<void>,
): Promise<void> {
  const { clusterSize } = mft.boot;
  const claimed = new Set<number>();
  for (const record of deferred) {
    const file = await assembleFile(record, async (n) => {
      const held = extensions.get(n);
      if (held && record.inUse && held.base.record === record.recordNumber) claimed.add(n);
      return held ?? mft.readRecord(n);
    }, mft.metaSource, clusterSize);
    await add(file, await describeFile(file, dataSource, clusterSize));
  }
  for (const [number, record] of extensions) {
    if (!record.inUse || claimed.has(number)) continue;
    const file = await assembleFile(record, async (n) => extensions.get(n) ?? mft.readRecord(n), mft.metaSource, clusterSize);
    file.warnings = [unclaimedWarning(number, record.base.record), ...file.warnings];
    await add(file, await describeFile(file, dataSource, clusterSize));
  }
}

/** A scan whose records are all held, for a listing (paths are known only once the scan ends). */
export async function scanListing(mft: Mft, dataSource: ByteSource, options: ScanOptions, warnings: GrtWarning[]): Promise<ScanListing> {
  const held = new BodyStore();
  const slab = new Slab();
  const tree = await scanRecords(mft, dataSource, options, warnings, ({ record, body, layouts }) => {
    if (!layouts) {
      held.set(record, body);
      return;
    }
    // Resident bytes point into the scan's read buffer: copied out. The array is copied to its
    // exact length (an array grown by push keeps room for 17 elements).
    for (const layout of layouts) if (layout.resident) layout.resident = slab.copy(layout.resident);
    held.set(record, body, layouts.slice());
  });
  return { tree, held };
}

/** Entries below directory `startRecord` (path `startPath`), parents before children (NameTree.walk). */
export function* treeEntries(listing: ScanListing, startRecord: number, startPath: string, options: ListOptions): Generator<ScannedEntry> {
  const { tree, held } = listing;
  for (const item of tree.walk(startRecord, startPath, options)) {
    const entry = makeEntry(tree, held.get(item.record), item);
    if (item.parent < 0) entry.warnings = [...entry.warnings, orphanWarning(item.record, tree.linkParent[item.link]!)];
    yield entry;
  }
}

/** The deleted names listed in directory `dirRecord` (path `dirPath`), in scan order. */
export function deletedChildren(listing: ScanListing, dirRecord: number, dirPath: string): FileEntry[] {
  const { tree, held } = listing;
  const out: FileEntry[] = [];
  for (const record of tree.records()) {
    if (tree.inUse(record)) continue;
    const { first, count } = tree.links(record);
    for (let link = first; link < first + count; link++) {
      if (tree.linkParent[link] !== dirRecord) continue;
      const name = tree.linkName[link]!;
      out.push(makeEntry(tree, held.get(record), { record, link, parent: dirRecord, path: dirPath === '/' ? `/${name}` : `${dirPath}/${name}` }));
    }
  }
  return out;
}

function makeEntry(tree: NameTree, held: { body: EntryBody; layouts?: StreamLayout[] }, item: TreeItem): ScannedEntry {
  const parent = { record: tree.linkParent[item.link]!, sequence: tree.linkParentSequence[item.link]! };
  const entry: ScannedEntry = toFileEntry(held.body, item.path, tree.linkName[item.link]!, parent);
  const dosName = tree.linkDosName[item.link];
  if (dosName !== undefined) entry.dosName = dosName;
  if (held.layouts) entry.layouts = held.layouts;
  return entry;
}
