/**
 * Names for well-known GPT partition type GUIDs.
 * Sources: UEFI 2.10 §5.3.3 table 5-7 (EFI system, legacy MBR); Microsoft "PARTITION_INFORMATION_GPT"
 * documentation (basic data, MSR, LDM, recovery, Storage Spaces); the Discoverable Partitions
 * Specification (Linux types); Apple Technical Note TN2166 (HFS+, APFS, boot).
 * GUIDs are in their text form (lower case), i.e. after the mixed-endian decoding of §5.3.3.
 * Each was cross-checked against what sgdisk 1.0.9 writes for its type code (e.g. 0700, 2700, 8e00).
 */
const GPT_TYPE_NAMES: ReadonlyMap<string, string> = new Map([
  ['c12a7328-f81f-11d2-ba4b-00a0c93ec93b', 'EFI system'],
  ['024dee41-33e7-11d3-9d69-0008c781f39f', 'MBR partition scheme'],
  ['21686148-6449-6e6f-744e-656564454649', 'BIOS boot'],
  ['e3c9e316-0b5c-4db8-817d-f92df00215ae', 'Microsoft reserved'],
  ['ebd0a0a2-b9e5-4433-87c0-68b6b72699c7', 'Microsoft basic data'],
  ['5808c8aa-7e8f-42e0-85d2-e1e90434cfb3', 'Windows LDM metadata'],
  ['af9b60a0-1431-4f62-bc68-3311714a69ad', 'Windows LDM data'],
  ['de94bba4-06d1-4d40-a16a-bfd50179d6ac', 'Windows recovery'],
  ['e75caf8f-f680-4cee-afa3-b001e56efc2d', 'Windows Storage Spaces'],
  ['558d43c5-a1ac-43c0-aac8-d1472b2923d1', 'Windows Storage Replica'],
  ['0fc63daf-8483-4772-8e79-3d69d8477de4', 'Linux filesystem'],
  ['0657fd6d-a4ab-43c4-84e5-0933c84b4f4f', 'Linux swap'],
  ['e6d6d379-f507-44c2-a23c-238f2a3df928', 'Linux LVM'],
  ['a19d880f-05fc-4d3b-a006-743f0f84911e', 'Linux RAID'],
  ['933ac7e1-2eb4-4f13-b844-0e14e2aef915', 'Linux home'],
  ['3b8f8425-20e0-4f3b-907f-1a25a76f98e8', 'Linux server data'],
  ['44479540-f297-41b2-9af7-d131d5f0458a', 'Linux root (x86)'],
  ['4f68bce3-e8cd-4db1-96e7-fbcaf984b709', 'Linux root (x86-64)'],
  ['b921b045-1df0-41c3-af44-4c6f280d3fae', 'Linux root (ARM64)'],
  ['bc13c2ff-59e6-4262-a352-b275fd6f7172', 'Linux extended boot'],
  ['ca7d7ccb-63ed-4c53-861c-1742536059cc', 'Linux LUKS'],
  ['7ffec5c9-2d00-49b7-8941-3ea10a5586b7', 'Linux dm-crypt'],
  ['8da63339-0007-60c0-c436-083ac8230908', 'Linux reserved'],
  ['48465300-0000-11aa-aa11-00306543ecac', 'Apple HFS+'],
  ['7c3457ef-0000-11aa-aa11-00306543ecac', 'Apple APFS'],
  ['426f6f74-0000-11aa-aa11-00306543ecac', 'Apple boot'],
  ['52414944-0000-11aa-aa11-00306543ecac', 'Apple RAID'],
  ['516e7cb4-6ecf-11d6-8ff8-00022d09712b', 'FreeBSD data'],
  ['83bd6b9d-7f41-11dc-be0b-001560b84f0f', 'FreeBSD boot'],
  ['516e7cb5-6ecf-11d6-8ff8-00022d09712b', 'FreeBSD swap'],
  ['516e7cb6-6ecf-11d6-8ff8-00022d09712b', 'FreeBSD UFS'],
  ['516e7cba-6ecf-11d6-8ff8-00022d09712b', 'FreeBSD ZFS'],
  ['6a898cc3-1dd2-11b2-99a6-080020736631', 'Solaris /usr or Apple ZFS'],
  ['aa31e02a-400f-11db-9590-000c2911d1b8', 'VMware VMFS'],
  ['9d275380-40ad-11db-bf97-000c2911d1b8', 'VMware vmkcore'],
  ['9198effc-31c0-11db-8f78-000c2911d1b8', 'VMware reserved'],
]);

/** A human name for a GPT type GUID (lower-case text form); unknown GUIDs say so. */
export function gptTypeName(typeGuid: string): string {
  return GPT_TYPE_NAMES.get(typeGuid) ?? 'unknown';
}
