/**
 * Reads the extended attributes of an inode from whichever form its attribute fork has: short
 * form in the inode, or a leaf / dabtree of leaves in attribute-fork blocks with remote values
 * (XFS Algorithms & Data Structures "Extended Attributes", "Directory/Attribute Block Formats").
 */
import { GrtError, type GrtWarning } from '../../errors.js';
import { forkExtents, type Extent } from './bmap.js';
import { NO_CRC_CHECK, type CrcCheck } from './crc32c.js';
import type { Inode } from './inode.js';
import { fsBlockToByte, inodeToByte, type Superblock } from './superblock.js';
import { isLeafBlock, parseLeafBlock, parseShortFormXattrs, type Xattr } from './xattr.js';

/** A value is at most XATTR_SIZE_MAX (64 KiB) in Linux. */
const MAX_VALUE_BYTES = 64 * 1024;
/** Leaf blocks followed through sibling pointers: bounds a sibling loop or a huge fork. */
const MAX_LEAF_BLOCKS = 1 << 16;
/** Dabtree levels descended (XFS_DA_NODE_MAXDEPTH is 5). */
const MAX_NODE_DEPTH = 5;
const NODE_MAGIC_V4 = 0xfebe;
const NODE_MAGIC_V5 = 0x3ebe;
/** Remote value blocks on v5 start with xfs_attr3_rmt_hdr ('XARM'). */
const REMOTE_HEADER_V5 = 56;
const REMOTE_MAGIC = 0x5841524d; // 'XARM'
/** v5 leaves and nodes (xfs_da3_blkinfo) and remote value headers keep their CRC at byte 12. */
const CRC_OFFSET = 12;
const LEAF_MAGIC_V5 = 0x3bee;

export type ReadFsBlock = (fsBlock: number) => Promise<Uint8Array>;
/** An attribute-fork block's bytes and where they are in the volume (for error offsets). */
interface ForkBlock {
  bytes: Uint8Array;
  byteOffset: number;
}
type ReadForkBlock = (fileBlock: number) => Promise<ForkBlock>;

/** Damage in an attribute-fork block: the error names its byte in the volume. */
function damaged(code: 'BAD_ATTRIBUTE' | 'BAD_MAGIC' | 'LIMIT_EXCEEDED' | 'MISSING_DATA', detail: string, byteOffset: number): GrtError {
  return new GrtError(code, detail, { structure: 'xfs xattr', offset: byteOffset, space: 'volume' });
}

function fsBlockOf(extents: readonly Extent[], fileBlock: number): number | undefined {
  const extent = extents.find((e) => fileBlock >= e.fileBlock && fileBlock < e.fileBlock + e.blockCount);
  return extent && !extent.unwritten ? extent.fsBlock + (fileBlock - extent.fileBlock) : undefined;
}

/** Check a v5 attribute block's CRC where its magic says it has one. */
function checkBlock(check: CrcCheck, fsBlock: number, block: Uint8Array, warnings: GrtWarning[]): void {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const daMagic = view.getUint16(8);
  if (daMagic === LEAF_MAGIC_V5 || daMagic === NODE_MAGIC_V5) check(fsBlock, block, CRC_OFFSET, 'attribute leaf/node', warnings);
  else if (view.getUint32(0) === REMOTE_MAGIC) check(fsBlock, block, CRC_OFFSET, 'attribute remote value', warnings);
}

export async function readXattrs(sb: Superblock, inode: Inode, readBlock: ReadFsBlock, warnings: GrtWarning[], check: CrcCheck = NO_CRC_CHECK): Promise<Xattr[]> {
  const fork = inode.attrFork;
  if (!fork) return [];
  if (fork.format === 'local') return parseShortFormXattrs(fork.bytes, fork.byteOffset);
  const extents = await forkExtents(sb, fork, readBlock, warnings, check);
  const blockAt = async (fileBlock: number): Promise<ForkBlock> => {
    const fsBlock = fsBlockOf(extents, fileBlock);
    // An unmapped block has no place of its own: the inode whose fork names it is the damage.
    if (fsBlock === undefined) throw damaged('MISSING_DATA', `XFS inode ${inode.number}: attribute block ${fileBlock} is not mapped`, inodeToByte(sb, inode.number));
    const bytes = await readBlock(fsBlock);
    if (sb.hasCrc) checkBlock(check, fsBlock, bytes, warnings);
    return { bytes, byteOffset: fsBlockToByte(sb, fsBlock) };
  };
  const out: Xattr[] = [];
  const visited = new Set<number>();
  let pointedFrom = inodeToByte(sb, inode.number);
  for (let fileBlock = await firstLeaf(blockAt, inode.number); fileBlock !== 0 || visited.size === 0; ) {
    if (visited.has(fileBlock) || visited.size >= MAX_LEAF_BLOCKS) throw damaged('BAD_ATTRIBUTE', `XFS inode ${inode.number}: attribute leaf chain loops or is too long`, pointedFrom);
    visited.add(fileBlock);
    const { bytes: block, byteOffset } = await blockAt(fileBlock);
    if (!isLeafBlock(block)) throw damaged('BAD_ATTRIBUTE', `XFS inode ${inode.number}: attribute block ${fileBlock} is not a leaf`, byteOffset);
    const { local, remote } = parseLeafBlock(block, warnings, byteOffset);
    out.push(...local);
    for (const value of remote) {
      try {
        out.push({ name: value.name, value: await remoteValue(sb, blockAt, value.fileBlock, value.length, byteOffset) });
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
        warnings.push({ code: error.code, message: `${value.name}: ${error.message}` });
      }
    }
    fileBlock = new DataView(block.buffer, block.byteOffset).getUint32(0); // info.forw: next leaf
    pointedFrom = byteOffset;
  }
  return out;
}

/** Block 0 is the only leaf or the dabtree root: descend the leftmost pointers to the first leaf. */
async function firstLeaf(blockAt: ReadForkBlock, inodeNumber: number): Promise<number> {
  let fileBlock = 0;
  let byteOffset = 0;
  for (let depth = 0; depth <= MAX_NODE_DEPTH; depth++) {
    const read = await blockAt(fileBlock);
    const block = read.bytes;
    byteOffset = read.byteOffset;
    if (isLeafBlock(block)) return fileBlock;
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    const magic = view.getUint16(8);
    if (magic !== NODE_MAGIC_V4 && magic !== NODE_MAGIC_V5) throw damaged('BAD_MAGIC', `XFS inode ${inodeNumber}: attribute block ${fileBlock} magic 0x${magic.toString(16)}`, byteOffset + 8);
    // xfs_da_intnode: header (16 bytes v4, 64 v5) then {hashval u32, before u32} entries.
    const header = magic === NODE_MAGIC_V5 ? 64 : 16;
    const count = view.getUint16(header - (magic === NODE_MAGIC_V5 ? 8 : 4));
    if (count === 0) throw damaged('BAD_ATTRIBUTE', `XFS inode ${inodeNumber}: empty attribute node ${fileBlock}`, byteOffset);
    fileBlock = view.getUint32(header + 4);
  }
  throw damaged('LIMIT_EXCEEDED', `XFS inode ${inodeNumber}: attribute tree deeper than ${MAX_NODE_DEPTH}`, byteOffset);
}

/** A remote value's bytes; `leafOffset` is the leaf naming it (where a bad length is). */
async function remoteValue(sb: Superblock, blockAt: ReadForkBlock, first: number, length: number, leafOffset: number): Promise<Uint8Array> {
  if (length > MAX_VALUE_BYTES) throw damaged('LIMIT_EXCEEDED', `remote value of ${length} bytes`, leafOffset);
  const value = new Uint8Array(length);
  const header = sb.hasCrc ? REMOTE_HEADER_V5 : 0;
  for (let filled = 0, fileBlock = first; filled < length; fileBlock++) {
    const data = (await blockAt(fileBlock)).bytes.subarray(header);
    const take = Math.min(data.length, length - filled);
    value.set(data.subarray(0, take), filled);
    filled += take;
  }
  return value;
}
