/**
 * The NAMES and FILES chunks of one volume as a catalog build writes them (docs/catalog-format.md
 * §5, §6): records appended to the open chunk of each kind, which is compressed and written as soon
 * as it fills, so memory holds one chunk pair.
 */
import type { StreamLayout } from '../fs/file-system.js';
import { FilesChunkWriter, NamesChunkWriter, type FileFields, type LayoutError, type NameRecord } from './encode.js';
import { SectionType } from './format.js';

/** Entries per chunk: 16k names inflate to ~0.5 MiB, so a reader touches little to reach one file. */
export const CHUNK_ENTRIES = 16_384;
/** A FILES chunk is closed early past this many bytes (files with very long run lists). */
const CHUNK_FLUSH_BYTES = 8 * 1024 * 1024;

export /** Where a FILES chunk is, so a reader finds a file without inflating the others (END section). */
interface FilesChunkRef {
  sectionOffset: number;
  volume: number;
  first: number;
  count: number;
}

export /** The NAMES and FILES chunks of one volume being written, flushed as they fill. */
class VolumeChunks {
  names: NamesChunkWriter;
  files: FilesChunkWriter;
  nameCount = 0;
  fileCount = 0;

  constructor(
    private readonly index: number,
    private readonly emit: (type: number, payload: Uint8Array) => Promise<number>,
    private readonly chunks: FilesChunkRef[],
    /** Maps a logical volume's layouts to the disk set (build.ts LayoutPlacer); absent for a partition. */
    private readonly place?: (layout: StreamLayout) => StreamLayout | LayoutError,
  ) {
    this.names = new NamesChunkWriter(index, 0);
    this.files = new FilesChunkWriter(index, 0);
  }

  /** Appends a file record (layouts in volume offsets, shifted by `start`); returns its file index. */
  addFile(f: FileFields, layouts: readonly (StreamLayout | LayoutError)[], start: number): number {
    const place = this.place;
    if (place) this.files.add(f, layouts.map((layout) => ('error' in layout ? layout : place(layout))), 0);
    else this.files.add(f, layouts, start);
    return this.fileCount++;
  }

  addName(rec: NameRecord): number {
    this.names.add(rec);
    return this.nameCount++;
  }

  get full(): boolean {
    return this.names.count >= CHUNK_ENTRIES || this.files.count >= CHUNK_ENTRIES || this.files.w.length >= CHUNK_FLUSH_BYTES;
  }

  /** Writes the chunks that are full, or with `all` every non-empty one. */
  async flush(all = false): Promise<void> {
    if (this.names.count >= (all ? 1 : CHUNK_ENTRIES)) {
      await this.emit(SectionType.names, this.names.finish());
      this.names = new NamesChunkWriter(this.index, this.nameCount);
    }
    if (this.files.count >= (all ? 1 : CHUNK_ENTRIES) || this.files.w.length >= CHUNK_FLUSH_BYTES) {
      const sectionOffset = await this.emit(SectionType.files, this.files.finish());
      this.chunks.push({ sectionOffset, volume: this.index, first: this.files.firstFile, count: this.files.count });
      this.files = new FilesChunkWriter(this.index, this.fileCount);
    }
  }
}
