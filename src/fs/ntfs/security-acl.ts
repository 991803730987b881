/**
 * ACL and ACEs of a self-relative security descriptor.
 *
 * Source: [MS-DTYP] 2.4.5 (ACL: 0 revision (u8, 2 or 4)   1 Sbz1   2 AclSize (u16)
 *   4 AceCount (u16)   6 Sbz2), 2.4.4.1 (ACE_HEADER: 0 AceType   1 AceFlags   2 AceSize (u16)),
 * 2.4.4.2–2.4.4.17 (ACE bodies). Every ACE grt lists starts with a 32-bit access mask at 4; the
 * plain kinds (ACCESS_ALLOWED, _DENIED, SYSTEM_AUDIT, callbacks, mandatory label, ...) follow it
 * with the SID at 8, the object kinds with Flags (u32) at 8, ObjectType and InheritedObjectType
 * GUIDs (16 bytes each, present when Flags bits 0x1 and 0x2 say so), then the SID.
 */
import { GrtError } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import { parseSid } from './security-sid.js';

/** An ACL cannot be larger than its u16 size field; ACEs are at least 8 bytes, so ≤ 8191 of them. */
export const MAX_ACES = 0xffff >> 3;
const ACL_HEADER_BYTES = 8;
const ACE_HEADER_BYTES = 4;
const ACE_MASK_BYTES = 4;
const OBJECT_TYPE_PRESENT = 0x1;
const INHERITED_OBJECT_TYPE_PRESENT = 0x2;
const GUID_BYTES = 16;

/** One ACE as grt lists it (`--json` DACL rows). */
export interface Ace {
  /** 'allow', 'deny', 'audit', 'alarm', ... (see ACE_TYPES), or 'type-N' for an unknown type. */
  type: string;
  /** Trustee, as a SID string; absent for an ACE type grt does not parse. */
  sid?: string;
  /** ACCESS_MASK ([MS-DTYP] 2.4.3). */
  mask: number;
  /** AceFlags: inheritance and audit flags ([MS-DTYP] 2.4.4.1). */
  flags: number;
}

/** ACE type codes ([MS-DTYP] 2.4.4.1) → name and whether the body is the object layout. */
const ACE_TYPES: Record<number, { name: string; object: boolean }> = {
  0x0: { name: 'allow', object: false },
  0x1: { name: 'deny', object: false },
  0x2: { name: 'audit', object: false },
  0x3: { name: 'alarm', object: false },
  0x5: { name: 'allow-object', object: true },
  0x6: { name: 'deny-object', object: true },
  0x7: { name: 'audit-object', object: true },
  0x8: { name: 'alarm-object', object: true },
  0x9: { name: 'allow-callback', object: false },
  0xa: { name: 'deny-callback', object: false },
  0xb: { name: 'allow-callback-object', object: true },
  0xc: { name: 'deny-callback-object', object: true },
  0xd: { name: 'audit-callback', object: false },
  0xe: { name: 'alarm-callback', object: false },
  0xf: { name: 'audit-callback-object', object: true },
  0x10: { name: 'alarm-callback-object', object: true },
  0x11: { name: 'mandatory-label', object: false },
  0x12: { name: 'resource-attribute', object: false },
  0x13: { name: 'scoped-policy-id', object: false },
  0x14: { name: 'process-trust-label', object: false },
  0x15: { name: 'access-filter', object: false },
};

/** The ACL at `at`, which must end by `end` (its descriptor's end). */
export function parseAcl(bytes: Uint8Array, at: number, end: number, structure: string): Ace[] {
  if (at < 0 || at + ACL_HEADER_BYTES > end) throw new GrtError('BAD_ATTRIBUTE', 'ACL outside its security descriptor', { structure, offset: at, actual: end - at });
  const revision = bytes[at]!;
  if (revision !== 2 && revision !== 4) throw new GrtError('BAD_ATTRIBUTE', 'ACL revision is not 2 or 4', { structure, offset: at, expected: '2 or 4', actual: revision });
  const aclSize = u16le(bytes, at + 2);
  const count = u16le(bytes, at + 4);
  const aclEnd = at + aclSize;
  if (aclSize < ACL_HEADER_BYTES || aclEnd > end) throw new GrtError('BAD_ATTRIBUTE', 'ACL size outside its security descriptor', { structure, offset: at, expected: end - at, actual: aclSize });
  if (count > MAX_ACES) throw new GrtError('LIMIT_EXCEEDED', 'ACL has more ACEs than fit its size field', { structure, offset: at, expected: MAX_ACES, actual: count });
  const aces: Ace[] = [];
  let aceAt = at + ACL_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (aceAt + ACE_HEADER_BYTES > aclEnd) throw new GrtError('BAD_ATTRIBUTE', 'ACE outside its ACL', { structure, offset: aceAt, expected: count, actual: i });
    const aceSize = u16le(bytes, aceAt + 2);
    // An ACE size that is not a multiple of 4 or smaller than a header would loop or misalign.
    if (aceSize < ACE_HEADER_BYTES + ACE_MASK_BYTES || aceSize % 4 !== 0 || aceAt + aceSize > aclEnd) {
      throw new GrtError('BAD_ATTRIBUTE', 'ACE size outside its ACL', { structure, offset: aceAt, expected: aclEnd - aceAt, actual: aceSize });
    }
    aces.push(parseAce(bytes, aceAt, aceAt + aceSize, structure));
    aceAt += aceSize;
  }
  return aces;
}

function parseAce(bytes: Uint8Array, at: number, end: number, structure: string): Ace {
  const code = bytes[at]!;
  const known = ACE_TYPES[code];
  const ace: Ace = { type: known?.name ?? `type-${code}`, mask: u32le(bytes, at + ACE_HEADER_BYTES), flags: bytes[at + 1]! };
  if (!known) return ace;
  let sidAt = at + ACE_HEADER_BYTES + ACE_MASK_BYTES;
  if (known.object) {
    if (sidAt + 4 > end) throw new GrtError('BAD_ATTRIBUTE', 'object ACE too short for its flags', { structure, offset: at, actual: end - at });
    const objectFlags = u32le(bytes, sidAt);
    sidAt += 4;
    if (objectFlags & OBJECT_TYPE_PRESENT) sidAt += GUID_BYTES;
    if (objectFlags & INHERITED_OBJECT_TYPE_PRESENT) sidAt += GUID_BYTES;
  }
  ace.sid = parseSid(bytes, sidAt, end, structure).sid;
  return ace;
}
