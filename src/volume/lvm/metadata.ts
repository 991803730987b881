/**
 * A volume group from its metadata text. Source: LVM2 lib/format_text/import_vsn1.c (_read_vg,
 * _read_pv, _read_lv, _read_segment), lib/metadata/segtype.h and lib/striped/striped.c
 * (_striped_text_import: stripe_count, stripe_size, stripes = [pv, first extent, ...]); lvm(8)
 * metadata examples in LVM2 doc/. Sizes in the text are in 512-byte sectors, positions in extents.
 *
 * Linear and striped segments are read (a linear segment is written as type "striped" with one
 * stripe). Every other segment type is listed with the reason it is refused; a damaged LV is
 * refused with its reason while the other LVs of the group stay readable.
 */
import { GrtError, withOffset } from '../../errors.js';
import { parseConfigText, type ConfigSection, type ConfigValue } from './config-text.js';

export const LVM_TEXT_SECTOR = 512;
/** LVM allows at most 128 stripes (lib/metadata/metadata-exported.h MAX_STRIPES). */
export const MAX_STRIPES = 128;
/** Segments one LV may have: LVM keeps them in a list with no limit; this keeps a hostile one bounded. */
export const MAX_SEGMENTS = 65536;

export interface PvMetadata {
  /** The key the LV segments name it by: "pv0". */
  key: string;
  /** Dashed uuid, as the PV label has it. */
  uuid: string;
  /** The device path the PV had when the metadata was written: a hint only. */
  device?: string;
  /** First physical extent, in sectors from the PV's start. */
  peStart: number;
  peCount: number;
}

export interface StripeArea {
  pvKey: string;
  /** First physical extent of this stripe on its PV. */
  startExtent: number;
}

export interface SegmentMetadata {
  startExtent: number;
  extentCount: number;
  /** Chunk size in sectors; 0 for one stripe. */
  stripeSize: number;
  stripes: StripeArea[];
}

export interface LvMetadata {
  name: string;
  uuid: string;
  /** Shown by `lvs` (status VISIBLE); hidden ones are parts of thin pools, mirrors, RAID. */
  visible: boolean;
  extentCount: number;
  /** The segments in LV order, when every one is linear or striped and sound. */
  segments?: SegmentMetadata[];
  /** Why the LV cannot be read, when it cannot. */
  refused?: string;
  /** The segment types the LV uses, as the metadata names them. */
  segmentTypes: string[];
}

export interface VgMetadata {
  name: string;
  uuid: string;
  seqno: number;
  /** Extent size in sectors. */
  extentSize: number;
  pvs: PvMetadata[];
  lvs: LvMetadata[];
}

const STRUCTURE = 'LVM2 metadata';

function bad(detail: string): GrtError {
  return new GrtError('BAD_HEADER', detail, { structure: STRUCTURE });
}

function integer(section: ConfigSection, key: string, where: string, min = 0): number {
  const value = section.values.get(key);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw bad(`${where}: ${key} is not an integer of at least ${min}`);
  return value;
}

function text(section: ConfigSection, key: string, where: string): string {
  const value = section.values.get(key);
  if (typeof value !== 'string') throw bad(`${where}: ${key} is not a string`);
  return value;
}

function stringList(value: ConfigValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * The VG of a metadata text: its one top-level section. `textOffset` is where the text starts on
 * the PV: damage found in it is reported there (a key's own place in the text is not kept).
 */
export function parseVgMetadata(metadataText: string, textOffset?: number): VgMetadata {
  try {
    return readVg(metadataText);
  } catch (error) {
    throw textOffset === undefined || !(error instanceof GrtError) ? error : withOffset(error, textOffset, 'volume');
  }
}

function readVg(metadataText: string): VgMetadata {
  const top = parseConfigText(metadataText);
  const names = [...top.sections.keys()];
  if (names.length !== 1) throw bad(`expected one volume group section, found ${names.length}`);
  const name = names[0]!;
  const vg = top.sections.get(name)!;
  const where = `VG ${JSON.stringify(name)}`;
  const extentSize = integer(vg, 'extent_size', where, 1);
  const pvs = [...(vg.sections.get('physical_volumes')?.sections ?? new Map<string, ConfigSection>())].map(([key, pv]) => readPv(key, pv, extentSize));
  const pvByKey = new Map(pvs.map((pv) => [pv.key, pv]));
  const lvSections = vg.sections.get('logical_volumes')?.sections ?? new Map<string, ConfigSection>();
  const lvs = [...lvSections].map(([lvName, lv]) => readLv(lvName, lv, pvByKey));
  return { name, uuid: text(vg, 'id', where), seqno: integer(vg, 'seqno', where), extentSize, pvs, lvs };
}

function readPv(key: string, pv: ConfigSection, extentSize: number): PvMetadata {
  const where = `PV ${JSON.stringify(key)}`;
  const device = pv.values.get('device');
  const peStart = integer(pv, 'pe_start', where);
  const peCount = integer(pv, 'pe_count', where);
  if (!Number.isSafeInteger((peStart + peCount * extentSize) * LVM_TEXT_SECTOR)) throw bad(`${where}: extents reach past 2^53 bytes`);
  return { key, uuid: text(pv, 'id', where), ...(typeof device === 'string' ? { device } : {}), peStart, peCount };
}

function readLv(name: string, lv: ConfigSection, pvs: Map<string, PvMetadata>): LvMetadata {
  const where = `LV ${JSON.stringify(name)}`;
  const uuid = typeof lv.values.get('id') === 'string' ? (lv.values.get('id') as string) : '';
  const visible = stringList(lv.values.get('status')).includes('VISIBLE');
  const segmentSections = [...lv.sections].filter(([key]) => /^segment[0-9]+$/.test(key)).map(([, s]) => s);
  const segmentTypes = [...new Set(segmentSections.map((s) => (typeof s.values.get('type') === 'string' ? (s.values.get('type') as string) : '?')))];
  const base = { name, uuid, visible, segmentTypes };
  const other = segmentTypes.filter((t) => t !== 'striped');
  if (other.length > 0) return { ...base, extentCount: 0, refused: `segment type ${other.join(', ')} is not supported (only linear and striped LVs are read)` };
  try {
    const segments = readSegments(segmentSections, pvs, where, lv);
    const last = segments[segments.length - 1];
    return { ...base, extentCount: last ? last.startExtent + last.extentCount : 0, segments };
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    return { ...base, extentCount: 0, refused: error.message };
  }
}

function readSegments(sections: ConfigSection[], pvs: Map<string, PvMetadata>, where: string, lv: ConfigSection): SegmentMetadata[] {
  if (sections.length > MAX_SEGMENTS) throw new GrtError('LIMIT_EXCEEDED', `${where}: more than ${MAX_SEGMENTS} segments`, { structure: STRUCTURE });
  const declared = lv.values.get('segment_count');
  if (declared !== undefined && declared !== sections.length) throw bad(`${where}: segment_count is ${String(declared)} but ${sections.length} segments are given`);
  const segments = sections.map((s) => readSegment(s, pvs, where)).sort((a, b) => a.startExtent - b.startExtent);
  let next = 0;
  for (const segment of segments) {
    if (segment.startExtent !== next) throw bad(`${where}: segments leave a gap or overlap at extent ${next}`);
    next = segment.startExtent + segment.extentCount;
  }
  return segments;
}

function readSegment(segment: ConfigSection, pvs: Map<string, PvMetadata>, where: string): SegmentMetadata {
  const startExtent = integer(segment, 'start_extent', where);
  const extentCount = integer(segment, 'extent_count', where, 1);
  const stripeCount = integer(segment, 'stripe_count', where, 1);
  if (stripeCount > MAX_STRIPES) throw bad(`${where}: stripe_count ${stripeCount} is past LVM's ${MAX_STRIPES}`);
  if (extentCount % stripeCount !== 0) throw bad(`${where}: extent_count ${extentCount} is not a multiple of stripe_count ${stripeCount}`);
  const stripeSize = stripeCount === 1 ? 0 : integer(segment, 'stripe_size', where, 1);
  if (stripeCount > 1 && (stripeSize & (stripeSize - 1)) !== 0) throw bad(`${where}: stripe_size ${stripeSize} is not a power of 2`);
  const list = segment.values.get('stripes');
  if (!Array.isArray(list) || list.length !== 2 * stripeCount) throw bad(`${where}: stripes does not list ${stripeCount} (PV, extent) pairs`);
  const perStripe = extentCount / stripeCount;
  const stripes: StripeArea[] = [];
  for (let i = 0; i < stripeCount; i++) {
    const pvKey = list[2 * i];
    const start = list[2 * i + 1];
    if (typeof pvKey !== 'string' || typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) throw bad(`${where}: stripe ${i} is not a (PV name, extent) pair`);
    const pv = pvs.get(pvKey);
    if (!pv) throw bad(`${where}: stripe ${i} names PV ${JSON.stringify(pvKey)}, which the VG does not list`);
    if (start + perStripe > pv.peCount) throw bad(`${where}: stripe ${i} runs past the ${pv.peCount} extents of ${pvKey}`);
    stripes.push({ pvKey, startExtent: start });
  }
  return { startExtent, extentCount, stripeSize, stripes };
}
