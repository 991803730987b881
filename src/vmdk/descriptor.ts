/**
 * The VMDK text descriptor: a small `key = value` file naming the disk's extents, its content ID
 * (CID), its parent in a snapshot chain and the disk database (DDB).
 *
 * Sources: VMware "Virtual Disk Format 5.0" technote, sections "The Descriptor File",
 * "Header", "Extent Descriptions" and "The Disk Database"; libyal libvmdk "VMware Virtual Disk
 * (VMDK) format", section "Descriptor file" (extent types, encodings, createType values).
 *
 * The same text sits alone in a `.vmdk` file or embedded in a hosted sparse extent (padded with
 * NULs up to a sector boundary).
 */
import { TextDecoder } from 'node:util';
import { GrtError, type GrtWarning } from '../errors.js';

/** Descriptors are a few hundred bytes; a 62 TB disk split in 2 GB extents needs ~1.2 MB. Bounds what we decode. */
export const MAX_DESCRIPTOR_BYTES = 4 * 1024 * 1024;
/** More extent lines than any real disk has (a 62 TB disk split at 2 GB has ~31,700). */
export const MAX_EXTENTS = 65536;
/** CID meaning "no parent" (technote, "Header": parentCID = ffffffff for a base disk). */
export const NO_PARENT_CID = 'ffffffff';

export type ExtentAccess = 'RW' | 'RDONLY' | 'NOACCESS';
/** Extent types of the technote ("Extent Descriptions") plus ESXi's SESPARSE. */
export const EXTENT_TYPES = ['FLAT', 'SPARSE', 'ZERO', 'VMFS', 'VMFSSPARSE', 'SESPARSE', 'VMFSRDM', 'VMFSRAW'] as const;
export type ExtentType = (typeof EXTENT_TYPES)[number];

export interface ExtentLine {
  access: ExtentAccess;
  sectorCount: number;
  type: ExtentType;
  /** File name as written (relative to the descriptor's directory); absent for ZERO. */
  file?: string;
  /** FLAT/VMFS only: where the extent's data starts in its file, in 512-byte sectors. */
  sectorOffset?: number;
}

export interface VmdkDescriptor {
  version?: number;
  /** The `encoding` label as written, if any. */
  encoding?: string;
  /** Content ID, 8 lower-case hex digits. */
  cid?: string;
  /** Parent's content ID; `ffffffff` for a disk without parent. */
  parentCid?: string;
  createType?: string;
  parentFileNameHint?: string;
  extents: ExtentLine[];
  /** `ddb.*` entries, key without quotes, value unquoted. */
  ddb: Record<string, string>;
  /** Every other `key = value` of the header. */
  properties: Record<string, string>;
  warnings: GrtWarning[];
}

/** Code-page names VMware writes that WHATWG TextDecoder knows under another label. */
const ENCODING_ALIASES: Record<string, string> = {
  cp932: 'shift_jis',
  ms932: 'shift_jis',
  cp936: 'gbk',
  ms936: 'gbk',
  cp950: 'big5',
  ms950: 'big5',
};

const EXTENT_LINE = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+(?:"(.*)"|(\S+))(?:\s+(\d+))?)?$/i;
const PROPERTY_LINE = /^([A-Za-z0-9_.\-]+)\s*=\s*(.*)$/;
const HEX_CID = /^[0-9a-f]{1,8}$/i;

/** Where an error in the descriptor points: its structure, file, and a byte offset in that file. */
interface Where {
  structure: string;
  path: string | undefined;
  offset?: number;
  space?: 'file';
}

/**
 * Parse descriptor bytes. `path` names the file in errors; `fileOffset` is where the bytes start
 * in it (an embedded descriptor's sector), so an error's offset is the line's byte in the file.
 * Throws GrtError BAD_DESCRIPTOR when the bytes are not a descriptor (binary, no extents,
 * malformed extent line).
 */
export function parseDescriptor(bytes: Uint8Array, path?: string, fileOffset = 0): VmdkDescriptor {
  const where: Where = { structure: 'VMDK descriptor', path, offset: fileOffset, space: 'file' };
  if (bytes.length > MAX_DESCRIPTOR_BYTES) {
    throw new GrtError('LIMIT_EXCEEDED', `descriptor is larger than ${MAX_DESCRIPTOR_BYTES} bytes`, { ...where, actual: bytes.length });
  }
  // Embedded descriptors are NUL-padded to their sector count: the text ends at the first NUL.
  const nul = bytes.indexOf(0);
  let body = nul < 0 ? bytes : bytes.subarray(0, nul);
  if (nul >= 0 && bytes.subarray(nul).some((b) => b !== 0)) {
    throw new GrtError('BAD_DESCRIPTOR', 'binary data, not a text descriptor', { ...where, offset: fileOffset + nul });
  }
  let bodyOffset = fileOffset;
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
    body = body.subarray(3);
    bodyOffset += 3;
  }
  const warnings: GrtWarning[] = [];
  const encoding = findEncoding(body);
  const text = decode(body, encoding, warnings);
  const result: VmdkDescriptor = { extents: [], ddb: {}, properties: {}, warnings };
  if (encoding !== undefined) result.encoding = encoding;

  const lines = text.split(/\r\n|\r|\n/);
  const starts = lineStarts(body, bodyOffset);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const at: Where = { ...where, offset: starts[i] };
    const extent = EXTENT_LINE.exec(line);
    if (extent) {
      if (result.extents.length >= MAX_EXTENTS) {
        throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_EXTENTS} extents`, at);
      }
      result.extents.push(parseExtent(extent, i + 1, at));
      continue;
    }
    if (/^(RW|RDONLY|NOACCESS)\s/i.test(line)) {
      // Dropping an extent line would shift every extent after it: refuse instead.
      throw new GrtError('BAD_DESCRIPTOR', `line ${i + 1}: malformed extent line ${JSON.stringify(line.slice(0, 80))}`, at);
    }
    const property = PROPERTY_LINE.exec(line);
    if (property) {
      setProperty(result, property[1]!, unquote(property[2]!.trim()), i + 1);
      continue;
    }
    if (/[\x00-\x08\x0e-\x1f]/.test(line)) {
      throw new GrtError('BAD_DESCRIPTOR', `line ${i + 1} is binary data, not a text descriptor`, at);
    }
    warnings.push({ code: 'BAD_DESCRIPTOR', message: `descriptor line ${i + 1} not understood: ${JSON.stringify(line.slice(0, 80))}` });
  }
  if (result.extents.length === 0) {
    throw new GrtError('BAD_DESCRIPTOR', 'no extent lines: not a VMDK descriptor', where);
  }
  return result;
}

function parseExtent(match: RegExpExecArray, lineNumber: number, where: Where): ExtentLine {
  const access = match[1]!.toUpperCase() as ExtentAccess;
  const type = match[3]!.toUpperCase();
  if (!(EXTENT_TYPES as readonly string[]).includes(type)) {
    throw new GrtError('BAD_DESCRIPTOR', `line ${lineNumber}: unknown extent type ${type}`, where);
  }
  const sectorCount = decimal(match[2]!, `line ${lineNumber}: sector count`, where);
  const line: ExtentLine = { access, sectorCount, type: type as ExtentType };
  // NOTE: the name is everything between the first and the last quote, so a name holding a quote
  // survives; the technote gives no escape syntax.
  const file = match[4] ?? match[5];
  if (file !== undefined) line.file = file;
  if (match[6] !== undefined) line.sectorOffset = decimal(match[6], `line ${lineNumber}: sector offset`, where);
  if (type !== 'ZERO' && line.file === undefined) {
    throw new GrtError('BAD_DESCRIPTOR', `line ${lineNumber}: ${type} extent without a file name`, where);
  }
  return line;
}

/** A sector number: it must be exact as a byte offset too (× 512 below 2^53). */
function decimal(digits: string, what: string, where: Where): number {
  const value = Number(digits);
  if (!Number.isSafeInteger(value * 512)) {
    throw new GrtError('BAD_DESCRIPTOR', `${what} ${digits} is too large`, where);
  }
  return value;
}

function setProperty(result: VmdkDescriptor, key: string, value: string, lineNumber: number): void {
  const lower = key.toLowerCase();
  if (lower.startsWith('ddb.')) {
    result.ddb[key] = value;
    return;
  }
  switch (lower) {
    case 'version': {
      const version = Number(value);
      if (!Number.isInteger(version) || version < 1 || version > 3) {
        result.warnings.push({ code: 'BAD_DESCRIPTOR', message: `descriptor line ${lineNumber}: unknown version ${JSON.stringify(value)}` });
      } else result.version = version;
      return;
    }
    case 'cid':
    case 'parentcid': {
      if (!HEX_CID.test(value)) {
        result.warnings.push({ code: 'BAD_DESCRIPTOR', message: `descriptor line ${lineNumber}: ${key} ${JSON.stringify(value)} is not hex` });
        return;
      }
      const cid = value.toLowerCase().padStart(8, '0');
      if (lower === 'cid') result.cid = cid;
      else result.parentCid = cid;
      return;
    }
    case 'createtype':
      result.createType = value;
      return;
    case 'parentfilenamehint':
      result.parentFileNameHint = value;
      return;
    case 'encoding':
      return; // read in the first pass
    default:
      result.properties[key] = value;
  }
}

/**
 * The byte offset of each line of `body` (which starts at `bodyOffset` in its file), split as the
 * decoded text is: CR, LF and CRLF are single bytes in every ASCII-compatible code page VMware
 * writes, never part of a multi-byte character, so the lines correspond one to one. (A decoder
 * for another encoding may split differently; its lines past the last start get no offset.)
 */
function lineStarts(body: Uint8Array, bodyOffset: number): number[] {
  const starts = [bodyOffset];
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (byte !== 0x0a && byte !== 0x0d) continue;
    if (byte === 0x0d && body[i + 1] === 0x0a) i++;
    starts.push(bodyOffset + i + 1);
  }
  return starts;
}

/** One pair of surrounding double quotes is syntax, not value. */
function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

/** First pass: the `encoding` line is ASCII in every code page VMware writes, so latin1 finds it. */
function findEncoding(body: Uint8Array): string | undefined {
  const match = /^[ \t]*encoding[ \t]*=[ \t]*"?([^"\r\n]*?)"?[ \t]*$/im.exec(latin1(body));
  return match ? match[1]! : undefined;
}

function decode(body: Uint8Array, encoding: string | undefined, warnings: GrtWarning[]): string {
  let label = (encoding ?? 'utf-8').trim().toLowerCase();
  label = ENCODING_ALIASES[label] ?? label;
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    warnings.push({ code: 'UNSUPPORTED', message: `descriptor encoding ${JSON.stringify(encoding)} is unknown; read as UTF-8` });
    decoder = new TextDecoder('utf-8', { fatal: true });
  }
  try {
    return decoder.decode(body);
  } catch {
    // NOTE: descriptors without an `encoding` line were written in the host's code page; VMware's
    // hosted products on Western Windows used windows-1252, which decodes every byte.
    const fallback = encoding === undefined ? 'windows-1252' : decoder.encoding;
    warnings.push({ code: 'BAD_DESCRIPTOR', message: `descriptor is not valid ${decoder.encoding}; read as ${fallback}` });
    return new TextDecoder(fallback).decode(body);
  }
}
