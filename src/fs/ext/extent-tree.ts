/**
 * The ext4 extent tree (inodes with EXT4_EXTENTS_FL): a 12-byte header, then 12-byte index entries
 * (inner nodes) or extents (leaves). The root lives in i_block (4 entries), other nodes fill a block.
 *
 * Source: "ext4 Data Structures and Algorithms", section "Extent Tree": ext4_extent_header
 * (eh_magic 0xF30A, eh_entries, eh_max, eh_depth u16s at 0, 2, 4, 6), ext4_extent_idx (ei_block,
 * ei_leaf_lo, ei_leaf_hi u16), ext4_extent (ee_block, ee_len u16, ee_start_hi u16, ee_start_lo).
 * An ee_len above 32768 marks an unwritten extent of ee_len − 32768 blocks (reads as zeros).
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import type { BlockReader } from './block-reader.js';
import { MAX_RUNS, RunBuilder, type BlockRun } from './block-runs.js';

const HEADER_MAGIC = 0xf30a;
const ENTRY_BYTES = 12;
/** The kernel's EXT4_MAX_EXTENT_DEPTH: a tree of depth 5 already maps 2^32 blocks. */
export const MAX_EXTENT_DEPTH = 5;
/**
 * Tree nodes read for one file. Depth strictly falls by one per level, so a tree cannot loop, but
 * index entries may all point at the same subtree; this caps the reads such a DAG could cost.
 */
export const MAX_EXTENT_NODES = 1 << 16;
const UNWRITTEN_LENGTH_BIAS = 32768;

/** One leaf entry: `count` blocks from `logicalBlock` at `physicalBlock`. */
export interface Extent {
  logicalBlock: number;
  physicalBlock: number;
  count: number;
  unwritten: boolean;
}

/** A 12-byte struct ext4_extent at `at` (a tree leaf entry, or the value of a fast commit's ADD_RANGE). */
export function decodeExtent(bytes: Uint8Array, at: number): Extent {
  const rawLength = u16le(bytes, at + 4);
  const unwritten = rawLength > UNWRITTEN_LENGTH_BIAS;
  return {
    logicalBlock: u32le(bytes, at),
    count: unwritten ? rawLength - UNWRITTEN_LENGTH_BIAS : rawLength,
    physicalBlock: u16le(bytes, at + 6) * 0x1_0000_0000 + u32le(bytes, at + 8),
    unwritten,
  };
}

interface Walk {
  reader: BlockReader;
  structure: string;
  extents: Extent[];
  nodes: number;
}

async function walkNode(walk: Walk, node: Uint8Array, expectedDepth: number | null, offset: number | undefined): Promise<void> {
  const { structure } = walk;
  if (++walk.nodes > MAX_EXTENT_NODES) {
    throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_EXTENT_NODES} extent tree nodes`, { structure, offset, space: 'volume' });
  }
  const magic = u16le(node, 0);
  if (magic !== HEADER_MAGIC) throw new GrtError('BAD_TABLE', 'extent header magic', { structure, offset, expected: HEADER_MAGIC, actual: magic, space: 'volume' });
  const entries = u16le(node, 2);
  const depth = u16le(node, 6);
  if (12 + entries * ENTRY_BYTES > node.length) throw new GrtError('BAD_TABLE', 'extent entries past the node', { structure, offset, actual: entries, space: 'volume' });
  if (depth > MAX_EXTENT_DEPTH || (expectedDepth !== null && depth !== expectedDepth)) {
    throw new GrtError('BAD_TABLE', 'extent tree depth', { structure, offset, expected: expectedDepth ?? `≤ ${MAX_EXTENT_DEPTH}`, actual: depth, space: 'volume' });
  }
  for (let i = 0; i < entries; i++) {
    const at = 12 + i * ENTRY_BYTES;
    if (depth === 0) {
      // Leaves shared by many index entries could list far more extents than any file has.
      if (walk.extents.length >= MAX_RUNS) throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_RUNS} extents`, { structure, offset, space: 'volume' });
      walk.extents.push(decodeExtent(node, at));
    } else {
      const child = u32le(node, at + 4) + u16le(node, at + 8) * 0x1_0000_0000;
      const bytes = await walk.reader.block(child, structure);
      await walkNode(walk, bytes, depth - 1, child * walk.reader.blockSize);
    }
  }
}

/** Every leaf extent of the tree rooted in `blockField` (i_block), sorted by logical block. */
export async function readExtents(reader: BlockReader, blockField: Uint8Array, structure: string): Promise<Extent[]> {
  const walk: Walk = { reader, structure, extents: [], nodes: 0 };
  await walkNode(walk, blockField, null, undefined);
  return walk.extents.sort((a, b) => a.logicalBlock - b.logicalBlock);
}

/**
 * Map a file's blocks from the extent tree rooted in `blockField` (i_block). Extents past
 * `fileBlocks` are dropped; an extent past the volume or overlapping an earlier one is dropped
 * with a warning, so damage costs those bytes (read as zeros), never another file's.
 */
export async function extentRuns(reader: BlockReader, blockField: Uint8Array, fileBlocks: number, structure: string, warnings: GrtWarning[]): Promise<BlockRun[]> {
  return runsOfExtents(await readExtents(reader, blockField, structure), fileBlocks, reader.blockCount, structure, warnings);
}

/** Runs of sorted `extents` (as extentRuns checks them), holes and unwritten extents as null. */
export function runsOfExtents(extents: readonly Extent[], fileBlocks: number, blockCount: number, structure: string, warnings: GrtWarning[]): BlockRun[] {
  const builder = new RunBuilder(structure);
  let next = 0;
  for (const extent of extents) {
    if (extent.count === 0 || extent.logicalBlock >= fileBlocks) continue;
    if (extent.logicalBlock < next) {
      warnings.push({ code: 'BAD_TABLE', message: `${structure}: extent at block ${extent.logicalBlock} overlaps the one before` });
      continue;
    }
    if (extent.physicalBlock + extent.count > blockCount || (extent.physicalBlock === 0 && !extent.unwritten)) {
      warnings.push({ code: 'BAD_TABLE', message: `${structure}: extent at block ${extent.logicalBlock} points outside the volume` });
      continue;
    }
    const count = Math.min(extent.count, fileBlocks - extent.logicalBlock);
    if (extent.logicalBlock > next) builder.add(next, null, extent.logicalBlock - next);
    builder.add(extent.logicalBlock, extent.unwritten ? null : extent.physicalBlock, count);
    next = extent.logicalBlock + count;
  }
  if (next < fileBlocks) builder.add(next, null, fileBlocks - next);
  return builder.runs;
}

/** True when the i_block bytes start with an extent header (an inode's data is an extent tree). */
export function hasExtentHeader(blockField: Uint8Array): boolean {
  return u16le(blockField, 0) === HEADER_MAGIC;
}
