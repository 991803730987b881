/**
 * Fixed on-disk structures declared once, as data: each field's name, width and one-line meaning,
 * in on-disk order. The declaration builds a binary-parser decoder (the design card's choice) and,
 * from the same list, the byte offset of every field, which the per-record hot paths (MFT records,
 * attribute headers, index nodes) read inline: one source of offsets for both.
 *
 * Conventions, the same for every structure:
 * - Little-endian, set once here: every format grt reads (VMDK, MBR/GPT, NTFS) is little-endian.
 * - 64-bit fields decode to bigint; callers turn them into numbers through toSafeNumber
 *   (util/safe-number.ts), which refuses a value beyond 2^53 instead of rounding it.
 * - `bytes` fields are views into the input (no copy), like the parsers that read them inline.
 *
 * NOTE: binary-parser generates each decoder's source and compiles it with `new Function` on first
 * use. That runs in Node (ESM and CommonJS builds alike); a host that forbids eval (a strict
 * Content-Security-Policy) cannot use these decoders.
 */
import { Parser } from 'binary-parser';
import { GrtError, type GrtErrorDetails } from '../errors.js';

export interface FieldInfo {
  /** Byte offset of the field from the start of the structure. */
  offset: number;
  size: number;
  /** What the field means, one line (the spec's wording where it has one). */
  meaning: string;
}

type Flatten<T> = { [K in keyof T]: T[K] };
type With<T, N extends string, V> = Struct<Flatten<T & { [K in N]: V }>>;

/**
 * One fixed structure. Build it with the field methods in on-disk order (`skip` for bytes not
 * read); `decode` then returns every field, `offsets` says where each one is.
 */
export class Struct<T extends object = object> {
  readonly fields: Record<string, FieldInfo> = {};
  /** Bytes covered by the declared fields (skips included). */
  size = 0;
  private readonly parser = new Parser().endianness('little');

  /** `name` is what errors call the structure; `source` the spec section that defines it. */
  constructor(
    readonly name: string,
    readonly source: string,
  ) {}

  u8<N extends string>(field: N, meaning: string): With<T, N, number> {
    this.parser.uint8(field);
    return this.add(field, 1, meaning);
  }

  u16<N extends string>(field: N, meaning: string): With<T, N, number> {
    this.parser.uint16(field);
    return this.add(field, 2, meaning);
  }

  u32<N extends string>(field: N, meaning: string): With<T, N, number> {
    this.parser.uint32(field);
    return this.add(field, 4, meaning);
  }

  /** A 64-bit unsigned field, decoded as bigint (see the header comment). */
  u64<N extends string>(field: N, meaning: string): With<T, N, bigint> {
    this.parser.uint64(field);
    return this.add(field, 8, meaning);
  }

  /** `length` raw bytes (a signature, a GUID, a name), as a view into the input. */
  bytes<N extends string>(field: N, length: number, meaning: string): With<T, N, Uint8Array> {
    this.parser.buffer(field, { length });
    return this.add(field, length, meaning);
  }

  /** Bytes the reader does not use; `meaning` says what they are. */
  skip(length: number, meaning: string): Struct<T> {
    void meaning;
    this.parser.seek(length);
    this.size += length;
    return this;
  }

  /** Byte offset of each field from the start of the structure. */
  get offsets(): { readonly [K in keyof T]: number } {
    const out: Record<string, number> = {};
    for (const [field, info] of Object.entries(this.fields)) out[field] = info.offset;
    return out as { [K in keyof T]: number };
  }

  /**
   * Every field of the structure at `at` in `bytes`. Too few bytes is TRUNCATED, never a
   * RangeError; `byteOffset` (where `bytes` starts, in address space `space`) is for that message.
   */
  decode(bytes: Uint8Array, at = 0, byteOffset?: number, space?: GrtErrorDetails['space']): T {
    if (at < 0 || at + this.size > bytes.length) {
      throw new GrtError('TRUNCATED', `shorter than its ${this.size} bytes`, {
        structure: this.name,
        offset: byteOffset === undefined ? undefined : byteOffset + at,
        space,
        expected: this.size,
        actual: Math.max(0, bytes.length - at),
      });
    }
    return this.parser.parse(at === 0 ? bytes : bytes.subarray(at)) as T;
  }

  private add<U extends object>(field: string, size: number, meaning: string): Struct<U> {
    this.fields[field] = { offset: this.size, size, meaning };
    this.size += size;
    return this as unknown as Struct<U>;
  }
}

/** The type `decode` returns for a declared structure. */
export type Decoded<S> = S extends Struct<infer T> ? T : never;
