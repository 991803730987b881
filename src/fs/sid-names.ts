/**
 * Windows security identifiers as people read them: the well-known SIDs by the names Windows
 * shows. Not NTFS's own: SMB shares and other Windows file systems carry the same SIDs, and
 * listings of any of them print owners through here.
 */

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
