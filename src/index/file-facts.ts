/**
 * The facts of every file of one catalogued volume, read in one pass over its file records
 * (Catalog.fileRecords, file order) into flat arrays: each file's facts blob in one byte arena,
 * its owner (a number into the add's list of owners met), and what the backup's totals need. An add then stages names in folder order by
 * file index without holding a record object per file, so the garbage of decoding dies young and
 * the heap stays near what these arrays take (~40 bytes a file).
 */
import type { Catalog } from '../catalog/index.js';
import { encodeFacts, FACTS_MAX_BYTES } from './facts.js';
import { factsOf, ownerOf } from './row.js';

/** Arena bytes a file to start with: a typical NTFS file's blob is ~17 bytes; the arena doubles when full. */
const START_BYTES_PER_FILE = 20;

export class FileFacts {
  private arena: Uint8Array;
  private used = 0;
  /** Where file i's blob starts in the arena (its end is where file i + 1's starts). */
  private readonly starts: Int32Array;
  /** Owner of each file: 1 + its place in the owners list read() was given (0: none). */
  readonly owner: Int32Array;
  /** 1 for a regular file, whose size counts in the backup's bytes. */
  readonly isFile: Uint8Array;
  readonly size: Float64Array;

  private constructor(files: number) {
    this.arena = new Uint8Array(Math.max(1, files) * START_BYTES_PER_FILE);
    this.starts = new Int32Array(files + 1);
    this.owner = new Int32Array(files);
    this.isFile = new Uint8Array(files);
    this.size = new Float64Array(files);
  }

  /** Facts of every file of `volume`; owners met are numbered in `owners` (shared by the volumes of one add). */
  static read(catalog: Catalog, volume: number, files: number, owners: Map<string, number>): FileFacts {
    const out = new FileFacts(files);
    const scratch = new Uint8Array(FACTS_MAX_BYTES);
    let file = 0;
    for (const rec of catalog.fileRecords(volume)) {
      const blob = encodeFacts(factsOf(rec), scratch, false);
      out.reserve(blob.length);
      out.arena.set(blob, out.used);
      out.used += blob.length;
      out.starts[file + 1] = out.used;
      const owner = ownerOf(rec);
      if (owner !== null && !owners.has(owner)) owners.set(owner, owners.size + 1);
      out.owner[file] = owner === null ? 0 : owners.get(owner)!;
      out.isFile[file] = rec.type === 'file' ? 1 : 0;
      out.size[file] = rec.size;
      file++;
    }
    return out;
  }

  /** File `file`'s facts blob (a view of the arena: bind it before the next read). */
  facts(file: number): Uint8Array {
    return this.arena.subarray(this.starts[file]!, this.starts[file + 1]!);
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.arena.length) return;
    const grown = new Uint8Array(Math.max(this.arena.length * 2, this.used + bytes));
    grown.set(this.arena.subarray(0, this.used));
    this.arena = grown;
  }
}
