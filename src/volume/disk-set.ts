/**
 * The volumes of a VM's disks as one list: each disk's partitions (listVolumes) numbered by the
 * disk they are on, then the LVM2 logical volumes assembled from all of them.
 *
 * Ids (Volume.id): "N" for partition N of disk 1 ("0" when disk 1 has no table), "D:N" for
 * partition N of disk D ≥ 2 ("D:0" a whole unpartitioned disk), "VG/LV" for a logical volume. The
 * first disk keeps the plain ids a single-disk image has always had, so `--partition 1` means the
 * same with or without the rest of the VM.
 */
import { GrtError, type GrtWarning } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import type { AssembledLvm, LogicalVolumeRecord, PlacedSegment } from './lvm/index.js';
import { mayHoldPvLabel } from './lvm/label.js';
import { listVolumes, type ListVolumesOptions } from './list-volumes.js';
import type { DiskSegment, Volume, VolumeGroupNode, VolumeLayout } from './types.js';

/** An LV that cannot be read: its bytes are a refusal saying why, so nothing mounts it by mistake. */
class UnavailableSource implements ByteSource {
  readonly size = 0;
  constructor(private readonly reason: string) {}
  read(): Promise<Uint8Array> {
    return Promise.reject(new GrtError('UNSUPPORTED', this.reason));
  }
}

/** "N" on disk 1, "D:N" on disk D. */
function volumeIdOn(diskNumber: number, index: number): string {
  return diskNumber === 1 ? String(index) : `${diskNumber}:${index}`;
}

/**
 * The layout of several disks (disk 1 first): scheme and sector size are disk 1's; volumes and
 * warnings are every disk's, then the LVs'. A disk's warnings are prefixed by its number from
 * disk 2 on. The `fs` preference applies to the whole set: USAGE only when no volume of any disk
 * (nor any LV) holds it.
 */
export async function listDiskSetVolumes(disks: readonly ByteSource[], options: ListVolumesOptions = {}): Promise<VolumeLayout> {
  const prefer = options.fs;
  const layouts: VolumeLayout[] = [];
  for (const disk of disks) layouts.push(await listPreferring(disk, options));
  const volumes: Volume[] = [];
  const warnings: GrtWarning[] = [];
  layouts.forEach((layout, i) => {
    const diskNumber = i + 1;
    for (const volume of layout.volumes) volumes.push({ ...volume, id: volumeIdOn(diskNumber, volume.index), disk: diskNumber, parent: diskNodeId(diskNumber) });
    const from = diskNumber === 1 ? '' : `disk ${diskNumber}: `;
    for (const w of layout.warnings) warnings.push({ ...w, message: from + w.message });
  });
  const lvm = await assembleLvm(volumes);
  warnings.push(...lvm.warnings);
  const byId = new Map(volumes.map((v) => [v.id, v]));
  for (const lv of lvm.volumes) volumes.push(logicalVolume(lv, byId));
  const groups = lvm.groups.map((g): VolumeGroupNode => {
    const id = groupNodeId(g.name);
    const pvs = g.pvs.flatMap((pv) => (pv.volumeId === undefined ? [] : [pv.volumeId]));
    for (const pv of pvs) byId.get(pv)!.vg = id;
    return { id, name: g.name, uuid: g.uuid, pvs, lvs: lvm.volumes.filter((lv) => lv.vg === g.name).map((lv) => lv.id) };
  });
  const first = layouts[0] ?? { scheme: 'none' as const, sectorSize: 512 };
  const layout: VolumeLayout = { scheme: first.scheme, sectorSize: first.sectorSize, volumes, warnings, groups };
  if (prefer !== undefined && !volumes.some((v) => v.fs === prefer)) {
    const found = volumes.map((v) => v.fs).join(', ') || 'none';
    throw new GrtError('USAGE', `--fs ${prefer}: no volume holds a ${prefer} file system (found: ${found})`);
  }
  return layout;
}

/**
 * One disk's layout with the `fs` preference applied to its detection; a disk holding no such file
 * system is listed without it (another disk or an LV may hold it; the set is checked after).
 */
async function listPreferring(disk: ByteSource, options: ListVolumesOptions): Promise<VolumeLayout> {
  try {
    return await listVolumes(disk, options);
  } catch (error) {
    if (!(error instanceof GrtError) || error.code !== 'USAGE' || options.fs === undefined) throw error;
    const { fs: _prefer, ...rest } = options;
    const layout = await listVolumes(disk, rest);
    // Only the preference was refused: any other USAGE (a bad sectorSize) is thrown again above.
    if (layout.volumes.some((v) => v.fs === options.fs)) throw error;
    return layout;
  }
}

/** The tree node of disk D (Volume.parent). */
function diskNodeId(diskNumber: number): string {
  return `disk:${diskNumber}`;
}

/** The tree node of a volume group (Volume.parent of its LVs, Volume.vg of its PVs). */
function groupNodeId(name: string): string {
  return `vg:${name}`;
}

/** An LV's segments with each stripe moved from its PV volume to that volume's disk. */
function onDisks(segments: readonly PlacedSegment[], byId: ReadonlyMap<string, Volume>): DiskSegment[] {
  return segments.map((segment) => ({
    ...segment,
    stripes: segment.stripes.map((stripe) => {
      const pv = byId.get(stripe.volumeId)!;
      return { disk: pv.disk ?? 1, byteOffset: pv.start + stripe.byteOffset };
    }),
  }));
}

/** An LV as a volume: no disk, no offset; its segments say where its bytes are. */
function logicalVolume(lv: LogicalVolumeRecord, byId: ReadonlyMap<string, Volume>): Volume {
  const volume: Volume = {
    id: lv.id,
    index: 0,
    scheme: 'none',
    start: 0,
    size: lv.size,
    type: 'lvm2',
    typeName: `LVM2 logical volume${lv.visible ? '' : ' (hidden)'}`,
    fs: lv.fs,
    segmentTypes: lv.segmentTypes,
    parent: groupNodeId(lv.vg),
    source: lv.source ?? new UnavailableSource(`logical volume ${lv.id} cannot be read: ${lv.unavailable ?? 'no data'}`),
  };
  if (lv.label !== undefined) volume.label = lv.label;
  if (lv.source === undefined) volume.unavailable = lv.unavailable ?? 'no data';
  else if (lv.segments !== undefined) volume.diskSegments = onDisks(lv.segments, byId);
  return volume;
}

/**
 * Whether a volume is a partition (or the whole) of disk 1: a catalog numbers those by partition
 * index and binds them as catalogs of one disk always have (catalog/binding.ts).
 */
export function isOnFirstDisk(volume: Volume): boolean {
  return volume.segmentTypes === undefined && (volume.disk ?? 1) === 1;
}

/**
 * The VGs and LVs over `volumes`. Every volume is looked at, not only those detected as lvm2: a
 * damaged label is then a warning. The assembler (metadata parser, segment mapping) is loaded only
 * when some volume carries a label signature: most images hold no LVM, and every command starts
 * faster without it.
 */
async function assembleLvm(volumes: readonly Volume[]): Promise<AssembledLvm> {
  let labelled = false;
  for (const volume of volumes) if ((labelled = await mayHoldPvLabel(volume.source))) break;
  if (!labelled) return { groups: [], volumes: [], warnings: [] };
  const { assembleLogicalVolumes } = await import('./lvm/assemble.js');
  return assembleLogicalVolumes(volumes.map((v) => ({ id: v.id, source: v.source })));
}
