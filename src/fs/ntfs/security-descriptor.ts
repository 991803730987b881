/**
 * SECURITY_DESCRIPTOR in self-relative form: what $Secure:$SDS entries, the $SECURITY_DESCRIPTOR
 * attribute (0x50) of older volumes, and ntfs-3g's `system.ntfs_acl` xattr hold.
 *
 * Source: [MS-DTYP] 2.4.6: 0 revision (u8, 1)   1 Sbz1   2 control (u16, SE_* flags)
 *   4 OffsetOwner   8 OffsetGroup   12 OffsetSacl   16 OffsetDacl (u32 each, from the start;
 *   0 = absent). Self-relative descriptors carry SE_SELF_RELATIVE (0x8000) in `control`.
 */
import { GrtError, type OffsetSpace } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import { parseAcl, type Ace } from './security-acl.js';
import { parseSid } from './security-sid.js';

export const SD_REVISION = 1;
export const SD_HEADER_BYTES = 20;
export const SE_DACL_PRESENT = 0x4;
export const SE_SACL_PRESENT = 0x10;
export const SE_SELF_RELATIVE = 0x8000;
/**
 * The header, two ACLs (their size field is a u16) and two SIDs of at most 15 sub-authorities
 * (68 bytes): a longer value on disk is not one descriptor.
 */
export const MAX_DESCRIPTOR_BYTES = SD_HEADER_BYTES + 2 * 0xffff + 2 * 68;

/** What grt lists of a descriptor: owner, group and DACL (`dacl` absent: no DACL, all access). */
export interface SecurityInfo {
  owner?: string;
  group?: string;
  /** The DACL; [] is an empty DACL (no access), absent is no DACL (full access to everyone). */
  dacl?: Ace[];
  /** SE_* control flags. */
  control: number;
}

/** Where a descriptor lies, for error offsets: its first byte, in `space`. */
export interface DescriptorPlace {
  /** Undefined: no place known (an attribute not read from a record on the volume). */
  offset: number | undefined;
  space: OffsetSpace;
}

/** `place`: where `bytes` lie ($SDS stream offset, or the $SECURITY_DESCRIPTOR attribute's header). */
export function parseSecurityDescriptor(bytes: Uint8Array, structure: string, place?: DescriptorPlace): SecurityInfo {
  const end = bytes.length;
  const at = { structure, offset: place?.offset, space: place?.space };
  if (end < SD_HEADER_BYTES) throw new GrtError('BAD_ATTRIBUTE', 'security descriptor too short', { ...at, expected: SD_HEADER_BYTES, actual: end });
  if (end > MAX_DESCRIPTOR_BYTES) throw new GrtError('LIMIT_EXCEEDED', 'security descriptor too long', { ...at, expected: MAX_DESCRIPTOR_BYTES, actual: end });
  if (bytes[0] !== SD_REVISION) throw new GrtError('BAD_ATTRIBUTE', 'security descriptor revision is not 1', { ...at, expected: SD_REVISION, actual: bytes[0] });
  const control = u16le(bytes, 2);
  if ((control & SE_SELF_RELATIVE) === 0) throw new GrtError('BAD_ATTRIBUTE', 'security descriptor is not self-relative', { ...at, actual: control });
  const info: SecurityInfo = { control };
  const ownerAt = u32le(bytes, 4);
  const groupAt = u32le(bytes, 8);
  const daclAt = u32le(bytes, 16);
  // Offsets point past the header: one pointing into it would read the header as a SID or ACL.
  const check = (offset: number, what: string): void => {
    if (offset !== 0 && (offset < SD_HEADER_BYTES || offset >= end)) throw new GrtError('BAD_ATTRIBUTE', `${what} offset outside the security descriptor`, { structure, offset: place?.offset, space: place?.space, expected: end, actual: offset });
  };
  check(ownerAt, 'owner');
  check(groupAt, 'group');
  if (ownerAt !== 0) info.owner = parseSid(bytes, ownerAt, end, structure).sid;
  if (groupAt !== 0) info.group = parseSid(bytes, groupAt, end, structure).sid;
  if (control & SE_DACL_PRESENT) {
    check(daclAt, 'DACL');
    // DACL present with offset 0 is a NULL DACL: no restriction, the same as no DACL.
    if (daclAt !== 0) info.dacl = parseAcl(bytes, daclAt, end, structure);
  }
  return info;
}
