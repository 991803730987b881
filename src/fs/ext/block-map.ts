/**
 * The ext2/ext3 indirect block map (inodes without EXT4_EXTENTS_FL): i_block[0..11] point at the
 * first 12 data blocks, i_block[12] at a block of pointers, [13] at a block of pointer blocks,
 * [14] one level deeper. A zero pointer is a hole (for a pointer block: the whole range below it).
 *
 * Source: "ext4 Data Structures and Algorithms", section "Direct/Indirect Block Addressing".
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import { u32le } from '../../util/little-endian.js';
import type { BlockReader } from './block-reader.js';
import { RunBuilder, type BlockRun } from './block-runs.js';

const DIRECT_POINTERS = 12;

interface MapWalk {
  reader: BlockReader;
  builder: RunBuilder;
  fileBlocks: number;
  structure: string;
  warnings: GrtWarning[];
  /** Pointer blocks read: a file maps at most fileBlocks data blocks, so this stays near fileBlocks / pointers per block. */
  pointerBlocks: number;
  maxPointerBlocks: number;
}

function addData(walk: MapWalk, logicalBlock: number, pointer: number, count: number): void {
  if (pointer !== 0 && pointer >= walk.reader.blockCount) {
    walk.warnings.push({ code: 'BAD_TABLE', message: `${walk.structure}: block pointer ${pointer} is outside the volume` });
    pointer = 0;
  }
  walk.builder.add(logicalBlock, pointer === 0 ? null : pointer, count);
}

/** Map `span` logical blocks from `logicalBlock` under pointer block `pointer` of `level` (1 = single indirect). */
async function mapIndirect(walk: MapWalk, pointer: number, level: number, logicalBlock: number, span: number): Promise<void> {
  if (pointer === 0 || pointer >= walk.reader.blockCount) {
    addData(walk, logicalBlock, pointer, span);
    return;
  }
  if (++walk.pointerBlocks > walk.maxPointerBlocks) {
    throw new GrtError('LIMIT_EXCEEDED', `more indirect blocks than a file of ${walk.fileBlocks} blocks needs`, { structure: walk.structure });
  }
  const pointers = await walk.reader.block(pointer, walk.structure);
  const perBlock = walk.reader.blockSize / 4;
  const childSpan = perBlock ** (level - 1);
  for (let i = 0; i < perBlock && logicalBlock + i * childSpan < walk.fileBlocks; i++) {
    const childLogical = logicalBlock + i * childSpan;
    const count = Math.min(childSpan, walk.fileBlocks - childLogical);
    const child = u32le(pointers, i * 4);
    if (level === 1) addData(walk, childLogical, child, 1);
    else await mapIndirect(walk, child, level - 1, childLogical, count);
  }
}

/**
 * Map the first `fileBlocks` logical blocks of a file whose i_block holds block pointers.
 * `sizeOffset`: the volume offset of the inode's size field, where a size too large is reported.
 */
export async function indirectRuns(reader: BlockReader, blockField: Uint8Array, fileBlocks: number, structure: string, warnings: GrtWarning[], sizeOffset?: number): Promise<BlockRun[]> {
  const perBlock = reader.blockSize / 4;
  const builder = new RunBuilder(structure);
  const walk: MapWalk = {
    reader, builder, fileBlocks, structure, warnings, pointerBlocks: 0,
    maxPointerBlocks: 3 + Math.ceil(fileBlocks / perBlock) * 2 + Math.ceil(fileBlocks / perBlock / perBlock),
  };
  for (let i = 0; i < DIRECT_POINTERS && i < fileBlocks; i++) addData(walk, i, u32le(blockField, i * 4), 1);
  let logicalBlock = DIRECT_POINTERS;
  for (let level = 1; level <= 3 && logicalBlock < fileBlocks; level++) {
    const span = Math.min(perBlock ** level, fileBlocks - logicalBlock);
    await mapIndirect(walk, u32le(blockField, (DIRECT_POINTERS + level - 1) * 4), level, logicalBlock, span);
    logicalBlock += perBlock ** level;
  }
  if (logicalBlock < fileBlocks) {
    throw new GrtError('BAD_RECORD', `file of ${fileBlocks} blocks is larger than an indirect map can address`, { structure, offset: sizeOffset, space: 'volume' });
  }
  return builder.runs;
}
