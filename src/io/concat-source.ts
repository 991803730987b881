import { GrtError } from '../errors.js';
import type { ByteSource } from './byte-source.js';
import { checkRange, copyOut, readInto, unzeroedBytes, type HostCopy } from './byte-source.js';

/**
 * Several sources read as one, end to end: a file an OVF package stores in chunks (DSP0243 §7.1,
 * `ovf:chunkSize`: `NAME.000000000`, `NAME.000000001`, … joined in order). A read that spans a
 * boundary is cut there; each part checks its own bounds.
 */
export class ConcatSource implements ByteSource {
  readonly size: number;
  /** Where each part starts in the joined bytes, ascending; one more entry than parts: the end. */
  private readonly starts: number[];

  constructor(
    readonly parts: readonly ByteSource[],
    private readonly name = 'joined source',
  ) {
    this.starts = [0];
    for (const part of parts) {
      const end = this.starts[this.starts.length - 1]! + part.size;
      if (!Number.isSafeInteger(end)) throw new GrtError('LIMIT_EXCEEDED', `${name}: its parts add up past 2^53 bytes`, { structure: name });
      this.starts.push(end);
    }
    this.size = this.starts[this.starts.length - 1]!;
  }

  /** Index of the part holding joined byte `offset` (offset < size). */
  private partAt(offset: number): number {
    let low = 0;
    let high = this.parts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length, this.name);
    const index = length > 0 ? this.partAt(offset) : 0;
    // Within one part (the usual case): that part's bytes as they are, no copy.
    if (length === 0 || offset + length <= this.starts[index + 1]!) return length === 0 ? new Uint8Array(0) : this.parts[index]!.read(offset - this.starts[index]!, length);
    const out = unzeroedBytes(length); // the parts cover every byte: readInto writes them all
    await this.readInto(offset, out);
    return out;
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, this.name);
    for (let at = 0; at < target.length; ) {
      const index = this.partAt(offset + at);
      const inPart = offset + at - this.starts[index]!;
      const n = Math.min(target.length - at, this.parts[index]!.size - inPart);
      await readInto(this.parts[index]!, inPart, target.subarray(at, at + n));
      at += n;
    }
  }

  /** A run ends at the end of its part: the next part is another file. */
  async copyOut(offset: number, length: number, copy: HostCopy): Promise<number> {
    checkRange(this, offset, length, this.name);
    if (length === 0) return 0;
    const index = this.partAt(offset);
    const inPart = offset - this.starts[index]!;
    return copyOut(this.parts[index]!, inPart, Math.min(length, this.parts[index]!.size - inPart), copy);
  }
}
