import type { ByteSource } from '../../src/io/byte-source.js';

/** Wraps a source and records every read, to prove how much a restore touches. */
export class CountingSource implements ByteSource {
  readonly size: number;
  reads: { offset: number; length: number }[] = [];
  constructor(private readonly inner: ByteSource) {
    this.size = inner.size;
  }
  get bytesRead(): number {
    return this.reads.reduce((sum, r) => sum + r.length, 0);
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    this.reads.push({ offset, length });
    return this.inner.read(offset, length);
  }
}
