/**
 * $Secure:$SII, the view index from security id to $SDS entry: a B+tree of INDX blocks like a
 * directory's $I30, but its entries carry data instead of a file reference.
 *
 * Sources: libyal libfsntfs "Security identifier index" notes; ntfs-3g layout.h (INDEX_ENTRY of a
 * view index: u16 data offset, u16 data length, u32 reserved, then entry length, key length and
 * flags as in $I30; SII_INDEX_KEY = the u32 security id; its data a SECURITY_DESCRIPTOR_HEADER:
 * hash u32, security id u32, $SDS offset u64, length u32), collated COLLATION_NTOFS_ULONG (0x10:
 * keys compare as unsigned 32-bit numbers).
 * A lookup descends one path (log n blocks) instead of reading all of $SDS.
 */
import { GrtError } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { u16le, u32le } from '../../util/little-endian.js';
import { u64le } from '../../util/safe-number.js';
import { INDEX_BLOCK_HEADER, INDEX_ROOT_HEADER } from './directory-index.js';
import { applyFixups } from './mft-record.js';

export const SII_INDEX_NAME = '$SII';
/** [MS-FSCC]/ntfs-3g COLLATION_NTOFS_ULONG: the only order a lookup by id may rely on. */
const COLLATION_NTOFS_ULONG = 0x10;
/** View index entry header: data offset, data length, reserved, entry length, key length, flags. */
const ENTRY_HEADER_BYTES = 16;
const AT = { dataOffset: 0, dataLength: 2, entryLength: 8, keyLength: 10, flags: 12 } as const;
const ENTRY_FLAG_SUB_NODE = 0x1;
const ENTRY_FLAG_LAST = 0x2;
/** SII_INDEX_KEY is the u32 id; the data is the 20-byte $SDS entry header. */
const SII_KEY_BYTES = 4;
const SII_DATA_BYTES = 20;
/** Entries per node: a 64 KiB block of minimal entries holds far fewer; more is damage. */
const MAX_ENTRIES_PER_NODE = 4096;
/** Levels a lookup descends: millions of ids fit in 4 levels of 4 KiB blocks; deeper is damage. */
const MAX_DEPTH = 32;
/** Largest INDX block accepted (Windows writes 4 KiB). */
const MAX_BLOCK_BYTES = 64 * 1024;

/** Where $SDS keeps a descriptor, as $SII says. */
export interface SiiHit {
  offset: number;
  length: number;
}

/** Volume byte offset of a byte of the index (undefined: no place known), for error offsets. */
export type OffsetOf = (pos: number) => number | undefined;

interface SiiNode {
  ids: number[];
  hits: SiiHit[];
  /** children[i]: the node of ids below ids[i]; children[ids.length]: those above them all. */
  children: (number | undefined)[];
  /** childOffsets[i]: the volume offset of the field holding children[i]. */
  childOffsets: (number | undefined)[];
}

/**
 * The entries of one node whose header is at `headerOffset` of `bytes` (offsets from the header);
 * `offsetOf` maps a byte of `bytes` to the volume.
 */
function parseNode(bytes: Uint8Array, headerOffset: number, structure: string, offsetOf: OffsetOf): SiiNode {
  const bad = (message: string, pos: number, actual?: unknown): GrtError => new GrtError('BAD_INDEX', message, { structure, offset: offsetOf(pos), space: 'volume', actual });
  if (headerOffset + 16 > bytes.length) throw bad('node header outside the node', headerOffset);
  const start = headerOffset + u32le(bytes, headerOffset);
  const end = headerOffset + u32le(bytes, headerOffset + 4);
  if (start < headerOffset + 16 || end > bytes.length || start > end) throw bad('node entries outside the node', headerOffset, end);
  const node: SiiNode = { ids: [], hits: [], children: [], childOffsets: [] };
  for (let pos = start, count = 0; ; count++) {
    const at = { structure, offset: offsetOf(pos), space: 'volume' } as const;
    if (count > MAX_ENTRIES_PER_NODE) throw new GrtError('LIMIT_EXCEEDED', 'too many entries in an index node', at);
    if (pos + ENTRY_HEADER_BYTES > end) throw bad('node without its last entry', pos);
    const length = u16le(bytes, pos + AT.entryLength);
    const flags = u16le(bytes, pos + AT.flags);
    if (length < ENTRY_HEADER_BYTES || length % 8 !== 0 || pos + length > end) throw bad('index entry length out of range', pos + AT.entryLength, length);
    const hasChild = (flags & ENTRY_FLAG_SUB_NODE) !== 0 && length >= ENTRY_HEADER_BYTES + 8;
    node.children.push(hasChild ? u64le(bytes, pos + length - 8, 'index sub-node VCN', { ...at, offset: offsetOf(pos + length - 8) }) : undefined);
    node.childOffsets.push(hasChild ? offsetOf(pos + length - 8) : undefined);
    if ((flags & ENTRY_FLAG_LAST) !== 0) return node;
    const dataOffset = u16le(bytes, pos + AT.dataOffset);
    if (u16le(bytes, pos + AT.keyLength) !== SII_KEY_BYTES || u16le(bytes, pos + AT.dataLength) !== SII_DATA_BYTES || dataOffset + SII_DATA_BYTES > length) {
      throw bad('$SII entry of another shape', pos, length);
    }
    const id = u32le(bytes, pos + ENTRY_HEADER_BYTES);
    const data = pos + dataOffset;
    if (u32le(bytes, data + 4) !== id || (node.ids.length > 0 && id <= node.ids[node.ids.length - 1]!)) throw bad('$SII entry out of order or naming another id', pos + ENTRY_HEADER_BYTES, id);
    node.ids.push(id);
    node.hits.push({ offset: u64le(bytes, data + 8, '$SDS offset', { ...at, offset: offsetOf(data + 8) }), length: u32le(bytes, data + 16) });
    pos += length;
  }
}

/** The $SII $INDEX_ALLOCATION stream, and where its bytes are on the volume. */
export interface SiiAllocation {
  stream: ByteSource;
  volumeOffset: OffsetOf;
}

/** The $SII B+tree: its root (from $INDEX_ROOT) and its INDX blocks (the $INDEX_ALLOCATION stream). */
export class SiiIndex {
  private constructor(
    private readonly root: SiiNode,
    private readonly blockSize: number,
    /** Bytes a sub-node VCN counts: clusters when a cluster is no larger than a block, else 512. */
    private readonly vcnBytes: number,
    private readonly allocation: SiiAllocation | undefined,
    private readonly structure: string,
  ) {}

  /**
   * Parse the root; BAD_INDEX when it is not an id-ordered $SII. `rootOffset`: the $INDEX_ROOT
   * value's volume byte offset, when known, for error offsets.
   */
  static open(rootValue: Uint8Array, rootOffset: number | undefined, allocation: SiiAllocation | undefined, clusterSize: number, structure: string): SiiIndex {
    const offsetOf = (pos: number): number | undefined => (rootOffset === undefined ? undefined : rootOffset + pos);
    if (rootValue.length < INDEX_ROOT_HEADER.size + 16) throw new GrtError('BAD_INDEX', '$INDEX_ROOT too short', { structure, offset: offsetOf(0), space: 'volume', actual: rootValue.length });
    const header = INDEX_ROOT_HEADER.decode(rootValue);
    const fields = INDEX_ROOT_HEADER.offsets;
    if (header.collationRule !== COLLATION_NTOFS_ULONG) {
      throw new GrtError('BAD_INDEX', '$SII not ordered by id', { structure, offset: offsetOf(fields.collationRule), space: 'volume', actual: header.collationRule });
    }
    const blockSize = header.indexBlockSize;
    if (blockSize < 512 || blockSize > MAX_BLOCK_BYTES || blockSize % 512 !== 0) {
      throw new GrtError('BAD_INDEX', 'index block size out of range', { structure, offset: offsetOf(fields.indexBlockSize), space: 'volume', actual: blockSize });
    }
    return new SiiIndex(parseNode(rootValue, INDEX_ROOT_HEADER.size, structure, offsetOf), blockSize, clusterSize <= blockSize ? clusterSize : 512, allocation, structure);
  }

  /** Where $SDS keeps `securityId`'s descriptor, or undefined when $SII has no such id. */
  async find(securityId: number): Promise<SiiHit | undefined> {
    const visited = new Set<number>();
    let node = this.root;
    for (let depth = 0; ; depth++) {
      let i = 0;
      while (i < node.ids.length && node.ids[i]! < securityId) i++;
      if (node.ids[i] === securityId) return node.hits[i];
      const vcn = node.children[i];
      if (vcn === undefined) return undefined;
      // Errors about a sub-node point at the VCN field that names it.
      const vcnOffset = node.childOffsets[i];
      if (depth >= MAX_DEPTH || visited.has(vcn)) throw new GrtError('BAD_INDEX', '$SII deeper than the limit or cyclic', { structure: this.structure, offset: vcnOffset, space: 'volume', actual: vcn });
      visited.add(vcn);
      node = await this.load(vcn, vcnOffset);
    }
  }

  private async load(vcn: number, vcnOffset: number | undefined): Promise<SiiNode> {
    const { structure } = this;
    const at = vcn * this.vcnBytes;
    if (!this.allocation || at % this.blockSize !== 0 || at + this.blockSize > this.allocation.stream.size) {
      throw new GrtError('BAD_INDEX', 'index sub-node VCN outside the index allocation', { structure, offset: vcnOffset, space: 'volume', actual: vcn });
    }
    const { stream, volumeOffset } = this.allocation;
    const offsetOf = (pos: number): number | undefined => volumeOffset(at + pos);
    // A private copy: fixups are applied in place.
    const bytes = (await stream.read(at, this.blockSize)).slice();
    if (bytes[0] !== 0x49 || bytes[1] !== 0x4e || bytes[2] !== 0x44 || bytes[3] !== 0x58) throw new GrtError('BAD_INDEX', 'index block signature is not INDX', { structure, offset: offsetOf(0), space: 'volume', actual: vcn });
    applyFixups(bytes, structure, offsetOf(0) ?? 0, 'BAD_INDEX');
    const vcnAt = { structure, offset: offsetOf(INDEX_BLOCK_HEADER.offsets.vcn), space: 'volume' } as const;
    const recorded = u64le(bytes, INDEX_BLOCK_HEADER.offsets.vcn, 'index block VCN', vcnAt);
    if (recorded !== vcn) throw new GrtError('BAD_INDEX', 'index block records another VCN than its place', { ...vcnAt, expected: vcn, actual: recorded });
    return parseNode(bytes, INDEX_BLOCK_HEADER.size, structure, offsetOf);
  }
}
