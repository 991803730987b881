/**
 * `grt-ls IMAGE --info`: the image's disks (format, capacity, extents, snapshot chain, how an .ova
 * stores them), its partitions and logical volumes, as text or one JSON object.
 */
import type { GrtWarning } from '../errors.js';
import type { Image } from '../image.js';
import type { DiskInfo } from '../vmdk/disk.js';
import type { Volume } from '../volume/types.js';
import { imageWarnings } from './open-image.js';
import { formatBytes } from './output.js';
import type { MountedFacts } from './volume-facts.js';

/** The layout's warnings, then each mounted volume's, named by partition. */
function infoWarnings(image: Image, facts: Map<string, MountedFacts>): GrtWarning[] {
  const out = [...image.layout.warnings];
  for (const [index, f] of facts) for (const w of f.warnings) out.push({ ...w, message: `volume ${index}: ${w.message}` });
  return out;
}

/** How an .ova stores the disk (DiskInfo.compression, .chunks), or '' for a disk read as it is. */
function storedText(info: DiskInfo): string {
  const parts = [info.compression === 'gzip' ? 'gzip-compressed (ovf:compression="gzip"), read decompressed in place' : '', info.chunks !== undefined ? `in ${info.chunks} chunks (ovf:chunkSize)` : ''];
  return parts.filter(Boolean).join(', ');
}

export function infoText(image: Image, facts: Map<string, MountedFacts>): string {
  const info = image.disk.info;
  const lines = [
    `image:     ${info.path}`,
    `format:    ${info.format}${info.createType ? ` (${info.createType})` : ''}`,
    `capacity:  ${info.capacity} bytes (${formatBytes(info.capacity)})`,
  ];
  const stored = storedText(info);
  if (stored) lines.push(`stored:    ${stored}`);
  if (info.cid !== undefined) lines.push(`CID:       ${info.cid}${info.parentCid !== undefined ? `  parentCID: ${info.parentCid}` : ''}`);
  if (info.extents.length > 0) {
    lines.push('extents:');
    for (const e of info.extents) {
      lines.push(`  ${e.access.padEnd(8)} ${String(e.sectorCount).padStart(12)} sectors  ${e.type.padEnd(10)} ${e.format}${e.file ? `  ${e.file}` : ''}${e.sectorOffset ? ` +${e.sectorOffset}` : ''}`);
    }
  }
  if (info.chain.length > 1) {
    lines.push('snapshot chain (this disk first):');
    info.chain.forEach((link, i) => lines.push(`  ${i}  CID ${link.cid ?? '-'}  parentCID ${link.parentCid ?? '-'}  ${link.createType ?? ''}  ${link.path}`));
  }
  for (const w of info.warnings) lines.push(`warning: ${w.message}`);
  const disks = image.disks ?? [image.disk];
  if (disks.length > 1) {
    lines.push('disks:');
    disks.forEach((d, i) => {
      const stored = storedText(d.info);
      lines.push(`  ${String(i + 1).padStart(3)}  ${d.info.format}${d.info.createType ? ` (${d.info.createType})` : ''}  ${d.info.capacity} bytes (${formatBytes(d.info.capacity)})  ${d.info.path}${stored ? `  stored ${stored}` : ''}`);
    });
  }
  const layout = image.layout;
  lines.push('', `partitions (${layout.scheme}, ${layout.sectorSize}-byte sectors):`);
  lines.push(`  ${'#'.padStart(3)}  ${'start'.padStart(12)}  ${'end'.padStart(12)}  ${'length'.padStart(12)}  ${'size'.padStart(9)}  ${'fs'.padEnd(8)}  type`);
  const sector = layout.sectorSize;
  const { onDisks, logical } = splitVolumes(layout.volumes);
  for (const v of onDisks) {
    const start = v.start / sector;
    const length = v.size / sector;
    const label = v.label ?? facts.get(v.id)?.label;
    const also = v.alternatives ? `also ${v.alternatives.join(', ')}` : '';
    const pv = v.vg !== undefined ? `PV of ${v.vg.slice('vg:'.length)}` : '';
    const extra = [label ? `label "${label}"` : '', also, v.name ? `name "${v.name}"` : '', v.bootable ? 'bootable' : '', pv].filter(Boolean).join(', ');
    lines.push(
      `  ${v.id.padStart(3)}  ${String(start).padStart(12)}  ${String(start + length - 1).padStart(12)}  ${String(length).padStart(12)}  ${formatBytes(v.size).padStart(9)}  ${v.fs.padEnd(8)}  ${v.typeName} (${v.type})${extra ? `  ${extra}` : ''}`,
    );
  }
  if (logical.length > 0) {
    lines.push('', 'logical volumes (LVM2):');
    for (const g of layout.groups ?? []) lines.push(`  VG ${g.name}  uuid ${g.uuid}  PVs ${g.pvs.join(', ') || 'none given'}`);
    for (const v of logical) {
      const label = v.label ?? facts.get(v.id)?.label;
      const what = v.unavailable !== undefined ? `unavailable: ${v.unavailable}` : `${v.fs.padEnd(8)}${label ? `  label "${label}"` : ''}`;
      lines.push(`  ${v.id}  ${formatBytes(v.size).padStart(9)}  ${(v.segmentTypes ?? []).join('+') || '-'}  ${what}`);
    }
  }
  for (const w of infoWarnings(image, facts)) lines.push(`warning: ${w.message}`);
  return lines.join('\n') + '\n';
}

/** Partitions and whole disks (a `disk` number) apart from LVM2 logical volumes (none). */
function splitVolumes(volumes: readonly Volume[]): { onDisks: Volume[]; logical: Volume[] } {
  return { onDisks: volumes.filter((v) => v.segmentTypes === undefined), logical: volumes.filter((v) => v.segmentTypes !== undefined) };
}

export function infoJson(image: Image, facts: Map<string, MountedFacts>): Record<string, unknown> {
  const info = image.disk.info;
  return {
    image: {
      path: info.path,
      format: info.format,
      createType: info.createType,
      capacity: info.capacity,
      cid: info.cid,
      parentCid: info.parentCid,
      extents: info.extents,
      chain: info.chain,
      warnings: info.warnings,
      compression: info.compression,
      chunks: info.chunks,
    },
    disks: (image.disks ?? [image.disk]).map((d) => ({ path: d.info.path, format: d.info.format, createType: d.info.createType, capacity: d.info.capacity, compression: d.info.compression, chunks: d.info.chunks })),
    partitions: splitVolumes(image.layout.volumes).onDisks.map((v) => ({
      id: v.id,
      disk: v.disk,
      index: v.index,
      scheme: v.scheme,
      start: v.start,
      size: v.size,
      type: v.type,
      typeName: v.typeName,
      name: v.name,
      fs: v.fs,
      alternatives: v.alternatives,
      label: v.label ?? facts.get(v.id)?.label,
      bootable: v.bootable,
      parent: v.parent,
      vg: v.vg,
    })),
    logicalVolumes: splitVolumes(image.layout.volumes).logical.map((v) => ({
      id: v.id,
      parent: v.parent,
      size: v.size,
      fs: v.fs,
      label: v.label ?? facts.get(v.id)?.label,
      segmentTypes: v.segmentTypes,
      hidden: v.typeName.endsWith('(hidden)') || undefined,
      unavailable: v.unavailable,
    })),
    // The tree's middle nodes: each VG with the volumes that are its PVs and its LVs (by id).
    volumeGroups: image.layout.groups ?? [],
    // Every warning of the image: its disks', its partition table's and its mounted volumes'.
    warnings: [...imageWarnings(image), ...infoWarnings(image, facts)],
  };
}
