/**
 * Owners and groups for a catalog's scan, each distinct descriptor parsed once. Files share few
 * descriptors: NTFS 3.x files name one in $Secure by security id, and ntfs-3g gives every file it
 * creates the same resident $SECURITY_DESCRIPTOR ("everyone", when it maps no users). Reading and
 * parsing it per file took ~30% of a 10,000-file catalog; a hit here is a map lookup, answered
 * synchronously (no promise per record).
 *
 * The key is what decides the answer (security-file.ts readFileSecurity): a file's own descriptor,
 * when it has one, by its bytes (resident, one extent); else its security id. A file whose own
 * descriptor is non-resident or split is read as before, uncached. Errors are not kept: each file
 * with a damaged descriptor gets its own warning.
 */
import type { EntrySecurity } from '../file-system.js';
import { ATTR_STANDARD_INFORMATION } from './attribute.js';
import type { NtfsFile } from './mft.js';
import { ATTR_SECURITY_DESCRIPTOR, entrySecurity } from './security-file.js';
import type { FileSecurity } from './security-secure.js';
import { securityIdOf } from './security-secure.js';

/**
 * Distinct descriptors kept per scan. Real volumes have hundreds to a few thousand; past this,
 * descriptors are read per file again, so a hostile volume with one per file costs no more memory
 * than this many small entries.
 */
export const MAX_CACHED_DESCRIPTORS = 4096;
/** Own descriptors longer than this are not kept as keys (typical ones are 50–200 bytes). */
export const MAX_KEYED_DESCRIPTOR_BYTES = 1024;

type Owners = EntrySecurity | undefined;

export class OwnerCache {
  private readonly bySecurityId = new Map<number, Owners>();
  private readonly byOwnBytes = new Map<string, Owners>();
  /** The last own descriptor keyed and its answer: runs of files share one, compared without a key string. */
  private last: { bytes: Uint8Array; owners: Owners } | undefined;

  /** `read`: the file's descriptor as security-file.ts readFileSecurity gives it. */
  constructor(private readonly read: (file: NtfsFile) => Promise<FileSecurity | undefined>) {}

  /** The owner and group of `file` (no DACL); a value when its descriptor was met before. */
  ownersOf(file: NtfsFile): Owners | Promise<Owners> {
    const own = file.attributes.filter((a) => a.type === ATTR_SECURITY_DESCRIPTOR && a.name === '');
    if (own.length === 0) return this.cached(this.bySecurityId, securityIdKey(file), file);
    // Flags (encrypted, compressed) change how the value reads: such a descriptor is not keyed.
    const value = own.length === 1 && own[0]!.flags === 0 ? own[0]!.value : null;
    if (value === null || value.length > MAX_KEYED_DESCRIPTOR_BYTES) return this.cached(this.byOwnBytes, undefined, file);
    if (this.last && sameBytes(this.last.bytes, value)) return this.last.owners;
    const key = Buffer.from(value.buffer, value.byteOffset, value.length).toString('latin1');
    const owners = this.cached(this.byOwnBytes, key, file);
    // The value is a view into the scan's MFT chunk, reused for the next one: kept as a copy.
    if (!(owners instanceof Promise)) this.last = { bytes: value.slice(), owners };
    return owners;
  }

  private cached<K>(map: Map<K, Owners>, key: K | undefined, file: NtfsFile): Owners | Promise<Owners> {
    if (key !== undefined && map.has(key)) return map.get(key);
    return this.read(file).then((found) => {
      const owners = entrySecurity(found?.info, false);
      if (key !== undefined && map.size < MAX_CACHED_DESCRIPTORS) map.set(key, owners);
      return owners;
    });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The security id readFileSecurity would look up (0: none, as for a pre-3.0 $STANDARD_INFORMATION). */
function securityIdKey(file: NtfsFile): number {
  const standard = file.attributes.find((a) => a.type === ATTR_STANDARD_INFORMATION && a.value !== null);
  return (standard ? securityIdOf(standard.value!) : undefined) ?? 0;
}
