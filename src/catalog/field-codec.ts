/**
 * Catalog records declared once, as data: a record is its fields in on-disk order, each with a
 * codec that both writes and reads it, so the encoder and the decoder cannot drift apart
 * (docs/catalog-format.md gives the same order). Built on the varints of varint.ts.
 */
import type { ByteReader, ByteWriter } from './varint.js';

export interface FieldCodec<T> {
  write(w: ByteWriter, value: T): void;
  read(r: ByteReader): T;
}

/** An unsigned varint. */
export const uint: FieldCodec<number> = { write: (w, value) => w.u(value), read: (r) => r.u() };

/** A length-prefixed string. */
export const text: FieldCodec<string> = { write: (w, value) => w.str(value), read: (r) => r.str() };

/** A flag (0 or 1; `what` names it in errors), then the value when the flag is 1. */
export function optional<T>(codec: FieldCodec<T>, what: string): FieldCodec<T | undefined> {
  return {
    write(w, value) {
      w.u(value === undefined ? 0 : 1);
      if (value !== undefined) codec.write(w, value);
    },
    read: (r) => (r.bounded(1, what) ? codec.read(r) : undefined),
  };
}

/** A count bounded by `max` (a larger one is damage; `what` names it), then that many items. */
export function list<T>(codec: FieldCodec<T>, max: number, what: string): FieldCodec<T[]> {
  return {
    write(w, items) {
      w.u(items.length);
      for (const item of items) codec.write(w, item);
    },
    read: (r) => Array.from({ length: r.bounded(max, what) }, () => codec.read(r)),
  };
}

/**
 * A record: its fields in the order the object lists them. A field whose value is undefined
 * (an optional one whose flag is 0) is left out of the object read.
 */
export function record<T extends object>(fields: { [K in keyof T]-?: FieldCodec<T[K]> }): FieldCodec<T> {
  const entries = Object.entries(fields) as [keyof T & string, FieldCodec<unknown>][];
  return {
    write(w, value) {
      for (const [key, codec] of entries) codec.write(w, value[key]);
    },
    read(r) {
      const value: Partial<Record<keyof T, unknown>> = {};
      for (const [key, codec] of entries) {
        const field = codec.read(r);
        if (field !== undefined) value[key] = field;
      }
      return value as T;
    },
  };
}
