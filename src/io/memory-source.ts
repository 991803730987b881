import type { ByteSource } from './byte-source.js';
import { checkRange } from './byte-source.js';

/** A ByteSource over bytes already in memory (tests, resident NTFS data, small images). */
export class MemorySource implements ByteSource {
  readonly size: number;
  constructor(private readonly bytes: Uint8Array, private readonly name = 'memory') {
    this.size = bytes.length;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length, this.name);
    return this.bytes.subarray(offset, offset + length);
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    checkRange(this, offset, target.length, this.name);
    target.set(this.bytes.subarray(offset, offset + target.length));
  }
}
