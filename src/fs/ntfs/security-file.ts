/**
 * A file's security descriptor: its own $SECURITY_DESCRIPTOR attribute (0x50, volumes from
 * before NTFS 3.0, still honoured by readers when present), else the $Secure:$SDS entry its
 * $STANDARD_INFORMATION's security id names (NTFS 3.x).
 *
 * Sources: libyal libfsntfs "Security descriptor attribute" and "Standard information" notes.
 */
import { GrtError, warningFrom, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { ATTR_DATA, ATTR_INDEX_ALLOCATION, ATTR_INDEX_ROOT, ATTR_STANDARD_INFORMATION } from './attribute.js';
import { buildLayout, openLayoutStream, sourceOffsetAt } from './data-stream.js';
import { extentsOf, readAttributeValue, type Mft, type NtfsFile } from './mft.js';
import type { EntrySecurity } from '../file-system.js';
import { MAX_DESCRIPTOR_BYTES, parseSecurityDescriptor, type SecurityInfo } from './security-descriptor.js';
import { SDS_STREAM_NAME, SECURE_RECORD, SecureStore, securityIdOf, type FileSecurity } from './security-secure.js';
import { SII_INDEX_NAME, SiiIndex } from './security-sii.js';

export const ATTR_SECURITY_DESCRIPTOR = 0x50;

/** Open the $SDS stream of $Secure as a SecureStore (indexed on its first lookup). */
export async function openSecureStore(mft: Mft, source: ByteSource, clusterSize: number, warnings: GrtWarning[]): Promise<SecureStore> {
  const secure = await mft.loadFile(SECURE_RECORD);
  const extents = extentsOf(secure.attributes, ATTR_DATA, SDS_STREAM_NAME);
  return new SecureStore(openLayoutStream(source, buildLayout(extents, clusterSize, '$Secure:$SDS')), warnings, openSii(mft, secure, source, clusterSize, warnings));
}

/** $Secure's $SII index, or undefined (the $SDS pass serves) when it is missing or its root is damaged. */
function openSii(mft: Mft, secure: NtfsFile, source: ByteSource, clusterSize: number, warnings: GrtWarning[]): SiiIndex | undefined {
  const structure = '$Secure:$SII';
  const root = secure.attributes.find((a) => a.type === ATTR_INDEX_ROOT && a.name === SII_INDEX_NAME && a.value);
  if (!root) return undefined;
  try {
    const allocation = extentsOf(secure.attributes, ATTR_INDEX_ALLOCATION, SII_INDEX_NAME);
    const layout = allocation.length > 0 ? buildLayout(allocation, clusterSize, structure) : undefined;
    const stream = layout && { stream: openLayoutStream(source, layout), volumeOffset: (at: number) => sourceOffsetAt(layout.runs, at) };
    return SiiIndex.open(root.value!, mft.valueOffset(root), stream, clusterSize, structure);
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    warnings.push(warningFrom(error));
    return undefined;
  }
}

/**
 * The descriptor of `file`, or undefined when it has none (no attribute, security id 0 or not in
 * $SDS). `store` opens $Secure when first needed, so files with their own attribute never do.
 */
export async function readFileSecurity(file: NtfsFile, source: ByteSource, clusterSize: number, store: () => Promise<SecureStore>): Promise<FileSecurity | undefined> {
  const structure = `MFT record ${file.record.recordNumber}`;
  const own = extentsOf(file.attributes, ATTR_SECURITY_DESCRIPTOR, '');
  if (own.length > 0) {
    const raw = (await readAttributeValue(source, own, clusterSize, MAX_DESCRIPTOR_BYTES, `${structure} $SECURITY_DESCRIPTOR`)).slice();
    return { info: parseSecurityDescriptor(raw, `${structure} $SECURITY_DESCRIPTOR`, { offset: own[0]!.byteOffset, space: 'volume' }), raw };
  }
  const standard = file.attributes.find((a) => a.type === ATTR_STANDARD_INFORMATION && a.value !== null);
  const securityId = standard ? securityIdOf(standard.value!) : undefined;
  if (securityId === undefined || securityId === 0) return undefined;
  return (await store()).lookup(securityId);
}

/** The parts of a descriptor an entry lists (`dacl`: with the DACL, else owner and group only). */
export function entrySecurity(info: SecurityInfo | undefined, dacl: boolean): EntrySecurity | undefined {
  if (!info) return undefined;
  const out: EntrySecurity = {};
  if (info.owner !== undefined) out.owner = info.owner;
  if (info.group !== undefined) out.group = info.group;
  if (dacl && info.dacl !== undefined) out.dacl = info.dacl;
  return out;
}
