/**
 * SID: a security identifier, binary and text form.
 *
 * Source: [MS-DTYP] 2.4.2 (SID string format S-1-IdentifierAuthority-SubAuthority…) and 2.4.2.2
 * (binary layout): 0 revision (u8, always 1)   1 sub-authority count (u8, at most 15)
 *   2 identifier authority (6 bytes, big-endian)   8.. sub-authorities (u32 little-endian each).
 * Well-known SIDs and names: [MS-DTYP] 2.4.2.4.
 */
import { GrtError } from '../../errors.js';
import { u32le } from '../../util/little-endian.js';

export const SID_REVISION = 1;
/** [MS-DTYP] 2.4.2.2: SubAuthorityCount "MUST be less than or equal to 15". */
export const MAX_SUB_AUTHORITIES = 15;
const SID_HEADER_BYTES = 8;
/** Authorities ≥ 2^32 are written in hex ([MS-DTYP] 2.4.2.1); 48 bits fit a double exactly. */
const DECIMAL_AUTHORITY_LIMIT = 2 ** 32;

export interface ParsedSid {
  /** Text form, e.g. S-1-5-32-544. */
  sid: string;
  /** Bytes the SID takes. */
  length: number;
}

/** Bytes a SID at `at` takes, from its header (checked against `end`). */
export function parseSid(bytes: Uint8Array, at: number, end: number, structure: string): ParsedSid {
  if (at < 0 || at + SID_HEADER_BYTES > end) {
    throw new GrtError('BAD_ATTRIBUTE', 'SID outside its security descriptor', { structure, offset: at, expected: SID_HEADER_BYTES, actual: end - at });
  }
  const revision = bytes[at]!;
  const count = bytes[at + 1]!;
  if (revision !== SID_REVISION) throw new GrtError('BAD_ATTRIBUTE', 'SID revision is not 1', { structure, offset: at, expected: SID_REVISION, actual: revision });
  if (count > MAX_SUB_AUTHORITIES) throw new GrtError('LIMIT_EXCEEDED', 'SID has more than 15 sub-authorities', { structure, offset: at, expected: MAX_SUB_AUTHORITIES, actual: count });
  const length = SID_HEADER_BYTES + 4 * count;
  if (at + length > end) throw new GrtError('BAD_ATTRIBUTE', 'SID sub-authorities run past their security descriptor', { structure, offset: at, expected: length, actual: end - at });
  let authority = 0;
  for (let i = 0; i < 6; i++) authority = authority * 256 + bytes[at + 2 + i]!;
  let sid = `S-1-${authority < DECIMAL_AUTHORITY_LIMIT ? authority : `0x${authority.toString(16).toUpperCase().padStart(12, '0')}`}`;
  for (let i = 0; i < count; i++) sid += `-${u32le(bytes, at + SID_HEADER_BYTES + 4 * i)}`;
  return { sid, length };
}

export { sidName } from '../sid-names.js';
