/**
 * The member list of a tar archive, read from its headers without reading the members' data: an
 * .ova is read in place, each member a window of the archive.
 *
 * Sources: POSIX.1-2001 (IEEE Std 1003.1) `pax` utility, "ustar Interchange Format" (the 512-byte
 * header: name, size, chksum, typeflag, magic, prefix) and "pax Interchange Format" (extended
 * header records `LEN key=value\n`, typeflags 'x' and 'g'); GNU tar manual, "Basic Tar Format"
 * (typeflag 'L' long names, 'K' long link names, and sizes over 8 GiB in base-256: a first byte
 * with its high bit set, the rest big-endian).
 */
import { GrtError } from '../../errors.js';
import type { ByteSource } from '../byte-source.js';

/** Headers and data are laid out in blocks of this many bytes. */
export const TAR_BLOCK_BYTES = 512;
/** Headers read at most (pax and long-name headers count): an OVA holds an .ovf, an .mf, a .cert and its disks. */
export const MAX_TAR_HEADERS = 4096;
/** Longest member name taken from a pax record or a GNU long name: Linux's PATH_MAX. */
export const MAX_TAR_NAME_BYTES = 4096;
/** Largest pax extended header read: real ones hold a path and a few times, well under 1 KiB. */
export const MAX_PAX_HEADER_BYTES = 64 * 1024;

export type TarMemberType = 'file' | 'directory' | 'link' | 'other';

export interface TarMember {
  /** The name as stored (pax `path` or GNU long name when given), without a leading `./`. */
  name: string;
  type: TarMemberType;
  /** Bytes of data. */
  size: number;
  /** Byte offset of the data in the archive. */
  dataOffset: number;
  /** Byte offset of the member's (last) header in the archive. */
  headerOffset: number;
  /** The archive ends before the member's data does. */
  truncated: boolean;
}

const STRUCTURE = 'tar header';
const decoder = new TextDecoder('utf-8');

/** A NUL-terminated text field. */
function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

/** An octal number field (spaces or NULs around it), or GNU base-256 when the high bit of its first byte is set. */
export function tarNumber(block: Uint8Array, start: number, length: number, offset: number): number {
  const field = block.subarray(start, start + length);
  if (field[0]! & 0x80) {
    // Base-256: 0x80 marks a positive number; 0xff a negative one, which no size or offset is.
    if (field[0] !== 0x80) throw new GrtError('BAD_HEADER', 'negative base-256 number', { structure: STRUCTURE, offset: offset + start });
    let value = 0;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + field[i]!;
      if (!Number.isSafeInteger(value)) throw new GrtError('LIMIT_EXCEEDED', 'base-256 number past 2^53', { structure: STRUCTURE, offset: offset + start });
    }
    return value;
  }
  const digits = decoder.decode(field).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (digits === '') return 0;
  if (!/^[0-7]{1,22}$/.test(digits)) throw new GrtError('BAD_HEADER', `number field ${JSON.stringify(digits)} is not octal`, { structure: STRUCTURE, offset: offset + start });
  const value = parseInt(digits, 8);
  if (!Number.isSafeInteger(value)) throw new GrtError('LIMIT_EXCEEDED', 'octal number past 2^53', { structure: STRUCTURE, offset: offset + start });
  return value;
}

/** The header checksum: the unsigned byte sum with the chksum field read as eight spaces. */
function checksumOf(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK_BYTES; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

/** The records of a pax extended header: `LEN key=value\n`, LEN counting the whole record. */
export function parsePaxRecords(bytes: Uint8Array, offset: number): Map<string, string> {
  const records = new Map<string, string>();
  const bad = (why: string) => new GrtError('BAD_HEADER', `pax extended header: ${why}`, { structure: STRUCTURE, offset });
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] === 0) break; // padding after the last record
    const space = bytes.indexOf(0x20, at);
    const lengthText = space < 0 ? '' : decoder.decode(bytes.subarray(at, space));
    if (!/^[1-9][0-9]{0,6}$/.test(lengthText)) throw bad('record length is not a number');
    const end = at + Number(lengthText);
    if (end > bytes.length || bytes[end - 1] !== 0x0a) throw bad('record runs past the header or lacks its newline');
    const record = decoder.decode(bytes.subarray(space + 1, end - 1));
    const eq = record.indexOf('=');
    if (eq <= 0) throw bad('record without key=value');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    at = end;
  }
  return records;
}

const TYPES: Record<string, TarMemberType> = { '0': 'file', '\0': 'file', '7': 'file', '5': 'directory', '1': 'link', '2': 'link' };

/** A name with `./` prefixes dropped: `./disk.vmdk` and `disk.vmdk` are the same member. */
function normalName(name: string): string {
  let out = name;
  while (out.startsWith('./')) out = out.slice(2);
  return out;
}

/** What the headers before a member said about it: a pax `path`/`size`, a GNU long name. */
interface Pending {
  name?: string;
  size?: number;
}

/** The data of a pax or GNU long-name header, bounded. */
async function extensionData(source: ByteSource, at: number, size: number, limit: number, what: string): Promise<Uint8Array> {
  if (size > limit) throw new GrtError('LIMIT_EXCEEDED', `${what} of ${size} bytes is past the limit`, { structure: STRUCTURE, offset: at, expected: limit, actual: size });
  if (at + TAR_BLOCK_BYTES + size > source.size) throw new GrtError('TRUNCATED', `${what} runs past the end of the archive`, { structure: STRUCTURE, offset: at });
  return source.read(at + TAR_BLOCK_BYTES, size);
}

/** Apply one extension header (pax 'x', GNU 'L') to `pending`; false for a header that is a member. */
async function readExtension(source: ByteSource, block: Uint8Array, at: number, size: number, pending: Pending): Promise<boolean> {
  const flag = String.fromCharCode(block[156]!);
  if (flag === 'x' || flag === 'g') {
    const records = parsePaxRecords(await extensionData(source, at, size, MAX_PAX_HEADER_BYTES, 'pax header'), at);
    // A global header's path would name every member after it: meaningless, and not taken.
    if (flag === 'g') return true;
    const path = records.get('path');
    if (path !== undefined) pending.name = path;
    const paxSize = records.get('size');
    if (paxSize !== undefined) {
      if (!/^[0-9]{1,16}$/.test(paxSize) || !Number.isSafeInteger(Number(paxSize))) throw new GrtError('BAD_HEADER', `pax size ${JSON.stringify(paxSize)} is not a number`, { structure: STRUCTURE, offset: at });
      pending.size = Number(paxSize);
    }
    return true;
  }
  if (flag === 'L' || flag === 'K') {
    const data = await extensionData(source, at, size, MAX_TAR_NAME_BYTES, 'GNU long name');
    if (flag === 'L') pending.name = text(data, 0, data.length);
    return true;
  }
  return false;
}

/**
 * Every member of the tar archive `source`, in archive order. The walk stops at the end-of-archive
 * zero block or the end of the source; a member whose data the archive cuts short is listed with
 * `truncated` and ends the walk.
 */
export async function readTarIndex(source: ByteSource): Promise<TarMember[]> {
  const members: TarMember[] = [];
  let pending: Pending = {};
  for (let at = 0, headers = 0; at + TAR_BLOCK_BYTES <= source.size; ) {
    if (++headers > MAX_TAR_HEADERS) throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_TAR_HEADERS} tar headers`, { structure: STRUCTURE, offset: at });
    const block = await source.read(at, TAR_BLOCK_BYTES);
    if (block.every((b) => b === 0)) break;
    if (text(block, 257, 5) !== 'ustar') throw new GrtError('BAD_MAGIC', 'not a ustar header (no "ustar" magic)', { structure: STRUCTURE, offset: at + 257 });
    const stored = tarNumber(block, 148, 8, at);
    if (stored !== checksumOf(block)) throw new GrtError('BAD_CHECKSUM', 'header checksum does not match', { structure: STRUCTURE, offset: at, expected: stored, actual: checksumOf(block) });
    const headerSize = tarNumber(block, 124, 12, at);
    const dataEnd = at + TAR_BLOCK_BYTES + Math.ceil(headerSize / TAR_BLOCK_BYTES) * TAR_BLOCK_BYTES;
    if (await readExtension(source, block, at, headerSize, pending)) {
      at = dataEnd;
      continue;
    }
    // POSIX ustar ("ustar\0") splits a long name into prefix/name; GNU ("ustar  ") keeps other fields there.
    const prefix = block[262] === 0 ? text(block, 345, 155) : '';
    const name = normalName(pending.name ?? (prefix ? `${prefix}/${text(block, 0, 100)}` : text(block, 0, 100)));
    if (new TextEncoder().encode(name).length > MAX_TAR_NAME_BYTES) throw new GrtError('LIMIT_EXCEEDED', 'member name is past the limit', { structure: STRUCTURE, offset: at });
    const type = TYPES[String.fromCharCode(block[156]!)] ?? 'other';
    // Only regular files carry data; a link's or directory's size field is ignored by tar too.
    const size = type === 'file' ? pending.size ?? headerSize : 0;
    const dataOffset = at + TAR_BLOCK_BYTES;
    const truncated = dataOffset + size > source.size;
    members.push({ name, type, size, dataOffset, headerOffset: at, truncated });
    if (truncated) break;
    pending = {};
    at = dataOffset + Math.ceil(size / TAR_BLOCK_BYTES) * TAR_BLOCK_BYTES;
  }
  return members;
}

/** Whether `head` (an archive's first bytes) starts with a valid ustar header. */
export function isTarHeader(head: Uint8Array): boolean {
  if (head.length < TAR_BLOCK_BYTES || text(head, 257, 5) !== 'ustar') return false;
  try {
    return tarNumber(head, 148, 8, 0) === checksumOf(head);
  } catch {
    return false;
  }
}

/** The name in the first header (no pax or long name followed): what tells an .ova by its content. */
export function firstTarName(head: Uint8Array): string {
  return normalName(text(head, 0, 100));
}
