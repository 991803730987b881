/**
 * A section's string table (docs/catalog-format.md §2.3), built as the section is written: the
 * first use of a string writes 0 and the string, which takes the next id; later uses write id + 1.
 * Stream names, warning codes and messages repeat across thousands of files, so each costs a byte
 * or two after its first use, and a reader needs no separate table section.
 */
import type { ByteReader, ByteWriter } from './varint.js';

export class StringTableWriter {
  private readonly ids = new Map<string, number>();
  constructor(private readonly w: ByteWriter) {}

  write(value: string): void {
    const id = this.ids.get(value);
    if (id !== undefined) return this.w.u(id + 1);
    this.w.u(0);
    this.w.str(value);
    this.ids.set(value, this.ids.size);
  }
}

export class StringTableReader {
  /**
   * `known`: the whole table of the section, from an earlier pass, when reading from its middle:
   * a string defined inline is then read but not added again.
   */
  constructor(
    private readonly r: ByteReader,
    private readonly known?: readonly string[],
  ) {}

  private readonly strings: string[] = [];

  /** The strings defined so far (the whole table after a pass over the section). */
  get table(): string[] {
    return this.strings;
  }

  read(): string {
    const strings = this.known ?? this.strings;
    const ref = this.r.bounded(strings.length, 'string table reference');
    if (ref > 0) return strings[ref - 1]!;
    const value = this.r.str();
    if (!this.known) this.strings.push(value);
    return value;
  }
}
