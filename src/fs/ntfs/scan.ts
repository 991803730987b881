/**
 * The full listing: one linear pass over every MFT record (read in large sequential chunks), then
 * paths built from the parent references of the $FILE_NAME attributes. Linear in the number of
 * records, whatever the directory sizes — no index is walked.
 *
 * Paths: a name attaches to its parent when the parent record is a directory whose sequence number
 * matches the reference (a deleted parent may be one ahead: Windows bumps it on delete). Names
 * that reach no directory under the root — their parent is gone, reused, or they form a cycle —
 * are listed under `/$Orphan/<name>` (a virtual folder; the entry carries an ORPHAN warning).
 */
import { GrtError, warningFrom, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import type { FileEntry, ListOptions, StreamLayout } from '../entry.js';
import { buildLayout } from './data-stream.js';
import { ATTR_ATTRIBUTE_LIST } from './attribute.js';
import { dataStreams, describeFile, describeFileNow, type DescribedFile } from './file-entry.js';
import { parseMftRecord, type MftRecord } from './mft-record.js';
import { assembleFile, type Mft, type NtfsFile } from './mft.js';

export const ROOT_RECORD = 5;
export const EXTEND_RECORD = 11;
/** Records below this number in the root are reserved for metafiles ($MFT … $Extend, 16–23 spare). */
const FIRST_USER_RECORD = 24;
/** Bytes of MFT read per chunk during the scan: large sequential reads, bounded memory. */
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;
/** Block size for resident stream data kept during a scan (see Slab). */
const SLAB_BYTES = 256 * 1024;
export const ORPHAN_DIR = '/$Orphan';

export interface ScanOptions extends ListOptions {
  /** Also build each data stream's StreamLayout (for a catalog). */
  layouts?: boolean;
}

export type ScannedEntry = FileEntry & { layouts?: StreamLayout[] };

/** A name in a directory: the node and link it stands for, held directly (no lookups by record). */
interface ChildLink {
  record: number;
  node: ScanNode;
  link: ScanNode['links'][number];
  name: string;
}

/** Per-record marks of a tree walk, bits of one byte per record number (not three Sets). */
const VISITED_DIR = 1;
const EMITTED = 2;
const REACHABLE = 4;

export interface ScanNode extends DescribedFile {
  sequence: number;
  inUse: boolean;
  layouts?: StreamLayout[];
}

/** NTFS metafiles: `$…` names of reserved records in the root, and everything in $Extend. */
export function isMetafile(parentRecord: number, name: string, record: number): boolean {
  return (parentRecord === ROOT_RECORD && record < FIRST_USER_RECORD && name.startsWith('$')) || parentRecord === EXTEND_RECORD;
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

/** A record whose resident values no longer point into the (reused) chunk buffer. */
function detach(record: MftRecord): MftRecord {
  for (const attribute of record.attributes) if (attribute.value) attribute.value = attribute.value.slice();
  return record;
}

/** Read and describe every record; damaged records become volume warnings. */
export async function scanRecords(mft: Mft, dataSource: ByteSource, options: ScanOptions, warnings: GrtWarning[]): Promise<Map<number, ScanNode>> {
  const { recordSize, clusterSize, clusterCount } = mft.boot;
  const nodes = new Map<number, ScanNode>();
  const extensions = new Map<number, MftRecord>();
  const deferred: MftRecord[] = [];
  const perChunk = Math.max(1, Math.floor(SCAN_CHUNK_BYTES / recordSize));
  const slab = new Slab();
  const buffer = new Uint8Array(perChunk * recordSize);
  const add = (record: MftRecord, file: NtfsFile, described: DescribedFile): void => {
    const { body, links } = described;
    if (!options.layouts) {
      nodes.set(record.recordNumber, { body, links, sequence: record.sequence, inUse: record.inUse });
      return;
    }
    const layouts: StreamLayout[] = [];
    for (const extents of dataStreams(file.attributes).values()) {
      try {
        const layout = buildLayout(extents, clusterSize, `MFT record ${record.recordNumber}`);
        if (layout.resident) layout.resident = slab.copy(layout.resident);
        layouts.push(layout);
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
        body.warnings.push(warningFrom(error));
      }
    }
    // Every node of the volume is held until the scan ends, so each is made compact: all fields
    // in one literal (a field added later goes to a separate property store), named rather than
    // spread (V8's slow path for objects of many shapes), and the layouts copied to an array of
    // exact length (an array grown by push keeps room for 17 elements).
    nodes.set(record.recordNumber, { body, links, sequence: record.sequence, inUse: record.inUse, layouts: layouts.slice() });
  };
  for (let first = 0; first < mft.recordCount; first += perChunk) {
    const count = Math.min(perChunk, mft.recordCount - first);
    // One private buffer for every chunk (fixups are undone in place): no allocation per chunk or
    // per record. Records kept past their chunk (extension and attribute-list records) are detached.
    const chunk = count === perChunk ? buffer : buffer.subarray(0, count * recordSize);
    await mft.readRecordsInto(first, chunk);
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
      else if (record.attributes.some((a) => a.type === ATTR_ATTRIBUTE_LIST)) deferred.push(detach(record));
      else {
        const file: NtfsFile = { record, attributes: record.attributes, warnings: [] };
        add(record, file, describeFileNow(file, dataSource, clusterSize) ?? (await describeFile(file, dataSource, clusterSize)));
      }
    }
  }
  for (const record of deferred) {
    const file = await assembleFile(record, async (n) => extensions.get(n) ?? mft.readRecord(n), mft.metaSource, clusterSize);
    add(record, file, await describeFile(file, dataSource, clusterSize));
  }
  return nodes;
}

/**
 * Entries below directory `startRecord` (path `startPath`), parents before children; from the
 */
export function* treeEntries(nodes: Map<number, ScanNode>, startRecord: number, startPath: string, options: ListOptions): Generator<ScannedEntry> {
  const children = new Map<number, ChildLink[]>();
  let maxRecord = startRecord;
  for (const [record, node] of nodes) {
    if (record > maxRecord) maxRecord = record;
    if (record === ROOT_RECORD) continue;
    for (const link of node.links) {
      const parent = nodes.get(link.name.parent.record);
      const seqOk = parent && (parent.sequence === link.name.parent.sequence || (!parent.inUse && parent.sequence === ((link.name.parent.sequence + 1) & 0xffff)));
      if (!parent || !seqOk || parent.body.type === 'file') continue;
      const item: ChildLink = { record, node, link, name: link.name.name };
      const list = children.get(link.name.parent.record);
      if (list) list.push(item);
      else children.set(link.name.parent.record, [item]);
    }
  }
  for (const list of children.values()) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Record numbers are below the MFT's record count (they index it), so one byte each is bounded.
  const marks = new Uint8Array(maxRecord + 1);
  marks[startRecord] = VISITED_DIR;

  function* subtree(dirRecord: number, dirPath: string): Generator<ScannedEntry> {
    const stack: { record: number; path: string; items: ChildLink[]; next: number }[] = [
      { record: dirRecord, path: dirPath, items: children.get(dirRecord) ?? [], next: 0 },
    ];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (frame.next >= frame.items.length) {
        stack.pop();
        continue;
      }
      const { record, node, link } = frame.items[frame.next++]!;
      if (!options.all && isMetafile(frame.record, link.name.name, record)) continue;
      if (!node.inUse && !options.deleted) continue;
      const isDir = node.body.type === 'dir';
      if (isDir && (marks[record]! & VISITED_DIR) !== 0) continue; // a directory reached twice is a cycle
      const path = frame.path === '/' ? `/${link.name.name}` : `${frame.path}/${link.name.name}`;
      marks[record]! |= EMITTED;
      yield makeEntry(node, link, path);
      if (isDir) {
        marks[record]! |= VISITED_DIR;
        stack.push({ record, path, items: children.get(record) ?? [], next: 0 });
      }
    }
  }

  yield* subtree(startRecord, startPath);
  if (startRecord !== ROOT_RECORD) return;
  // Orphans are records no chain of parent references connects to the root, filters aside (a
  // hidden metafile or a skipped deleted directory does not make its children orphans).
  marks[ROOT_RECORD]! |= REACHABLE;
  for (const queue = [ROOT_RECORD]; queue.length > 0; ) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if ((marks[child.record]! & REACHABLE) !== 0) continue;
      marks[child.record]! |= REACHABLE;
      if (child.node.body.type === 'dir') queue.push(child.record);
    }
  }
  for (const [record, node] of nodes) {
    if ((marks[record]! & (REACHABLE | EMITTED)) !== 0 || node.links.length === 0) continue;
    if (!node.inUse && !options.deleted) continue;
    const link = node.links[0]!;
    if (!options.all && record < FIRST_USER_RECORD) continue;
    const path = `${ORPHAN_DIR}/${link.name.name}`;
    const warning: GrtWarning = { code: 'ORPHAN', message: `MFT record ${record}: parent ${link.name.parent.record} is not reachable from the root; listed under ${ORPHAN_DIR}` };
    marks[record]! |= EMITTED;
    const entry = makeEntry(node, link, path);
    entry.warnings = [...entry.warnings, warning];
    yield entry;
    if (node.body.type === 'dir' && (marks[record]! & VISITED_DIR) === 0) {
      marks[record]! |= VISITED_DIR;
      yield* subtree(record, path);
    }
  }
}

function makeEntry(node: ScanNode, link: ScanNode['links'][number], path: string): ScannedEntry {
  // Field by field in the order a spread of the body would give (JSON output keeps its key order);
  // a spread of bodies of many shapes takes V8's slow path, this is a fraction of its cost.
  const body = node.body;
  const entry = { type: body.type, size: body.size, times: body.times, attributes: body.attributes, streams: body.streams, links: body.links, id: body.id, warnings: body.warnings } as ScannedEntry;
  if (body.target !== undefined) entry.target = body.target;
  if (body.undecodable !== undefined) entry.undecodable = body.undecodable;
  if (body.deleted !== undefined) entry.deleted = body.deleted;
  entry.path = path;
  entry.name = link.name.name;
  entry.parent = { record: link.name.parent.record, sequence: link.name.parent.sequence };
  if (link.dosName !== undefined) entry.dosName = link.dosName;
  if (node.layouts) entry.layouts = node.layouts;
  return entry;
}
