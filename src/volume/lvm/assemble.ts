/**
 * Volume groups found across disks: every volume (partition or whole disk) is looked at for a PV
 * label; PVs are grouped by the VG their newest metadata copy describes (highest seqno, as LVM's
 * vg_read picks it), and each LV of a group becomes a volume-like record with id "VG/LV". An LV
 * whose PV is missing, whose segments are damaged or of a type grt does not read is listed with the
 * reason; the other LVs of the group still open.
 */
import { GrtError, warningFrom, type GrtWarning } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import { detectFileSystem } from '../detect.js';
import type { FsKind } from '../types.js';
import { readPvLabel, type PvLabel } from './label.js';
import { readMetadataArea } from './metadata-area.js';
import { LVM_TEXT_SECTOR, parseVgMetadata, type LvMetadata, type VgMetadata } from './metadata.js';
import { LogicalVolumeSource, type MappedSegment } from './lv-source.js';

/** A volume handed in: a partition ("1", "2:5") or a whole disk ("2:0") and its bytes. */
export interface InputVolume {
  id: string;
  source: ByteSource;
}

export interface PhysicalVolumeRecord {
  /** The key the metadata names it by ("pv0"). */
  key: string;
  uuid: string;
  /** The input volume holding it; undefined when no disk given has it. */
  volumeId?: string;
  /** The device path it had when the metadata was written. */
  device?: string;
}

export interface VolumeGroupRecord {
  name: string;
  uuid: string;
  seqno: number;
  /** Extent size in bytes. */
  extentBytes: number;
  pvs: PhysicalVolumeRecord[];
}

export interface LogicalVolumeRecord {
  /** "VG/LV". */
  id: string;
  vg: string;
  name: string;
  /** Size in bytes, from the metadata (0 when refused before its segments were read). */
  size: number;
  /** Hidden LVs are parts of other LVs (thin pools, mirrors). */
  visible: boolean;
  segmentTypes: string[];
  /** The LV's bytes; absent when it cannot be read. */
  source?: ByteSource;
  /** Where the LV's bytes lie on the input volumes (with `source`): what a catalog translates runs through. */
  segments?: PlacedSegment[];
  /** Why the LV cannot be read. */
  unavailable?: string;
  fs: FsKind;
  label?: string;
}

export interface AssembledLvm {
  groups: VolumeGroupRecord[];
  volumes: LogicalVolumeRecord[];
  warnings: GrtWarning[];
}

/** A segment of an LV (lv-source.ts MappedSegment) with each stripe on an input volume by id. */
export interface PlacedSegment {
  start: number;
  size: number;
  stripeSize: number;
  stripes: { volumeId: string; byteOffset: number }[];
}

interface FoundPv {
  volumeId: string;
  source: ByteSource;
  label: PvLabel;
  metadata: VgMetadata[];
}

export async function assembleLogicalVolumes(inputs: readonly InputVolume[]): Promise<AssembledLvm> {
  const warnings: GrtWarning[] = [];
  const found: FoundPv[] = [];
  for (const input of inputs) {
    const pv = await findPv(input, warnings);
    if (pv) found.push(pv);
  }
  const pvByUuid = new Map<string, FoundPv>();
  for (const pv of found) {
    const first = pvByUuid.get(pv.label.pvUuid);
    if (first) warnings.push({ code: 'BAD_HEADER', message: `LVM2: volumes ${first.volumeId} and ${pv.volumeId} carry the same PV uuid ${pv.label.pvUuid}; ${first.volumeId} is used` });
    else pvByUuid.set(pv.label.pvUuid, pv);
  }
  const groups: VolumeGroupRecord[] = [];
  const volumes: LogicalVolumeRecord[] = [];
  const names = new Set<string>();
  for (const vg of newestPerGroup(found, warnings)) {
    if (names.has(vg.name)) {
      warnings.push({ code: 'BAD_HEADER', message: `LVM2: two volume groups are named ${JSON.stringify(vg.name)}; the one with uuid ${vg.uuid} is left out` });
      continue;
    }
    names.add(vg.name);
    const pvs = vg.pvs.map((pv) => ({ key: pv.key, uuid: pv.uuid, ...(pvByUuid.has(pv.uuid) ? { volumeId: pvByUuid.get(pv.uuid)!.volumeId } : {}), ...(pv.device === undefined ? {} : { device: pv.device }) }));
    groups.push({ name: vg.name, uuid: vg.uuid, seqno: vg.seqno, extentBytes: vg.extentSize * LVM_TEXT_SECTOR, pvs });
    for (const lv of vg.lvs) volumes.push(await openLv(vg, lv, pvByUuid, warnings));
  }
  return { groups, volumes, warnings };
}

/** The PV label and metadata copies of one input volume; damage becomes a warning. */
async function findPv(input: InputVolume, warnings: GrtWarning[]): Promise<FoundPv | undefined> {
  try {
    const label = await readPvLabel(input.source);
    if (!label) return undefined;
    const metadata: VgMetadata[] = [];
    for (const area of label.metadataAreas) {
      try {
        const copy = await readMetadataArea(input.source, area);
        if (copy) metadata.push(parseVgMetadata(copy.text, copy.textOffset));
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
        const warning = warningFrom(new GrtError(error.code, `LVM2 PV on volume ${input.id}: metadata area at byte ${area.offset} is unusable: ${error.message}`));
        warnings.push(error.offset === undefined ? warning : { ...warning, offset: error.offset });
      }
    }
    return { volumeId: input.id, source: input.source, label, metadata };
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    warnings.push({ code: error.code, message: `LVM2 label on volume ${input.id} is unusable: ${error.message}` });
    return undefined;
  }
}

/** Per VG uuid, the copy with the highest seqno among every PV's metadata areas. */
function newestPerGroup(found: FoundPv[], warnings: GrtWarning[]): VgMetadata[] {
  const newest = new Map<string, VgMetadata>();
  const seqnos = new Map<string, Set<number>>();
  for (const pv of found) {
    for (const vg of pv.metadata) {
      const seen = seqnos.get(vg.uuid) ?? new Set<number>();
      seen.add(vg.seqno);
      seqnos.set(vg.uuid, seen);
      const current = newest.get(vg.uuid);
      if (!current || vg.seqno > current.seqno) newest.set(vg.uuid, vg);
    }
  }
  for (const [uuid, seen] of seqnos) {
    if (seen.size > 1) warnings.push({ code: 'BAD_HEADER', message: `LVM2: VG ${newest.get(uuid)!.name} has metadata copies of seqno ${[...seen].sort((a, b) => a - b).join(', ')}; the newest (${newest.get(uuid)!.seqno}) is used` });
  }
  return [...newest.values()];
}

async function openLv(vg: VgMetadata, lv: LvMetadata, pvByUuid: Map<string, FoundPv>, warnings: GrtWarning[]): Promise<LogicalVolumeRecord> {
  const extentBytes = vg.extentSize * LVM_TEXT_SECTOR;
  const base = { id: `${vg.name}/${lv.name}`, vg: vg.name, name: lv.name, size: lv.extentCount * extentBytes, visible: lv.visible, segmentTypes: lv.segmentTypes, fs: 'unknown' as FsKind };
  if (lv.refused !== undefined || !lv.segments) return { ...base, unavailable: lv.refused ?? 'no segments' };
  const pvMeta = new Map(vg.pvs.map((pv) => [pv.key, pv]));
  const missing = [...new Set(lv.segments.flatMap((s) => s.stripes.map((st) => st.pvKey)))].filter((key) => !pvByUuid.has(pvMeta.get(key)!.uuid));
  if (missing.length > 0) {
    const list = missing.map((key) => `${key} (uuid ${pvMeta.get(key)!.uuid}${pvMeta.get(key)!.device ? `, was ${pvMeta.get(key)!.device}` : ''})`).join(', ');
    return { ...base, unavailable: `PV ${list} is missing: no disk given holds it` };
  }
  try {
    const placed: PlacedSegment[] = lv.segments.map((segment) => ({
      start: segment.startExtent * extentBytes,
      size: segment.extentCount * extentBytes,
      stripeSize: (segment.stripeSize || vg.extentSize) * LVM_TEXT_SECTOR,
      stripes: segment.stripes.map((stripe) => {
        const pv = pvMeta.get(stripe.pvKey)!;
        return { volumeId: pvByUuid.get(pv.uuid)!.volumeId, byteOffset: pv.peStart * LVM_TEXT_SECTOR + stripe.startExtent * extentBytes };
      }),
    }));
    const sourceOf = new Map([...pvByUuid.values()].map((pv) => [pv.volumeId, pv.source]));
    const segments: MappedSegment[] = placed.map((s) => ({ ...s, stripes: s.stripes.map((st) => ({ source: sourceOf.get(st.volumeId)!, byteOffset: st.byteOffset })) }));
    const source = new LogicalVolumeSource(segments, `LV ${base.id}`);
    return { ...base, source, segments: placed, ...(await detect(source, base.id, warnings)) };
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    return { ...base, unavailable: error.message };
  }
}

async function detect(source: ByteSource, id: string, warnings: GrtWarning[]): Promise<{ fs: FsKind; label?: string }> {
  try {
    const detected = await detectFileSystem(source);
    return detected.label === undefined ? { fs: detected.fs } : { fs: detected.fs, label: detected.label };
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    warnings.push({ code: error.code, message: `LV ${id}: file system not identified: ${error.message}` });
    return { fs: 'unknown' };
  }
}
