/**
 * $Secure (MFT record 9) of NTFS 3.x: the volume's shared security descriptors, and a file's own
 * descriptor found through the security id in its $STANDARD_INFORMATION, or in a
 * $SECURITY_DESCRIPTOR attribute (0x50) on volumes from before NTFS 3.0.
 *
 * Sources: libyal libfsntfs "Security descriptor stream ($SDS)" notes; ntfs-3g layout.h
 * (SECURITY_DESCRIPTOR_HEADER). $SDS entry: 0 hash (u32)   4 security id (u32)
 *   8 offset of this entry in $SDS (u64)   16 length, header included (u32)   20.. descriptor.
 * Entries are 16-byte aligned and never cross a 256 KiB block; each block is followed by its
 * mirror copy, so entries live in the blocks at 0, 512 KiB, 1 MiB, ...
 * grt finds an id by one pass over $SDS (cached per volume) rather than through the $SII index:
 * every entry carries its own id and offset, which the pass checks, and the pass is one
 * sequential read of a stream that is a few MiB on real volumes.
 */
import { GrtError, warningFrom, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { u32le } from '../../util/little-endian.js';
import { MAX_DESCRIPTOR_BYTES, parseSecurityDescriptor, type SecurityInfo } from './security-descriptor.js';

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
  private entries: Map<number, { offset: number; length: number }> | undefined;
  private readonly parsed = new Map<number, FileSecurity>();

  constructor(private readonly sds: ByteSource, readonly warnings: GrtWarning[]) {}

  /** The descriptor of `securityId`, or undefined when $SDS has no entry for it. */
  async lookup(securityId: number): Promise<FileSecurity | undefined> {
    const known = this.parsed.get(securityId);
    if (known) return known;
    this.entries ??= await indexSds(this.sds, this.warnings);
    const entry = this.entries.get(securityId);
    if (!entry) return undefined;
    const structure = `$SDS entry ${securityId}`;
    const bytes = await this.sds.read(entry.offset + SDS_ENTRY_HEADER_BYTES, entry.length - SDS_ENTRY_HEADER_BYTES);
    const raw = bytes.slice();
    const found = { info: parseSecurityDescriptor(raw, structure), raw };
    this.parsed.set(securityId, found);
    return found;
  }
}

/** One pass over the primary blocks of $SDS: security id → entry offset and length. */
async function indexSds(sds: ByteSource, warnings: GrtWarning[]): Promise<Map<number, { offset: number; length: number }>> {
  if (sds.size > MAX_SDS_BYTES) throw new GrtError('LIMIT_EXCEEDED', '$SDS too large', { structure: '$SDS', expected: MAX_SDS_BYTES, actual: sds.size });
  const entries = new Map<number, { offset: number; length: number }>();
  for (let blockStart = 0; blockStart < sds.size; blockStart += 2 * SDS_BLOCK_BYTES) {
    try {
      const block = await sds.read(blockStart, Math.min(SDS_BLOCK_BYTES, sds.size - blockStart));
      indexBlock(block, blockStart, entries);
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      warnings.push(warningFrom(error));
    }
  }
  return entries;
}

function indexBlock(block: Uint8Array, blockStart: number, entries: Map<number, { offset: number; length: number }>): void {
  let at = 0;
  while (at + SDS_ENTRY_HEADER_BYTES <= block.length) {
    const securityId = u32le(block, at + 4);
    const offsetLow = u32le(block, at + 8);
    const offsetHigh = u32le(block, at + 12);
    const length = u32le(block, at + 16);
    // Zeros after the last entry of a block: the rest of the block is free.
    if (length === 0) return;
    const offset = blockStart + at;
    if (offsetHigh !== 0 || offsetLow !== offset || length < SDS_ENTRY_HEADER_BYTES || length - SDS_ENTRY_HEADER_BYTES > MAX_DESCRIPTOR_BYTES || at + length > block.length) {
      throw new GrtError('BAD_ATTRIBUTE', '$SDS entry header inconsistent; rest of the block skipped', { structure: '$SDS', offset, space: 'stream', expected: offset, actual: offsetLow });
    }
    if (!entries.has(securityId)) entries.set(securityId, { offset, length });
    at += Math.ceil(length / SDS_ALIGNMENT) * SDS_ALIGNMENT;
  }
}
