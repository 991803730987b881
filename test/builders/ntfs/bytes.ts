/** Little-endian writers for the builder (test code: plain and explicit, no bounds games). */

export class ByteWriter {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(at: number, v: number): void {
    this.view.setUint8(at, v);
  }
  u16(at: number, v: number): void {
    this.view.setUint16(at, v, true);
  }
  u32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }
  u64(at: number, v: number | bigint): void {
    this.view.setBigUint64(at, BigInt(v), true);
  }
  i8(at: number, v: number): void {
    this.view.setInt8(at, v);
  }
  set(at: number, data: Uint8Array): void {
    this.bytes.set(data, at);
  }
  utf16(at: number, text: string): void {
    for (let i = 0; i < text.length; i++) this.u16(at + 2 * i, text.charCodeAt(i));
  }
}

export function utf16le(text: string): Uint8Array {
  const w = new ByteWriter(text.length * 2);
  w.utf16(0, text);
  return w.bytes;
}

export function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A file reference: 48-bit record number and 16-bit sequence number. */
export function fileReference(record: number, sequence: number): bigint {
  return (BigInt(sequence) << 48n) | BigInt(record);
}
