/**
 * The facts of every file of one catalogued volume, read in one pass over its file records (file
 * order) into an arena of fixed-size pieces: per file its facts blob's length, its owner (a number
 * into the add's list of owners met) and the blob, ~20 bytes for a typical file plus a 4-byte
 * start. Names refer to files in any order (format 2.0), so an add stages names in folder order by
 * file index from here without a record object per file; a file's type and size (for the backup's
 * totals) are read back from its blob. Pieces rather than one growing array: no copy, and no
 * doubling slack, as the arena grows.
 */
import { GrtError } from '../errors.js';
import type { FileRecord } from '../catalog/encode.js';
import { encodeFacts, FACTS_MAX_BYTES } from './facts.js';
import { factsOf, ownerOf, TYPE_CODES } from './row.js';

/** Bytes of one arena piece: small beside the arena of a big volume, large beside a file's ~20 bytes. */
const PIECE_SHIFT = 20;
const PIECE_BYTES = 1 << PIECE_SHIFT;
const PIECE_MASK = PIECE_BYTES - 1;
/** A file's entry: blob length (1 byte), owner number (varint, ≤ 5 bytes), the blob. */
const ENTRY_MAX_BYTES = 1 + 5 + FACTS_MAX_BYTES;
/** Arena offsets are 32-bit: 4 GiB of facts is ~200 million files, beyond what a catalog volume holds. */
const ARENA_MAX_BYTES = 2 ** 32 - PIECE_BYTES;

export class FileFacts {
  private readonly pieces: Uint8Array[] = [];
  /** Bytes used in the last piece. */
  private used = PIECE_BYTES;
  /** Where file i's entry starts: piece × PIECE_BYTES + offset in it. */
  private readonly starts: Uint32Array;

  private constructor(files: number) {
    this.starts = new Uint32Array(files);
  }

  /** Facts of a volume's `files` records (a FILES chunk's at a time); owners met are numbered in `owners` (shared by the volumes of one add). */
  static async read(chunks: AsyncIterable<Iterable<FileRecord>>, files: number, owners: Map<string, number>): Promise<FileFacts> {
    const out = new FileFacts(files);
    const scratch = new Uint8Array(FACTS_MAX_BYTES);
    let file = 0;
    for await (const records of chunks) {
      for (const rec of records) {
        const blob = encodeFacts(factsOf(rec), scratch, false);
        const owner = ownerOf(rec);
        if (owner !== null && !owners.has(owner)) owners.set(owner, owners.size + 1);
        out.append(file++, blob, owner === null ? 0 : owners.get(owner)!);
      }
    }
    return out;
  }

  /** File `file`'s facts blob (a view of the arena). */
  facts(file: number): Uint8Array {
    const piece = this.pieceOf(file);
    const at = this.starts[file]! & PIECE_MASK;
    return piece.subarray(this.blobAt(piece, at), at + 1 + piece[at]!);
  }

  /** File `file`'s owner: 1 + its number in the owners list read() was given (0: none). */
  owner(file: number): number {
    return readVarint(this.pieceOf(file), (this.starts[file]! & PIECE_MASK) + 1);
  }

  /** Whether a facts blob is a regular file's (its first number is the type, one byte). */
  static isFile(blob: Uint8Array): boolean {
    return blob[0] === TYPE_CODES.file;
  }

  /** The size in a facts blob (its second number). */
  static size(blob: Uint8Array): number {
    return readVarint(blob, 1);
  }

  /** Where the blob of the entry at `at` starts: past its length byte and owner varint. */
  private blobAt(piece: Uint8Array, at: number): number {
    let k = at + 1;
    while (piece[k]! >= 0x80) k++;
    return k + 1;
  }

  /** The piece holding file `file`'s entry (starts are unsigned 32-bit: `>>>` keeps them so). */
  private pieceOf(file: number): Uint8Array {
    return this.pieces[this.starts[file]! >>> PIECE_SHIFT]!;
  }

  private append(file: number, blob: Uint8Array, owner: number): void {
    if (file >= this.starts.length) throw new GrtError('BAD_CATALOG', 'more file records than the END section counts', { structure: 'catalog FILES section', actual: file });
    if (this.used + ENTRY_MAX_BYTES > PIECE_BYTES) {
      if (this.pieces.length * PIECE_BYTES >= ARENA_MAX_BYTES) throw new GrtError('LIMIT_EXCEEDED', 'file facts of a volume past the arena limit', { structure: 'index file facts', expected: ARENA_MAX_BYTES });
      this.pieces.push(new Uint8Array(PIECE_BYTES));
      this.used = 0;
    }
    const piece = this.pieces[this.pieces.length - 1]!;
    this.starts[file] = (this.pieces.length - 1) * PIECE_BYTES + this.used;
    let at = this.used + 1;
    for (let value = owner; ; value = Math.floor(value / 0x80)) {
      piece[at++] = value >= 0x80 ? (value % 0x80) | 0x80 : value;
      if (value < 0x80) break;
    }
    piece.set(blob, at);
    at += blob.length;
    piece[this.used] = at - this.used - 1;
    this.used = at;
  }
}

/** The LEB128 varint at `at` (< 2^53: sizes and owner numbers). */
function readVarint(bytes: Uint8Array, at: number): number {
  let value = 0;
  for (let k = at, shift = 1; ; k++, shift *= 0x80) {
    value += (bytes[k]! & 0x7f) * shift;
    if (bytes[k]! < 0x80) return value;
  }
}
