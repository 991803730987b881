/**
 * Directory indexes ($I30): $INDEX_ROOT (in the record), $INDEX_ALLOCATION (INDX blocks) and the
 * $BITMAP saying which blocks are in use. Keys are $FILE_NAME values.
 *
 * Sources: libyal libfsntfs "Index" notes (layouts declared below).
 * B-tree (libfsntfs "Index" notes; [MS-FSCC] / libfsntfs collation rules): an entry's sub-node
 * holds the keys ordered before it, the last (key-less) entry's sub-node those after every entry.
 * $I30 uses COLLATION_FILE_NAME (rule 1): names compare after upcasing each UTF-16 unit through
 * the volume's $UpCase, unit by unit, a shorter prefix first (names equal that way but spelled
 * differently are POSIX case variants, ordered by their exact units).
 * NOTE: listing reads every in-use block in order instead of walking the B-tree: every entry is in
 * exactly one in-use block, no recursion is needed, and a damaged node costs only its own entries.
 * A single-name lookup (`searchIndex`) descends instead, reading about log(n) blocks.
 */
import { GrtError, warningFrom, type GrtWarning } from '../../errors.js';
import { applyFixups, readFileReference, type FileReference } from './mft-record.js';
import { parseFileName, type FileName } from './file-name.js';
import { u64le } from '../../util/safe-number.js';
import { Struct } from '../../util/struct.js';

/** $INDEX_ROOT value: this header, then a node header and the root's entries. */
export const INDEX_ROOT_HEADER = new Struct('$INDEX_ROOT header', 'libfsntfs, Index root header')
  .u32('attributeType', 'type of the indexed attribute (0x30 $FILE_NAME for $I30)')
  .u32('collationRule', 'how keys are ordered (COLLATION_FILE_NAME for $I30)')
  .u32('indexBlockSize', 'bytes per INDX block')
  .u8('clustersPerIndexBlock', 'clusters per INDX block, or the log2 encoding of the boot sector')
  .skip(3, 'alignment');

/** INDX block header (an $INDEX_ALLOCATION block), then a node header; fixups as in FILE records. */
export const INDEX_BLOCK_HEADER = new Struct('INDX block header', 'libfsntfs, Index allocation / index record header')
  .bytes('signature', 4, '"INDX"')
  .u16('usaOffset', 'update sequence array offset (MULTI_SECTOR_HEADER)')
  .u16('usaCount', 'update sequence array entries: 1 + 512-byte strides')
  .u64('lsn', '$LogFile sequence number of the last change')
  .u64('vcn', 'VCN of this block in the index allocation');

/**
 * Node header (INDEX_HEADER), at the end of either header above. Offsets are from the node header.
 * parseNode reads it, and the entry headers, inline at the declared offsets, once per directory
 * block listed (test/ntfs/struct-agreement.test.ts checks the readings agree on the test images).
 */
export const INDEX_NODE_HEADER = new Struct('index node header', 'libfsntfs, Index node header')
  .u32('entriesOffset', 'where the first entry starts')
  .u32('entriesEnd', 'where the used entries end')
  .u32('allocatedEnd', 'where the node\'s allocated space ends')
  .u8('flags', '1 = has sub-nodes')
  .skip(3, 'alignment');

/** One index entry's header; the key ($FILE_NAME for $I30) follows it, a sub-node VCN ends it. */
export const INDEX_ENTRY_HEADER = new Struct('index entry header', 'libfsntfs, Index value')
  .u64('fileReference', 'the file this key names (48-bit record, 16-bit sequence)')
  .u16('entryLength', 'bytes of this entry, a multiple of 8')
  .u16('keyLength', 'bytes of the key')
  .u32('flags', 'ENTRY_FLAG_SUB_NODE, ENTRY_FLAG_LAST');
const NODE = INDEX_NODE_HEADER.offsets;
const ENTRY = INDEX_ENTRY_HEADER.offsets;

/** Entries per node: a 64 KiB block of minimal 16-byte entries holds at most 4096. */
const MAX_ENTRIES_PER_NODE = 4096;
const ENTRY_HEADER = INDEX_ENTRY_HEADER.size;
const ENTRY_FLAG_SUB_NODE = 0x1;
const ENTRY_FLAG_LAST = 0x2;
/** Node header of an INDX block: after the block header (signature, fixups, VCN). */
const BLOCK_NODE_HEADER = INDEX_BLOCK_HEADER.size;
/** $INDEX_ROOT collation rule of $I30: by file name through $UpCase. */
export const COLLATION_FILE_NAME = 1;
/**
 * Levels a search descends. A B-tree of 4 KiB blocks holding at least a few entries each is far
 * shallower than this for any directory that fits on a disk; deeper means a damaged tree.
 */
const MAX_INDEX_DEPTH = 64;

export interface IndexEntry {
  file: FileReference;
  key: FileName;
}

/** One B-tree node: its entries in collation order, and where the keys between them are. */
export interface IndexNode {
  entries: IndexEntry[];
  /** `childVcns[i]`: VCN of the block of keys ordered before `entries[i]` (undefined: none). */
  childVcns: (number | undefined)[];
  /** VCN of the block of keys ordered after every entry (the last entry's sub-node). */
  lastChildVcn: number | undefined;
  /**
   * Volume byte offset of each sub-node VCN field, for error offsets: index i for `childVcns[i]`,
   * index `entries.length` for `lastChildVcn` (absent or undefined: no place known).
   */
  childVcnOffsets?: (number | undefined)[];
}

export interface IndexRootInfo extends IndexNode {
  blockSize: number;
  /** How keys are ordered: COLLATION_FILE_NAME for $I30. */
  collationRule: number;
}

/** Where byte `pos` of a node is, for error offsets (undefined: it has no place on the volume). */
type OffsetOf = (pos: number) => number | undefined;

function parseNode(bytes: Uint8Array, headerOffset: number, structure: string, offsetOf: OffsetOf): IndexNode {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (headerOffset + INDEX_NODE_HEADER.size > bytes.length) throw new GrtError('BAD_INDEX', 'node header outside the node', { structure, offset: offsetOf(headerOffset), space: 'volume' });
  const start = headerOffset + view.getUint32(headerOffset + NODE.entriesOffset, true);
  const end = headerOffset + view.getUint32(headerOffset + NODE.entriesEnd, true);
  if (start < headerOffset + INDEX_NODE_HEADER.size || end > bytes.length || start > end) {
    throw new GrtError('BAD_INDEX', 'node entries outside the node', { structure, offset: offsetOf(headerOffset), space: 'volume', expected: bytes.length, actual: end });
  }
  const entries: IndexEntry[] = [];
  const childVcns: (number | undefined)[] = [];
  const childVcnOffsets: (number | undefined)[] = [];
  let lastChildVcn: number | undefined;
  let pos = start;
  for (let count = 0; pos + ENTRY_HEADER <= end; count++) {
    if (count >= MAX_ENTRIES_PER_NODE) throw new GrtError('LIMIT_EXCEEDED', 'too many entries in an index node', { structure, offset: offsetOf(pos), space: 'volume' });
    const length = view.getUint16(pos + ENTRY.entryLength, true);
    const keyLength = view.getUint16(pos + ENTRY.keyLength, true);
    const flags = view.getUint32(pos + ENTRY.flags, true);
    if (length < ENTRY_HEADER || length % 8 !== 0 || pos + length > end || ENTRY_HEADER + keyLength > length) {
      throw new GrtError('BAD_INDEX', 'index entry length out of range', { structure, offset: offsetOf(pos + ENTRY.entryLength), space: 'volume', actual: length });
    }
    let childVcn: number | undefined;
    if ((flags & ENTRY_FLAG_SUB_NODE) !== 0) {
      if (ENTRY_HEADER + keyLength + 8 > length) throw new GrtError('BAD_INDEX', 'index entry too short for its sub-node VCN', { structure, offset: offsetOf(pos + ENTRY.entryLength), space: 'volume', actual: length });
      childVcn = u64le(bytes, pos + length - 8, 'index sub-node VCN', { structure, offset: offsetOf(pos + length - 8), space: 'volume' });
    }
    childVcnOffsets.push(childVcn === undefined ? undefined : offsetOf(pos + length - 8));
    if ((flags & ENTRY_FLAG_LAST) !== 0) {
      lastChildVcn = childVcn;
      break;
    }
    entries.push({ file: readFileReference(view, pos + ENTRY.fileReference), key: parseFileName(bytes.subarray(pos + ENTRY_HEADER, pos + ENTRY_HEADER + keyLength), structure) });
    childVcns.push(childVcn);
    pos += length;
  }
  return { entries, childVcns, lastChildVcn, childVcnOffsets };
}

/** `valueOffset`: the value's volume byte offset when known, for error offsets. */
export function parseIndexRoot(value: Uint8Array, structure: string, valueOffset?: number): IndexRootInfo {
  const rootSize = INDEX_ROOT_HEADER.size + INDEX_NODE_HEADER.size;
  if (value.length < rootSize) throw new GrtError('BAD_INDEX', '$INDEX_ROOT too short', { structure, offset: valueOffset, space: 'volume', actual: value.length });
  const header = INDEX_ROOT_HEADER.decode(value);
  const node = parseNode(value, INDEX_ROOT_HEADER.size, structure, (pos) => (valueOffset === undefined ? undefined : valueOffset + pos));
  return { ...node, blockSize: header.indexBlockSize, collationRule: header.collationRule };
}

/**
 * One INDX block (a private copy: fixups are applied in place). `offsetOf` maps a byte of the
 * block to the volume, for error offsets; `vcn`, when given, must be the VCN the block records.
 */
export function parseIndexBlock(bytes: Uint8Array, structure: string, offsetOf: OffsetOf, vcn?: number): IndexNode {
  if (!isIndexBlock(bytes)) throw new GrtError('BAD_INDEX', 'index block signature is not INDX', { structure, offset: offsetOf(0), space: 'volume' });
  // NOTE: applyFixups takes the block's start and adds the offset inside it, which is exact
  // unless the block is split across runs (clusters smaller than index blocks, fragmented).
  applyFixups(bytes, structure, offsetOf(0) ?? 0, 'BAD_INDEX');
  if (vcn !== undefined) {
    const at = INDEX_BLOCK_HEADER.offsets.vcn;
    const recorded = u64le(bytes, at, 'index block VCN', { structure, offset: offsetOf(at), space: 'volume' });
    if (recorded !== vcn) throw new GrtError('BAD_INDEX', 'index block records another VCN than its place', { structure, offset: offsetOf(at), space: 'volume', expected: vcn, actual: recorded });
  }
  return parseNode(bytes, BLOCK_NODE_HEADER, structure, offsetOf);
}

function isIndexBlock(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x49 && bytes[1] === 0x4e && bytes[2] === 0x44 && bytes[3] === 0x58; // "INDX"
}

/**
 * The entries of a B-tree whose upcased name (`key`) equals `name`'s, in collation order, found by
 * descending from `root` through `loadNode(vcn)` (an INDX block, parsed). Equal keys (POSIX case
 * variants) may sit in several nodes, so the sub-node before each entry not ordered before the
 * name is searched too: one path for a unique name, one more per variant.
 * A sub-node met twice (a cycle) or a tree deeper than MAX_INDEX_DEPTH is BAD_INDEX.
 */
export async function searchIndex(root: IndexNode, loadNode: (vcn: number, vcnOffset: number | undefined) => Promise<IndexNode>, key: (name: string) => string, name: string, structure: string): Promise<IndexEntry[]> {
  const target = key(name);
  const found: IndexEntry[] = [];
  const visited = new Set<number>();
  const descend = async (node: IndexNode, depth: number): Promise<void> => {
    for (let i = 0; i <= node.entries.length; i++) {
      const entry = node.entries[i];
      // JavaScript compares strings by UTF-16 units, shorter prefix first: the collation's order.
      const entryKey = entry === undefined ? undefined : key(entry.key.name);
      if (entryKey !== undefined && entryKey < target) continue;
      const childVcn = entry === undefined ? node.lastChildVcn : node.childVcns[i];
      if (childVcn !== undefined) {
        // The errors point at the sub-node VCN field that leads too deep or back up the tree.
        const at = { structure, offset: node.childVcnOffsets?.[i], space: 'volume' } as const;
        if (depth >= MAX_INDEX_DEPTH) throw new GrtError('BAD_INDEX', 'index B-tree deeper than the limit', { ...at, expected: MAX_INDEX_DEPTH });
        if (visited.has(childVcn)) throw new GrtError('BAD_INDEX', 'index sub-node reached twice (a cycle)', { ...at, actual: childVcn });
        visited.add(childVcn);
        await descend(await loadNode(childVcn, at.offset), depth + 1);
      }
      if (entry === undefined || entryKey !== target) return;
      found.push(entry);
    }
  };
  await descend(root, 0);
  return found;
}

/**
 * Entries of every in-use INDX block in `allocation` (a piece of the $INDEX_ALLOCATION stream
 * starting at block number `firstBlock`), appended to `entries`. A damaged block becomes a
 * warning; its entries are lost, the others are kept. `volumeOffset` maps an offset in the index
 * stream to the volume (undefined in a hole), so a warning names where the bad byte is.
 */
export function parseIndexAllocation(allocation: Uint8Array, firstBlock: number, bitmap: Uint8Array | null, blockSize: number, structure: string, entries: IndexEntry[], warnings: GrtWarning[], volumeOffset: (streamOffset: number) => number | undefined): void {
  const blocks = Math.floor(allocation.length / blockSize);
  for (let i = 0; i < blocks; i++) {
    const block = firstBlock + i;
    if (bitmap && ((bitmap[block >> 3] ?? 0) & (1 << (block & 7))) === 0) continue;
    const at = i * blockSize;
    const bytes = allocation.slice(at, at + blockSize);
    const offsetOf = (pos: number): number | undefined => volumeOffset(block * blockSize + pos);
    if (!bitmap && !isIndexBlock(bytes)) continue; // without a bitmap, unused blocks are simply not INDX
    try {
      for (const entry of parseIndexBlock(bytes, structure, offsetOf).entries) entries.push(entry);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      warnings.push(warningFrom(error));
    }
  }
}
