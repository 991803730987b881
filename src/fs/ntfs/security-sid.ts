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

/** Names Windows shows for well-known SIDs ([MS-DTYP] 2.4.2.4). */
const WELL_KNOWN: Record<string, string> = {
  'S-1-0-0': 'NULL SID',
  'S-1-1-0': 'Everyone',
  'S-1-2-0': 'LOCAL',
  'S-1-3-0': 'CREATOR OWNER',
  'S-1-3-1': 'CREATOR GROUP',
  'S-1-3-4': 'OWNER RIGHTS',
  'S-1-5-2': 'NT AUTHORITY\\NETWORK',
  'S-1-5-4': 'NT AUTHORITY\\INTERACTIVE',
  'S-1-5-6': 'NT AUTHORITY\\SERVICE',
  'S-1-5-7': 'NT AUTHORITY\\ANONYMOUS LOGON',
  'S-1-5-9': 'NT AUTHORITY\\ENTERPRISE DOMAIN CONTROLLERS',
  'S-1-5-10': 'NT AUTHORITY\\SELF',
  'S-1-5-11': 'NT AUTHORITY\\Authenticated Users',
  'S-1-5-18': 'NT AUTHORITY\\SYSTEM',
  'S-1-5-19': 'NT AUTHORITY\\LOCAL SERVICE',
  'S-1-5-20': 'NT AUTHORITY\\NETWORK SERVICE',
  'S-1-5-32-544': 'BUILTIN\\Administrators',
  'S-1-5-32-545': 'BUILTIN\\Users',
  'S-1-5-32-546': 'BUILTIN\\Guests',
  'S-1-5-32-547': 'BUILTIN\\Power Users',
  'S-1-5-32-551': 'BUILTIN\\Backup Operators',
  'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464': 'NT SERVICE\\TrustedInstaller',
  'S-1-15-2-1': 'APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES',
  'S-1-15-2-2': 'APPLICATION PACKAGE AUTHORITY\\ALL RESTRICTED APPLICATION PACKAGES',
  'S-1-16-4096': 'Mandatory Label\\Low Mandatory Level',
  'S-1-16-8192': 'Mandatory Label\\Medium Mandatory Level',
  'S-1-16-12288': 'Mandatory Label\\High Mandatory Level',
  'S-1-16-16384': 'Mandatory Label\\System Mandatory Level',
};

/** The name Windows shows for a well-known SID, else the SID string itself. */
export function sidName(sid: string): string {
  return WELL_KNOWN[sid] ?? sid;
}
