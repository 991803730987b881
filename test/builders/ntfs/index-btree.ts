/**
 * $I30 (and empty view) indexes: an INDEX_ROOT value plus, when the entries do not fit in the
 * record, INDX blocks forming a B-tree (libfsntfs notes: index root, index node header, index
 * entry, INDX block with update sequence array).
 */

import { ByteWriter, align, concat } from './bytes.js';
import { applyFixups, FIXUP_STRIDE } from './record.js';

export const COLLATION_FILE_NAME = 0x01;
export const COLLATION_NTOFS_ULONG = 0x10;
export const COLLATION_NTOFS_SECURITY_HASH = 0x12;

/** One index entry: the file it points to and the key (a $FILE_NAME value for $I30). */
export interface IndexKey {
  reference: bigint;
  key: Uint8Array;
}

interface Item {
  entry: IndexKey;
  child?: number;
}

interface Node {
  items: Item[];
  endChild?: number;
}

export interface IndexGeometry {
  blockSize: number;
  /** Bytes per VCN of the index allocation: the cluster size, or 512 when clusters are larger than a block. */
  vcnUnit: number;
}

export interface BuiltIndex {
  /** Entries area of the INDEX_ROOT (after the 0x20 bytes of root and node headers). */
  rootEntries: Uint8Array;
  rootHasChildren: boolean;
  blocks: Uint8Array[];
}

const BLOCK_HEADER_SIZE = 0x18;

function blockEntriesOffset(blockSize: number): number {
  const usaEnd = 0x28 + 2 * (blockSize / FIXUP_STRIDE + 1);
  return align(usaEnd, 8) - BLOCK_HEADER_SIZE;
}

function itemLength(item: Item): number {
  return align(0x10 + item.entry.key.length, 8) + (item.child === undefined ? 0 : 8);
}

function endLength(child: number | undefined): number {
  return child === undefined ? 0x10 : 0x18;
}

function nodeLength(node: Node): number {
  return node.items.reduce((n, i) => n + itemLength(i), 0) + endLength(node.endChild);
}

/**
 * Build the B-tree bottom-up: fill blocks in key order; the entry after a full block moves up a
 * level with a pointer to that block. Stop when a level fits in `rootCapacity` bytes.
 * `entries` must already be in collation order.
 */
export function buildIndex(entries: IndexKey[], rootCapacity: number, geometry: IndexGeometry): BuiltIndex {
  const blocks: Node[] = [];
  let level: Node = { items: entries.map((entry) => ({ entry })) };
  const blockCapacity = geometry.blockSize - BLOCK_HEADER_SIZE - blockEntriesOffset(geometry.blockSize);
  while (nodeLength(level) > rootCapacity) {
    const upper: Item[] = [];
    let current: Item[] = [];
    let used = endLength(level.endChild === undefined ? undefined : 0);
    for (const item of level.items) {
      if (used + itemLength(item) > blockCapacity && current.length > 0) {
        blocks.push({ items: current, endChild: item.child });
        upper.push({ entry: item.entry, child: blocks.length - 1 });
        current = [];
        used = endLength(level.endChild === undefined ? undefined : 0);
        continue;
      }
      current.push(item);
      used += itemLength(item);
    }
    blocks.push({ items: current, endChild: level.endChild });
    level = { items: upper, endChild: blocks.length - 1 };
  }
  const vcnOf = (block: number) => (block * geometry.blockSize) / geometry.vcnUnit;
  return {
    rootEntries: encodeEntries(level, vcnOf),
    rootHasChildren: level.endChild !== undefined,
    blocks: blocks.map((node, i) => encodeBlock(node, vcnOf(i), geometry.blockSize, vcnOf)),
  };
}

function encodeEntries(node: Node, vcnOf: (block: number) => number): Uint8Array {
  const parts = node.items.map((item) => {
    const length = itemLength(item);
    const w = new ByteWriter(length);
    w.u64(0, item.entry.reference);
    w.u16(8, length);
    w.u16(10, item.entry.key.length);
    w.u32(12, item.child === undefined ? 0 : 1);
    w.set(0x10, item.entry.key);
    if (item.child !== undefined) w.u64(length - 8, vcnOf(item.child));
    return w.bytes;
  });
  const end = new ByteWriter(endLength(node.endChild));
  end.u16(8, end.bytes.length);
  end.u32(12, node.endChild === undefined ? 2 : 3);
  if (node.endChild !== undefined) end.u64(0x10, vcnOf(node.endChild));
  parts.push(end.bytes);
  return concat(parts);
}

function encodeBlock(node: Node, vcn: number, blockSize: number, vcnOf: (block: number) => number): Uint8Array {
  const entries = encodeEntries(node, vcnOf);
  const w = new ByteWriter(blockSize);
  const entriesOffset = blockEntriesOffset(blockSize);
  w.set(0, new TextEncoder().encode('INDX'));
  w.u64(0x10, vcn);
  w.u32(0x18, entriesOffset);
  w.u32(0x1c, entriesOffset + entries.length);
  w.u32(0x20, blockSize - BLOCK_HEADER_SIZE);
  w.u8(0x24, node.endChild === undefined ? 0 : 1);
  w.set(BLOCK_HEADER_SIZE + entriesOffset, entries);
  applyFixups(w.bytes, 0x28, 1);
  return w.bytes;
}

/** The INDEX_ROOT attribute value. */
export function indexRootValue(
  indexedType: number,
  collation: number,
  blockSize: number,
  clustersPerBlock: number,
  built: Pick<BuiltIndex, 'rootEntries' | 'rootHasChildren'>,
): Uint8Array {
  const w = new ByteWriter(0x20 + built.rootEntries.length);
  w.u32(0, indexedType);
  w.u32(4, collation);
  w.u32(8, blockSize);
  w.u8(0x0c, clustersPerBlock);
  w.u32(0x10, 0x10);
  w.u32(0x14, 0x10 + built.rootEntries.length);
  w.u32(0x18, 0x10 + built.rootEntries.length);
  w.u8(0x1c, built.rootHasChildren ? 1 : 0);
  w.set(0x20, built.rootEntries);
  return w.bytes;
}
