/**
 * Directory indexes ($I30): $INDEX_ROOT (in the record), $INDEX_ALLOCATION (INDX blocks) and the
 * $BITMAP saying which blocks are in use. Keys are $FILE_NAME values.
 *
 * Sources: libyal libfsntfs "Index" notes. $INDEX_ROOT: 0 indexed attribute type (u32, 0x30)
 * 4 collation rule   8 index block size (u32)   12 clusters per block (u8)   16 node header.
 * INDX block: "INDX", update sequence (as in FILE records), 16 block VCN (u64), 24 node header.
 * Node header: 0 entries offset (u32, from the node header)   4 entries end (u32)   8 allocated
 * size (u32)   12 flags (1 = has sub-nodes). Entry: 0 file reference (u64)   8 entry length (u16)
 * 10 key length (u16)   12 flags (u32: 1 sub-node VCN in the last 8 bytes, 2 last entry)   16 key.
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

/** Entries per node: a 64 KiB block of minimal 16-byte entries holds at most 4096. */
const MAX_ENTRIES_PER_NODE = 4096;
const ENTRY_HEADER = 16;
const ENTRY_FLAG_SUB_NODE = 0x1;
const ENTRY_FLAG_LAST = 0x2;
/** Node header of an INDX block: after the 24-byte block header (signature, fixups, VCN). */
const BLOCK_NODE_HEADER = 24;
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
  if (headerOffset + 16 > bytes.length) throw new GrtError('BAD_INDEX', 'node header outside the node', { structure, offset: offsetOf(headerOffset) });
  const start = headerOffset + view.getUint32(headerOffset, true);
  const end = headerOffset + view.getUint32(headerOffset + 4, true);
  if (start < headerOffset + 16 || end > bytes.length || start > end) {
    throw new GrtError('BAD_INDEX', 'node entries outside the node', { structure, offset: offsetOf(headerOffset), expected: bytes.length, actual: end });
  }
  const entries: IndexEntry[] = [];
  const childVcns: (number | undefined)[] = [];
  let lastChildVcn: number | undefined;
  let pos = start;
  for (let count = 0; pos + ENTRY_HEADER <= end; count++) {
    if (count >= MAX_ENTRIES_PER_NODE) throw new GrtError('LIMIT_EXCEEDED', 'too many entries in an index node', { structure, offset: offsetOf(pos) });
    const length = view.getUint16(pos + 8, true);
    const keyLength = view.getUint16(pos + 10, true);
    const flags = view.getUint32(pos + 12, true);
    if (length < ENTRY_HEADER || length % 8 !== 0 || pos + length > end || ENTRY_HEADER + keyLength > length) {
      throw new GrtError('BAD_INDEX', 'index entry length out of range', { structure, offset: offsetOf(pos + 8), actual: length });
    }
    let childVcn: number | undefined;
    if ((flags & ENTRY_FLAG_SUB_NODE) !== 0) {
      if (ENTRY_HEADER + keyLength + 8 > length) throw new GrtError('BAD_INDEX', 'index entry too short for its sub-node VCN', { structure, offset: offsetOf(pos + 8), actual: length });
      childVcn = u64le(bytes, pos + length - 8, 'index sub-node VCN', { structure, offset: offsetOf(pos + length - 8) });
    }
    if ((flags & ENTRY_FLAG_LAST) !== 0) {
      lastChildVcn = childVcn;
      break;
    }
    entries.push({ file: readFileReference(view, pos), key: parseFileName(bytes.subarray(pos + ENTRY_HEADER, pos + ENTRY_HEADER + keyLength), structure) });
    childVcns.push(childVcn);
    pos += length;
  }
  return { entries, childVcns, lastChildVcn };
}

/** `valueOffset`: the value's volume byte offset when known, for error offsets. */
export function parseIndexRoot(value: Uint8Array, structure: string, valueOffset?: number): IndexRootInfo {
  if (value.length < 32) throw new GrtError('BAD_INDEX', '$INDEX_ROOT too short', { structure, offset: valueOffset, actual: value.length });
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const node = parseNode(value, 16, structure, (pos) => (valueOffset === undefined ? undefined : valueOffset + pos));
  return { ...node, blockSize: view.getUint32(8, true), collationRule: view.getUint32(4, true) };
}

/**
 * One INDX block (a private copy: fixups are applied in place). `offsetOf` maps a byte of the
 * block to the volume, for error offsets; `vcn`, when given, must be the VCN the block records.
 */
export function parseIndexBlock(bytes: Uint8Array, structure: string, offsetOf: OffsetOf, vcn?: number): IndexNode {
  if (!isIndexBlock(bytes)) throw new GrtError('BAD_INDEX', 'index block signature is not INDX', { structure, offset: offsetOf(0) });
  // NOTE: applyFixups takes the block's start and adds the offset inside it, which is exact
  // unless the block is split across runs (clusters smaller than index blocks, fragmented).
  applyFixups(bytes, structure, offsetOf(0) ?? 0, 'BAD_INDEX');
  if (vcn !== undefined) {
    const recorded = u64le(bytes, 16, 'index block VCN', { structure, offset: offsetOf(16) });
    if (recorded !== vcn) throw new GrtError('BAD_INDEX', 'index block records another VCN than its place', { structure, offset: offsetOf(16), expected: vcn, actual: recorded });
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
export async function searchIndex(root: IndexNode, loadNode: (vcn: number) => Promise<IndexNode>, key: (name: string) => string, name: string, structure: string): Promise<IndexEntry[]> {
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
        if (depth >= MAX_INDEX_DEPTH) throw new GrtError('BAD_INDEX', 'index B-tree deeper than the limit', { structure, expected: MAX_INDEX_DEPTH });
        if (visited.has(childVcn)) throw new GrtError('BAD_INDEX', 'index sub-node reached twice (a cycle)', { structure, actual: childVcn });
        visited.add(childVcn);
        await descend(await loadNode(childVcn), depth + 1);
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
