/**
 * What the tap (early-build.ts, in the thread that reads the stream) and its build worker
 * (build-worker.ts) tell each other, and errors carried across: a GrtError is made again on the
 * tap's side with its code, message and details, so a caller sees the same error a build in its own
 * thread would have thrown.
 */
import { GrtError, isGrtError, type GrtErrorCode } from '../../errors.js';
import type { DiskInfo } from '../../vmdk/disk.js';
import type { ImageCatalogSummary } from '../for-image.js';
import type { KeptPages } from './kept-bytes.js';

export type ToBuildWorker =
  /** The kept pages (their buffers transferred) and the disk as known so far. */
  | { type: 'start'; pages: KeptPages; limitBytes: number; info: DiskInfo }
  /** Bytes kept since the start (what the build asked for). */
  | { type: 'bytes'; diskOffset: number; bytes: Uint8Array }
  /** No byte of need `id` is awaited any more: what is not kept by now reads as zeros. */
  | { type: 'settled'; id: number }
  /** The stream ended: the disk as it is, and where to write the catalog (none: bytes in the summary). */
  | { type: 'finish'; info: DiskInfo; path: string | undefined };

export type FromBuildWorker =
  /** A read of the build met bytes not kept; it waits for 'settled'. */
  | { type: 'need'; id: number; start: number; end: number }
  | { type: 'progress'; progress: { entries: number; volume: number; id?: string } }
  | { type: 'done'; summary: ImageCatalogSummary; keptBytes: number }
  | { type: 'failed'; error: ErrorFields };

/** An error as it crosses threads. */
export interface ErrorFields {
  message: string;
  code?: GrtErrorCode;
  details?: Pick<GrtError, 'structure' | 'offset' | 'space' | 'expected' | 'actual' | 'path'>;
}

export function errorFields(error: unknown): ErrorFields {
  if (isGrtError(error)) {
    const { structure, offset, space, expected, actual, path } = error;
    return { message: error.message, code: error.code, details: cloneable({ structure, offset, space, expected, actual, path }) };
  }
  return { message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}

/** The error `fields` describe: a GrtError when it was one (its message already says its details). */
export function errorFrom(fields: ErrorFields): Error {
  if (fields.code === undefined) return new Error(`catalog build worker: ${fields.message}`);
  return Object.assign(new GrtError(fields.code, fields.message), fields.details);
}

/** `details` as structured clone takes them (values that are not, such as functions, as their text). */
function cloneable<T>(details: T): T {
  try {
    return structuredClone(details);
  } catch {
    return JSON.parse(JSON.stringify(details, (_, value: unknown) => (typeof value === 'bigint' ? String(value) : value))) as T;
  }
}
