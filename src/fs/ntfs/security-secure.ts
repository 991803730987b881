/**
 * $Secure (MFT record 9) of NTFS 3.x: the volume's shared security descriptors, found through the
 * security id in a file's $STANDARD_INFORMATION (security-file.ts reads a file's own).
 *
 * Sources: libyal libfsntfs "Security descriptor stream ($SDS)" notes; ntfs-3g layout.h
 * (SECURITY_DESCRIPTOR_HEADER). $SDS entry: 0 hash (u32)   4 security id (u32)
 *   8 offset of this entry in $SDS (u64)   16 length, header included (u32)   20.. descriptor.
 * Entries are 16-byte aligned and never cross a 256 KiB block; each block is followed by its
 * mirror copy, so entries live in the blocks at 0, 512 KiB, 1 MiB, ... (a mirror entry's offset
 * field names its primary copy).
 * grt finds an id through the $SII index (security-sii.ts: one B+tree path). Where $SII is
 * missing or damaged, or has no such id, one pass over $SDS (cached per volume) indexes every
 * entry by the id and offset it carries, which the pass checks.
 */
import { GrtError, warningFrom, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { u32le } from '../../util/little-endian.js';
import { MAX_DESCRIPTOR_BYTES, parseSecurityDescriptor, type SecurityInfo } from './security-descriptor.js';
import type { SiiIndex } from './security-sii.js';

export const SECURE_RECORD = 9;
export const SDS_STREAM_NAME = '$SDS';
export const SDS_ENTRY_HEADER_BYTES = 20;
export const SDS_BLOCK_BYTES = 256 * 1024;
const SDS_ALIGNMENT = 16;
/**
 * $SDS grt indexes at most: entries are ≥ 40 bytes, so the id map stays below ~1.7M entries.
 * Real volumes hold thousands of distinct descriptors (a few MiB).
 */
export const MAX_SDS_BYTES = 64 * 1024 * 1024;
/** $STANDARD_INFORMATION of NTFS 3.x is 72 bytes; its security id (u32) is at 52. */
export const SI_SECURITY_ID_OFFSET = 52;
export const SI_V3_LENGTH = 72;

/** A file's descriptor: the parsed fields and the raw self-relative bytes. */
export interface FileSecurity {
  info: SecurityInfo;
  raw: Uint8Array;
}

/** The security id a $STANDARD_INFORMATION value names, or undefined on a pre-3.0 (48-byte) one. */
export function securityIdOf(standardInformation: Uint8Array): number | undefined {
  return standardInformation.length >= SI_V3_LENGTH ? u32le(standardInformation, SI_SECURITY_ID_OFFSET) : undefined;
}

/** The $SDS stream, indexed by security id on first use. */
export class SecureStore {
  private entries: Map<number, SdsEntry> | undefined;
  private readonly parsed = new Map<number, FileSecurity>();

  /** `sii`: the $SII index, or undefined (none, or its root unreadable: the $SDS pass serves). */
  constructor(private readonly sds: ByteSource, readonly warnings: GrtWarning[], private sii?: SiiIndex) {}

  /** Where `securityId`'s entry is: through $SII, else from the one pass over $SDS. */
  private async locate(securityId: number): Promise<SdsEntry | undefined> {
    if (this.sii && !this.entries) {
      try {
        const hit = await this.sii.find(securityId);
        if (hit && Number.isSafeInteger(hit.offset)) return { offset: hit.offset, length: hit.length, mirrored: false };
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
        this.warnings.push({ ...warningFrom(error), message: `${error.message}; $SDS read whole instead` });
        this.sii = undefined;
      }
    }
    this.entries ??= await indexSds(this.sds, this.warnings);
    return this.entries.get(securityId);
  }

  /**
   * The descriptor of `securityId`, or undefined when $SDS has no entry for it. A primary copy
   * that does not parse is read again from its mirror, 256 KiB on.
   */
  async lookup(securityId: number): Promise<FileSecurity | undefined> {
    const known = this.parsed.get(securityId);
    if (known) return known;
    const entry = await this.locate(securityId);
    if (!entry) return undefined;
    let found: FileSecurity;
    try {
      found = await this.readEntry(securityId, entry.offset, entry.mirrored ? entry.offset - SDS_BLOCK_BYTES : entry.offset, entry.length);
    } catch (error) {
      const mirror = entry.offset + SDS_BLOCK_BYTES;
      if (!(error instanceof GrtError) || entry.mirrored || mirror + SDS_ENTRY_HEADER_BYTES > this.sds.size) throw error;
      // The mirror's own header gives the length: the primary's may be what was damaged.
      const header = await this.sds.read(mirror, SDS_ENTRY_HEADER_BYTES);
      if (u32le(header, 4) !== securityId) throw error;
      found = await this.readEntry(securityId, mirror, entry.offset, u32le(header, 16));
      this.warnings.push({ ...warningFrom(error), message: `${error.message}; its mirror copy used` });
    }
    this.parsed.set(securityId, found);
    return found;
  }

  /** The entry at `offset` (naming `primaryOffset` as its place), checked against its header. */
  private async readEntry(securityId: number, offset: number, primaryOffset: number, length: number): Promise<FileSecurity> {
    const structure = `$SDS entry ${securityId}`;
    if (length < SDS_ENTRY_HEADER_BYTES || length - SDS_ENTRY_HEADER_BYTES > MAX_DESCRIPTOR_BYTES || offset + length > this.sds.size) {
      throw new GrtError('BAD_ATTRIBUTE', '$SDS entry length out of range', { structure, offset, space: 'stream', actual: length });
    }
    const bytes = await this.sds.read(offset, length);
    if (u32le(bytes, 4) !== securityId || u32le(bytes, 8) !== primaryOffset || u32le(bytes, 12) !== 0 || u32le(bytes, 16) !== length) {
      throw new GrtError('BAD_ATTRIBUTE', '$SDS entry header changed since it was indexed', { structure, offset, space: 'stream' });
    }
    const raw = bytes.slice(SDS_ENTRY_HEADER_BYTES);
    return { info: parseSecurityDescriptor(raw, structure, { offset: offset + SDS_ENTRY_HEADER_BYTES, space: 'stream' }), raw };
  }
}

/** Where an entry was found; `mirrored`: in the mirror block, its primary block being damaged. */
interface SdsEntry {
  offset: number;
  length: number;
  mirrored: boolean;
}

/**
 * One pass over the primary blocks of $SDS: security id → where its entry is. A primary block
 * whose headers are damaged is indexed again from its mirror copy (entries found before the damage
 * are kept).
 */
async function indexSds(sds: ByteSource, warnings: GrtWarning[]): Promise<Map<number, SdsEntry>> {
  if (sds.size > MAX_SDS_BYTES) throw new GrtError('LIMIT_EXCEEDED', '$SDS too large', { structure: '$SDS', expected: MAX_SDS_BYTES, actual: sds.size });
  const entries = new Map<number, SdsEntry>();
  const indexCopy = async (blockStart: number, mirrored: boolean): Promise<boolean> => {
    const readAt = blockStart + (mirrored ? SDS_BLOCK_BYTES : 0);
    try {
      const block = await sds.read(readAt, Math.min(SDS_BLOCK_BYTES, sds.size - readAt));
      indexBlock(block, blockStart, mirrored, entries);
      return true;
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      warnings.push(warningFrom(error));
      return false;
    }
  };
  for (let blockStart = 0; blockStart < sds.size; blockStart += 2 * SDS_BLOCK_BYTES) {
    if (!(await indexCopy(blockStart, false)) && blockStart + SDS_BLOCK_BYTES < sds.size) await indexCopy(blockStart, true);
  }
  return entries;
}

function indexBlock(block: Uint8Array, blockStart: number, mirrored: boolean, entries: Map<number, SdsEntry>): void {
  const shift = mirrored ? SDS_BLOCK_BYTES : 0;
  let at = 0;
  while (at + SDS_ENTRY_HEADER_BYTES <= block.length) {
    const securityId = u32le(block, at + 4);
    const offsetLow = u32le(block, at + 8);
    const offsetHigh = u32le(block, at + 12);
    const length = u32le(block, at + 16);
    // Zeros after the last entry of a block: the rest of the block is free.
    if (length === 0) return;
    // A mirror entry names the offset of its primary copy.
    const offset = blockStart + at;
    if (offsetHigh !== 0 || offsetLow !== offset || length < SDS_ENTRY_HEADER_BYTES || length - SDS_ENTRY_HEADER_BYTES > MAX_DESCRIPTOR_BYTES || at + length > block.length) {
      throw new GrtError('BAD_ATTRIBUTE', '$SDS entry header inconsistent; rest of the block skipped', { structure: '$SDS', offset: offset + shift, space: 'stream', expected: offset, actual: offsetLow });
    }
    if (!entries.has(securityId)) entries.set(securityId, { offset: offset + shift, length, mirrored });
    at += Math.ceil(length / SDS_ALIGNMENT) * SDS_ALIGNMENT;
  }
}
