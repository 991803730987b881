/**
 * The catalog's primitive encodings (docs/catalog-format.md §2): unsigned LEB128 varints, zigzag
 * signed varints, and strings as UTF-16 code units in varints (so names with unpaired surrogates,
 * which NTFS allows, come back exactly; ASCII still costs one byte a character).
 * Numbers up to 2^53 take the fast path; larger values (FILETIME deltas, 64-bit zigzags) go through
 * bigint with the same byte format.
 */
import { GrtError } from '../errors.js';

/** A LEB128 value never needs more than 10 bytes for 64 bits; more is damage. */
const MAX_VARINT_BYTES = 10;
const MAX_BIG = 1n << 70n;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
/** |v| below this zigzags exactly in a double (2v + 1 ≤ 2^53). */
const FAST_SIGNED_LIMIT = 2 ** 52;
const FAST_SIGNED_BIG = BigInt(FAST_SIGNED_LIMIT);
/** Names, targets and messages longer than this are damage (NTFS names are ≤ 255 units). */
const MAX_STRING_UNITS = 65_536;

/** Code units passed to one String.fromCharCode call. */
const STRING_SLICE = 4096;

/** Growable output buffer for one section's payload. */
export class ByteWriter {
  private buffer = new Uint8Array(64 * 1024);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  /** Unsigned varint of a safe non-negative integer. */
  u(value: number): void {
    // Most values (flags, deltas, lengths) take one or two bytes: no checks beyond the range.
    if (value >= 0 && value < 0x4000 && (value | 0) === value) {
      if (this.length + 2 > this.buffer.length) this.reserve(2);
      if (value < 0x80) this.buffer[this.length++] = value;
      else {
        this.buffer[this.length++] = (value & 0x7f) | 0x80;
        this.buffer[this.length++] = value >>> 7;
      }
      return;
    }
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new GrtError('OUT_OF_RANGE', `catalog value ${value} is not a safe unsigned integer`, { structure: 'catalog entry' });
    }
    this.reserve(MAX_VARINT_BYTES);
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.length++] = value;
  }

  /** Unsigned varint of a non-negative bigint below 2^70 (ten bytes: any delta of two 64-bit values). */
  ubig(value: bigint): void {
    if (value <= MAX_SAFE_BIG) return this.u(Number(value));
    if (value >= MAX_BIG) {
      throw new GrtError('OUT_OF_RANGE', `catalog value ${value} is beyond 2^70`, { structure: 'catalog entry' });
    }
    this.reserve(MAX_VARINT_BYTES);
    while (value >= 0x80n) {
      this.buffer[this.length++] = Number(value & 0x7fn) | 0x80;
      value >>= 7n;
    }
    this.buffer[this.length++] = Number(value);
  }

  /** Zigzag signed varint of a safe integer. */
  s(value: number): void {
    if (Math.abs(value) < FAST_SIGNED_LIMIT) this.u(value >= 0 ? value * 2 : -value * 2 - 1);
    else this.sbig(BigInt(value));
  }

  /** Zigzag signed varint of a bigint in the signed 64-bit range (FILETIME deltas). */
  sbig(value: bigint): void {
    if (value > -FAST_SIGNED_BIG && value < FAST_SIGNED_BIG) return this.s(Number(value));
    this.ubig(value >= 0n ? value * 2n : -value * 2n - 1n);
  }

  /** Length in UTF-16 units, then each unit as a varint. */
  str(value: string): void {
    this.u(value.length);
    this.reserve(value.length * 3);
    for (let i = 0; i < value.length; i++) {
      let unit = value.charCodeAt(i);
      while (unit >= 0x80) {
        this.buffer[this.length++] = (unit & 0x7f) | 0x80;
        unit >>>= 7;
      }
      this.buffer[this.length++] = unit;
    }
  }
}

/** Bounds-checked reader over one inflated section payload; every failure is BAD_CATALOG. */
export class ByteReader {
  position = 0;
  /** Scratch for decoding one string, grown to the longest seen (up to MAX_STRING_UNITS). */
  private units = new Uint16Array(256);
  constructor(
    private readonly data: Uint8Array,
    /** Absolute file offset of the section, for error messages. */
    readonly sectionOffset: number,
    readonly structure: string,
  ) {}

  get remaining(): number {
    return this.data.length - this.position;
  }

  /** Bytes of the payload. */
  get length(): number {
    return this.data.length;
  }

  fail(detail: string, actual?: unknown): never {
    throw new GrtError('BAD_CATALOG', detail, { structure: this.structure, offset: this.sectionOffset, actual });
  }

  u8(): number {
    if (this.position >= this.data.length) this.fail('payload ends inside a value');
    return this.data[this.position++]!;
  }

  raw(length: number): Uint8Array {
    if (length > this.remaining) this.fail('payload ends inside a byte string', length);
    const out = this.data.slice(this.position, this.position + length);
    this.position += length;
    return out;
  }

  /** Unsigned varint that must fit a safe integer. */
  u(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) this.fail('varint is beyond 2^53', value);
        return value;
      }
      scale *= 0x80;
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** Unsigned varint no larger than `max` (a count or index checked against what it indexes). */
  bounded(max: number, what: string): number {
    const value = this.u();
    if (value > max) this.fail(`${what} ${value} exceeds ${max}`, value);
    return value;
  }

  /** An unsigned varint as a number when it has at most 7 bytes (< 2^49), else as a bigint. */
  uSmallOrBig(): number | bigint {
    const data = this.data;
    const p = this.position;
    for (let i = 0; i < 7 && p + i < data.length; i++) {
      if (data[p + i]! < 0x80) return this.u();
    }
    return this.ubig();
  }

  ubig(): bigint {
    let value = 0n;
    let shift = 0n;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = this.u8();
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
      shift += 7n;
    }
    return this.fail('varint longer than 10 bytes');
  }

  s(): number {
    // Fast path: up to 7 bytes (49 bits) decodes exactly in a double.
    const data = this.data;
    let p = this.position;
    let zig = 0;
    let scale = 1;
    for (let i = 0; i < 7 && p < data.length; i++) {
      const byte = data[p++]!;
      zig += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.position = p;
        return zig % 2 === 1 ? -(zig + 1) / 2 : zig / 2;
      }
      scale *= 0x80;
    }
    return this.sSlow();
  }

  private sSlow(): number {
    const zig = this.ubig();
    const value = zig & 1n ? -(zig >> 1n) - 1n : zig >> 1n;
    if (value > MAX_SAFE_BIG || value < -MAX_SAFE_BIG) {
      this.fail('signed varint is beyond 2^53', value);
    }
    return Number(value);
  }

  sbig(): bigint {
    const data = this.data;
    const p = this.position;
    // Fast path as in s(): most time deltas fit in seven bytes.
    for (let i = 0; i < 7 && p + i < data.length; i++) {
      if (data[p + i]! < 0x80) return BigInt(this.s());
    }
    const zig = this.ubig();
    return zig & 1n ? -(zig >> 1n) - 1n : zig >> 1n;
  }

  str(): string {
    const units = this.bounded(MAX_STRING_UNITS, 'string length');
    if (units > this.remaining) this.fail('string longer than its section', units);
    if (units > this.units.length) this.units = new Uint16Array(Math.min(MAX_STRING_UNITS, Math.max(units, 2 * this.units.length)));
    const codes = this.units;
    const data = this.data;
    for (let i = 0; i < units; i++) {
      if (this.position >= data.length) this.fail('payload ends inside a string');
      const b1 = data[this.position++]!;
      if (b1 < 0x80) {
        codes[i] = b1;
        continue;
      }
      const b2 = this.u8();
      if (b2 < 0x80) {
        codes[i] = (b1 & 0x7f) | (b2 << 7);
        continue;
      }
      const b3 = this.u8();
      if (b3 > 3) this.fail('string unit is not UTF-16', b3);
      codes[i] = (b1 & 0x7f) | ((b2 & 0x7f) << 7) | (b3 << 14);
    }
    if (units <= STRING_SLICE) return String.fromCharCode.apply(null, codes.subarray(0, units) as unknown as number[]);
    let out = '';
    // NOTE: in slices; one call with 64k arguments can overflow the stack.
    for (let i = 0; i < units; i += STRING_SLICE) {
      out += String.fromCharCode.apply(null, codes.subarray(i, Math.min(units, i + STRING_SLICE)) as unknown as number[]);
    }
    return out;
  }
}
