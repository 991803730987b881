/**
 * Every failure grt reports on purpose is a GrtError: a stable `code` a program can switch on,
 * the on-disk structure it concerns, the absolute byte offset where it was found, and what was
 * expected against what was there. Its message is one line without the code (a CLI prints
 * `CODE: message`); parts that are absent are left out of it. Anything else that escapes is a bug.
 */

export type GrtErrorCode =
  // I/O and bounds
  | 'IO_ERROR' // the operating system refused a read or write
  | 'OUT_OF_RANGE' // a read past the end of a source, or a negative/unsafe offset
  | 'TRUNCATED' // a file ends before a structure it must hold
  | 'NOT_FOUND' // a file, path, partition or stream does not exist
  | 'LIMIT_EXCEEDED' // a count from disk is past a named safety limit
  | 'UNSUPPORTED' // a valid format or feature grt does not read (yet)
  | 'ABORTED' // the caller's AbortSignal fired
  | 'USAGE' // wrong arguments from a caller or a command line
  // structure damage
  | 'BAD_MAGIC' // a signature is not what the format requires
  | 'BAD_HEADER' // a header field is out of its valid range
  | 'BAD_DESCRIPTOR' // a VMDK text descriptor cannot be understood
  | 'BAD_TABLE' // a grain directory/table, partition table or similar map is inconsistent
  | 'BAD_MARKER' // a streamOptimized marker is not where or what it should be
  | 'BAD_CHECKSUM' // a CRC or checksum does not match
  | 'BAD_COMPRESSED_DATA' // zlib/LZNT1 data does not decode, or decodes to the wrong size
  | 'MISSING_DATA' // the bytes asked for are not in the image (truncated export, missing extent)
  | 'BAD_RECORD' // an NTFS MFT record (or similar fixed record) is damaged
  | 'BAD_ATTRIBUTE' // an NTFS attribute header or value is inconsistent
  | 'BAD_RUNLIST' // an NTFS run list (mapping pairs) is inconsistent
  | 'BAD_INDEX' // an NTFS index ($I30) node is inconsistent
  | 'BAD_CATALOG' // a catalog file is damaged or of an unknown version
  // chains, paths and restores
  | 'CHAIN_MISMATCH' // a child's parentCID is not its parent's CID
  | 'CHAIN_CYCLE' // a snapshot chain refers back to itself
  | 'UNSAFE_PATH' // a name or path would leave its allowed directory
  | 'NOT_A_DIRECTORY'
  | 'IS_A_DIRECTORY'
  | 'CATALOG_MISMATCH' // a catalog made from another image
  | 'EXISTS' // a restore target exists and overwriting was not asked for
  | 'ENCRYPTED'; // EFS or BitLocker data grt cannot decrypt

/**
 * The address space an error's offset is in: an image file's bytes (descriptor, extent, catalog),
 * the virtual disk's, the volume's (a partition, a whole unpartitioned disk, a logical volume, an
 * LVM PV), a stream's (a file's data as its reader presents it), or the input a decompressor was
 * given (one compression unit or chunk).
 */
export type OffsetSpace = 'file' | 'disk' | 'volume' | 'stream' | 'compressed';

/** How a message names each space. */
const SPACE_NAMES: Readonly<Record<OffsetSpace, string>> = {
  file: 'the file',
  disk: 'the disk',
  volume: 'the volume',
  stream: 'the stream',
  compressed: 'the compressed data',
};

export interface GrtErrorDetails {
  /** The on-disk structure concerned, e.g. 'KDMV header', 'grain table', 'MFT record 42'. */
  structure?: string;
  /** Absolute byte offset in the file or source where the problem was found. */
  offset?: number;
  /** What `offset` counts from; the message names it ("at byte 4096 of the volume"). */
  space?: OffsetSpace;
  expected?: unknown;
  actual?: unknown;
  /** The file (image, extent, restore target) concerned. */
  path?: string;
  cause?: unknown;
}

/**
 * Marks a GrtError across copies of this module: the ESM and CJS builds (or two installed
 * versions) each define their own class, so `instanceof` alone would miss the other's errors.
 */
const GRT_ERROR_BRAND = Symbol.for('grt.error');

export class GrtError extends Error {
  override readonly name = 'GrtError';
  readonly [GRT_ERROR_BRAND] = true;
  readonly code: GrtErrorCode;
  readonly structure: string | undefined;
  readonly offset: number | undefined;
  readonly space: GrtErrorDetails['space'];
  readonly expected: unknown;
  readonly actual: unknown;
  readonly path: string | undefined;

  constructor(code: GrtErrorCode, detail: string, details: GrtErrorDetails = {}) {
    super(formatMessage(detail, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.structure = details.structure;
    this.offset = details.offset;
    this.space = details.offset === undefined ? undefined : details.space;
    this.expected = details.expected;
    this.actual = details.actual;
    this.path = details.path;
  }

  /** `instanceof GrtError` holds for a GrtError of any copy of this module (see GRT_ERROR_BRAND). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isGrtError(value);
  }

  override toString(): string {
    return `GrtError ${this.code}: ${this.message}`;
  }
}

function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}`;
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) > 0xffff) {
    return `${value} (0x${value.toString(16)})`;
  }
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function formatMessage(detail: string, d: GrtErrorDetails): string {
  let text = d.structure ? `${d.structure}: ${detail}` : detail;
  if (d.offset !== undefined) text += ` at byte ${d.offset}${d.space ? ` of ${SPACE_NAMES[d.space]}` : ''}`;
  const values = [d.expected === undefined ? '' : `expected ${show(d.expected)}`, d.actual === undefined ? '' : `found ${show(d.actual)}`].filter(Boolean);
  if (values.length > 0) text += ` (${values.join(', ')})`;
  if (d.path) text += ` in ${d.path}`;
  // One line, always: a CLI prints `CODE: message` as one line.
  return text.replace(/[\r\n]+/g, ' ');
}

/** The message as a wrapper or a stored copy passes it on as its detail (the message has no code). */
export function messageText(error: GrtError): string {
  return error.message;
}

/** `CODE: message`, as the commands print an error and as a warning's text reads. */
export function describeError(error: GrtError): string {
  return `${error.code}: ${error.message}`;
}

/**
 * `error` with ` in <path>` added (a parser's error, once its caller knows which file it read):
 * same code, structure, offset and values (not written into the message twice), the original as
 * the cause.
 */
export function withPath(error: GrtError, path: string): GrtError {
  const { structure, offset, space, expected, actual } = error;
  return Object.assign(new GrtError(error.code, messageText(error), { path, cause: error }), { structure, offset, space, expected, actual });
}

/**
 * `error` with ` at byte N of the <space>` added when it has no offset yet (a parser of text or
 * values that does not know where its input lies): same code, structure, values and path (not
 * written into the message twice), the original as the cause. An error with an offset is kept.
 */
export function withOffset(error: GrtError, offset: number, space: OffsetSpace): GrtError {
  if (error.offset !== undefined) return error;
  const { structure, expected, actual, path } = error;
  return Object.assign(new GrtError(error.code, messageText(error), { offset, space, cause: error }), { structure, expected, actual, path });
}

/** True for a GrtError from any copy of grt (ESM or CJS build): checks the brand, not the class. */
export function isGrtError(value: unknown): value is GrtError {
  return typeof value === 'object' && value !== null && (value as { [GRT_ERROR_BRAND]?: unknown })[GRT_ERROR_BRAND] === true && typeof (value as { code?: unknown }).code === 'string';
}

/** A non-fatal oddity kept on the thing it concerns (an entry, a volume, a disk) instead of aborting. */
export interface GrtWarning {
  code: GrtErrorCode | string;
  message: string;
  offset?: number;
}

export function warningFrom(error: GrtError): GrtWarning {
  // A warning is printed as one line with no code beside it, so its text keeps the code.
  const message = describeError(error);
  return error.offset === undefined ? { code: error.code, message } : { code: error.code, message, offset: error.offset };
}
