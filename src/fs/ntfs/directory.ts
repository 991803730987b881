/**
 * Reading a directory's $I30 index for a volume: a name looked up by descending the B-tree
 * (directory-index.ts searchIndex: only the blocks on the way are read), or every entry listed
 * from the root and every in-use block; full tables of recently used directories are cached.
 *
 * Sources: libyal libfsntfs "Index" notes (INDX blocks, sub-node VCNs, the $I30 $BITMAP).
 */
import { LRUCache } from 'lru-cache';
import { GrtError, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import type { CachedSource } from '../../io/cached-source.js';
import type { StreamLayout } from '../file-system.js';
import { ATTR_BITMAP, ATTR_INDEX_ALLOCATION, ATTR_INDEX_ROOT } from './attribute.js';
import { buildLayout, openLayoutStream, sourceOffsetAt } from './data-stream.js';
import { COLLATION_FILE_NAME, parseIndexAllocation, parseIndexBlock, parseIndexRoot, searchIndex, type IndexEntry, type IndexNode, type IndexRootInfo } from './directory-index.js';
import { extentsOf, readAttributeValue, type Mft, type NtfsFile } from './mft.js';
import type { UpcaseTable } from './upcase.js';

/** Index allocation bytes read per step when listing a directory. */
const INDEX_CHUNK_BYTES = 1024 * 1024;
/** A directory's $I30 $BITMAP: one bit per block; 8 MiB covers 256 GiB of index blocks. */
const MAX_INDEX_BITMAP_BYTES = 8 * 1024 * 1024;
/** Directories whose lookup table is kept. */
const DIRECTORY_CACHE = 64;

/** A directory's $I30, opened: the root node parsed, the allocation (if any) ready to read. */
interface DirectoryIndex {
  structure: string;
  root: IndexRootInfo;
  allocation?: {
    layout: StreamLayout;
    stream: ByteSource;
    /** One bit per block in use; null when the directory has no $I30 $BITMAP. */
    bitmap: Uint8Array | null;
  };
}

/** The volume facts index reading needs. */
interface VolumeGeometry {
  clusterSize: number;
  recordSize: number;
  indexBlockSize: number;
  volumeSize: number;
}

export class DirectoryReader {
  private readonly tables = new LRUCache<number, Map<string, IndexEntry[]>>({ max: DIRECTORY_CACHE });

  constructor(
    private readonly meta: CachedSource,
    private readonly mft: Mft,
    private readonly upcase: UpcaseTable,
    private readonly info: VolumeGeometry,
    /** The volume's warnings: index damage is kept there too. */
    private readonly warnings: GrtWarning[],
  ) {}

  clear(): void {
    this.tables.clear();
  }

  /**
   * The entries of `dir` named `name` case-insensitively. Without the directory's table cached, a
   * B-tree search reads only the blocks on the way down; a damaged node on that way, or a miss
   * (the name may still be in an in-use block the tree does not reach), falls back to the full
   * table, which reads every block and keeps what a damaged index still holds.
   */
  async lookup(dir: NtfsFile, name: string): Promise<IndexEntry[]> {
    let table = this.tables.get(dir.record.recordNumber);
    if (!table) {
      try {
        const found = await this.searchDirectory(dir, name);
        if (found.length > 0) return found;
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
      }
      table = await this.lookupTable(dir);
    }
    return table.get(this.upcase.key(name)) ?? [];
  }

  /**
   * Descend `dir`'s $I30 B-tree for `name`. INDX block VCNs count clusters when a cluster is no
   * larger than a block, else 512-byte units (libfsntfs "Index" notes; the Linux ntfs driver's
   * index_vcn_size), so block `vcn` starts at byte vcn × that unit of $INDEX_ALLOCATION.
   */
  private async searchDirectory(dir: NtfsFile, name: string): Promise<IndexEntry[]> {
    const { structure, root, allocation } = await this.openIndex(dir);
    if (root.collationRule !== COLLATION_FILE_NAME) return []; // not ordered as searched: the full table
    const vcnBytes = this.info.clusterSize <= root.blockSize ? this.info.clusterSize : 512;
    // `vcnOffset`: where the parent recorded `vcn`, the place a bad VCN is reported at.
    const loadNode = async (vcn: number, vcnOffset: number | undefined): Promise<IndexNode> => {
      const blocks = allocation ? Math.floor(allocation.stream.size / root.blockSize) : 0;
      const block = (vcn * vcnBytes) / root.blockSize;
      if (!allocation || !Number.isInteger(block) || block >= blocks) {
        throw new GrtError('BAD_INDEX', 'index sub-node VCN outside the index allocation', { structure, offset: vcnOffset, space: 'volume', expected: blocks, actual: vcn });
      }
      if (allocation.bitmap && ((allocation.bitmap[block >> 3] ?? 0) & (1 << (block & 7))) === 0) {
        throw new GrtError('BAD_INDEX', 'index sub-node VCN names a block not in use', { structure, offset: vcnOffset, space: 'volume', actual: vcn });
      }
      const at = block * root.blockSize;
      // A private copy: fixups are applied in place, and the read may hand back cached bytes.
      const bytes = (await allocation.stream.read(at, root.blockSize)).slice();
      return parseIndexBlock(bytes, structure, (pos) => sourceOffsetAt(allocation.layout.runs, at + pos), vcn);
    };
    return searchIndex(root, loadNode, (n) => this.upcase.key(n), name, structure);
  }

  private async lookupTable(dir: NtfsFile): Promise<Map<string, IndexEntry[]>> {
    const cached = this.tables.get(dir.record.recordNumber);
    if (cached) return cached;
    const table = new Map<string, IndexEntry[]>();
    for (const item of await this.entries(dir)) {
      const key = this.upcase.key(item.key.name);
      const list = table.get(key);
      if (list) list.push(item);
      else table.set(key, [item]);
    }
    this.tables.set(dir.record.recordNumber, table);
    return table;
  }

  /** A directory's $I30: the root parsed, the $INDEX_ALLOCATION stream and $BITMAP checked. */
  private async openIndex(dir: NtfsFile): Promise<DirectoryIndex> {
    const structure = `MFT record ${dir.record.recordNumber} $I30`;
    const root = dir.attributes.find((a) => a.type === ATTR_INDEX_ROOT && a.name === '$I30' && a.value);
    const at = { structure, offset: dir.attributes[0]?.byteOffset, space: 'volume' } as const;
    if (!root) throw new GrtError('BAD_INDEX', 'directory has no $INDEX_ROOT', at);
    const index = parseIndexRoot(root.value!, structure, this.mft.valueOffset(root));
    const blockSize = index.blockSize;
    const allocation = extentsOf(dir.attributes, ATTR_INDEX_ALLOCATION, '$I30');
    if (allocation.length === 0) return { structure, root: index };
    if (blockSize !== this.info.indexBlockSize && (blockSize < 512 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0)) {
      throw new GrtError('BAD_INDEX', 'index block size out of range', { structure, offset: root.byteOffset, space: 'volume', actual: blockSize });
    }
    const bitmapExtents = extentsOf(dir.attributes, ATTR_BITMAP, '$I30');
    const bitmap = bitmapExtents.length > 0 ? await readAttributeValue(this.meta, bitmapExtents, this.info.clusterSize, MAX_INDEX_BITMAP_BYTES, structure) : null;
    const layout = buildLayout(allocation, this.info.clusterSize, structure);
    const stream = openLayoutStream(this.meta, layout);
    // Sparse runs are not bounded by the volume, so a damaged index could claim petabytes of holes.
    if (stream.size > this.info.volumeSize) {
      throw new GrtError('BAD_INDEX', '$INDEX_ALLOCATION larger than the volume', { structure, offset: allocation[0]!.byteOffset, space: 'volume', expected: this.info.volumeSize, actual: stream.size });
    }
    return { structure, root: index, allocation: { layout, stream, bitmap } };
  }

  /** All entries of a directory's $I30 index: root node, then every in-use allocation block. */
  async entries(dir: NtfsFile): Promise<IndexEntry[]> {
    const { structure, root, allocation } = await this.openIndex(dir);
    const entries = [...root.entries];
    if (!allocation) return entries;
    const { layout, stream, bitmap } = allocation;
    const blockSize = root.blockSize;
    const chunkBytes = Math.max(blockSize, Math.floor(INDEX_CHUNK_BYTES / blockSize) * blockSize);
    const warnings: GrtWarning[] = [];
    for (let offset = 0; offset + blockSize <= stream.size; offset += chunkBytes) {
      const bytes = await stream.read(offset, Math.min(chunkBytes, Math.floor((stream.size - offset) / blockSize) * blockSize));
      parseIndexAllocation(bytes, offset / blockSize, bitmap, blockSize, structure, entries, warnings, (at) => sourceOffsetAt(layout.runs, at));
    }
    dir.warnings.push(...warnings);
    // The directory's entry was described before its index was read: keep the damage on the volume
    // too (once, as a directory is listed again and again), where a caller can see it.
    for (const w of warnings) {
      if (!this.warnings.some((v) => v.message === w.message)) this.warnings.push(w);
    }
    return entries;
  }
}
