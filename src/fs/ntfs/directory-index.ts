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
 * NOTE: listing reads every in-use block in order instead of walking the B-tree: every entry is in
 * exactly one in-use block, no recursion is needed, and a damaged node costs only its own entries.
 */
import { GrtError, warningFrom, type GrtWarning } from '../../errors.js';
import { applyFixups, readFileReference, type FileReference } from './mft-record.js';
import { parseFileName, type FileName } from './file-name.js';

/** Entries per node: a 64 KiB block of minimal 16-byte entries holds at most 4096. */
const MAX_ENTRIES_PER_NODE = 4096;
const ENTRY_HEADER = 16;
const ENTRY_FLAG_LAST = 0x2;

export interface IndexEntry {
  file: FileReference;
  key: FileName;
}

export interface IndexRootInfo {
  blockSize: number;
  entries: IndexEntry[];
}

/** Where byte `pos` of a node is, for error offsets (undefined: it has no place on the volume). */
type OffsetOf = (pos: number) => number | undefined;

function parseNode(bytes: Uint8Array, headerOffset: number, structure: string, offsetOf: OffsetOf): IndexEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (headerOffset + 16 > bytes.length) throw new GrtError('BAD_INDEX', 'node header outside the node', { structure, offset: offsetOf(headerOffset) });
  const start = headerOffset + view.getUint32(headerOffset, true);
  const end = headerOffset + view.getUint32(headerOffset + 4, true);
  if (start < headerOffset + 16 || end > bytes.length || start > end) {
    throw new GrtError('BAD_INDEX', 'node entries outside the node', { structure, offset: offsetOf(headerOffset), expected: bytes.length, actual: end });
  }
  const entries: IndexEntry[] = [];
  let pos = start;
  for (let count = 0; pos + ENTRY_HEADER <= end; count++) {
    if (count >= MAX_ENTRIES_PER_NODE) throw new GrtError('LIMIT_EXCEEDED', 'too many entries in an index node', { structure, offset: offsetOf(pos) });
    const length = view.getUint16(pos + 8, true);
    const keyLength = view.getUint16(pos + 10, true);
    const flags = view.getUint32(pos + 12, true);
    if (length < ENTRY_HEADER || length % 8 !== 0 || pos + length > end || ENTRY_HEADER + keyLength > length) {
      throw new GrtError('BAD_INDEX', 'index entry length out of range', { structure, offset: offsetOf(pos + 8), actual: length });
    }
    if ((flags & ENTRY_FLAG_LAST) !== 0) break;
    entries.push({ file: readFileReference(view, pos), key: parseFileName(bytes.subarray(pos + ENTRY_HEADER, pos + ENTRY_HEADER + keyLength), structure) });
    pos += length;
  }
  return entries;
}

/** `valueOffset`: the value's volume byte offset when known, for error offsets. */
export function parseIndexRoot(value: Uint8Array, structure: string, valueOffset?: number): IndexRootInfo {
  if (value.length < 32) throw new GrtError('BAD_INDEX', '$INDEX_ROOT too short', { structure, offset: valueOffset, actual: value.length });
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return { blockSize: view.getUint32(8, true), entries: parseNode(value, 16, structure, (pos) => (valueOffset === undefined ? undefined : valueOffset + pos)) };
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
    try {
      if (String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!) !== 'INDX') {
        if (!bitmap) continue; // without a bitmap, unused blocks are simply not INDX
        throw new GrtError('BAD_INDEX', 'index block signature is not INDX', { structure, offset: offsetOf(0) });
      }
      // NOTE: applyFixups takes the block's start and adds the offset inside it, which is exact
      // unless the block is split across runs (clusters smaller than index blocks, fragmented).
      applyFixups(bytes, structure, offsetOf(0) ?? 0, 'BAD_INDEX');
      for (const entry of parseNode(bytes, 24, structure, offsetOf)) entries.push(entry);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      warnings.push(warningFrom(error));
    }
  }
}
