/** Writes LVM2 PV labels, metadata areas and metadata text as LVM2 lays them out (layout.h), for synthetic tests. */
import { lvmCrc } from '../../src/volume/lvm/label.js';

export const MIB = 1024 * 1024;

export interface PvSpec {
  /** 32 uuid characters, no dashes. */
  rawUuid: string;
  size: number;
  /** Metadata area: 4 KiB .. 1 MiB by default, as pvcreate places it. */
  mdaOffset?: number;
  mdaSize?: number;
  /** Byte offset of the text in the area; past the end wraps. */
  textOffset?: number;
  labelSector?: number;
}

/** A PV's bytes with its label and one metadata area holding `text`. */
export function writePv(spec: PvSpec, text: string): Uint8Array {
  const disk = new Uint8Array(spec.size);
  const view = new DataView(disk.buffer);
  const sector = spec.labelSector ?? 1;
  const at = sector * 512;
  const mdaOffset = spec.mdaOffset ?? 4096;
  const mdaSize = spec.mdaSize ?? MIB - 4096;
  disk.set(new TextEncoder().encode('LABELONE'), at);
  view.setBigUint64(at + 8, BigInt(sector), true);
  view.setUint32(at + 20, 32, true);
  disk.set(new TextEncoder().encode('LVM2 001'), at + 24);
  disk.set(new TextEncoder().encode(spec.rawUuid), at + 32);
  view.setBigUint64(at + 64, BigInt(spec.size), true);
  view.setBigUint64(at + 72, BigInt(MIB), true); // data area at 1 MiB, size 0 = to the end
  // zero entry at +88, metadata area list at +104
  view.setBigUint64(at + 104, BigInt(mdaOffset), true);
  view.setBigUint64(at + 112, BigInt(mdaSize), true);
  view.setUint32(at + 16, lvmCrc(disk.subarray(at + 20, at + 512)), true);
  writeMda(disk, mdaOffset, mdaSize, new TextEncoder().encode(text + '\0'), spec.textOffset ?? 512);
  return disk;
}

/** The mda_header and the text at `textOffset` in the circular buffer. */
export function writeMda(disk: Uint8Array, mdaOffset: number, mdaSize: number, text: Uint8Array, textOffset: number): void {
  const view = new DataView(disk.buffer);
  disk.set(new TextEncoder().encode(' LVM2 x[5A%r0N*>'), mdaOffset + 4);
  view.setUint32(mdaOffset + 20, 1, true);
  view.setBigUint64(mdaOffset + 24, BigInt(mdaOffset), true);
  view.setBigUint64(mdaOffset + 32, BigInt(mdaSize), true);
  view.setBigUint64(mdaOffset + 40, BigInt(textOffset), true);
  view.setBigUint64(mdaOffset + 48, BigInt(text.length), true);
  view.setUint32(mdaOffset + 56, lvmCrc(text), true);
  const first = Math.min(text.length, mdaSize - textOffset);
  disk.set(text.subarray(0, first), mdaOffset + textOffset);
  disk.set(text.subarray(first), mdaOffset + 512);
  view.setUint32(mdaOffset, lvmCrc(disk.subarray(mdaOffset + 4, mdaOffset + 512)), true);
}

export interface LvSpec {
  name: string;
  segments: { startExtent: number; extentCount: number; stripeSize?: number; stripes: [string, number][]; type?: string }[];
}

/** Metadata text in LVM2's own format (export.c), for one VG. */
export function vgText(vg: { name: string; seqno: number; extentSize: number; pvs: { key: string; rawUuid: string; peStart: number; peCount: number }[]; lvs: LvSpec[] }): string {
  const dashed = (u: string) => [u.slice(0, 6), u.slice(6, 10), u.slice(10, 14), u.slice(14, 18), u.slice(18, 22), u.slice(22, 26), u.slice(26)].join('-');
  const lines = [`${vg.name} {`, `id = "VGUUID-aaaa-bbbb-cccc-dddd-eeee-ffffff"`, `seqno = ${vg.seqno}`, `format = "lvm2" # informational`, `extent_size = ${vg.extentSize}`, 'physical_volumes {'];
  for (const pv of vg.pvs) lines.push(`${pv.key} {`, `id = "${dashed(pv.rawUuid)}"`, `device = "/dev/x"`, `pe_start = ${pv.peStart}`, `pe_count = ${pv.peCount}`, '}');
  lines.push('}', 'logical_volumes {');
  for (const lv of vg.lvs) {
    lines.push(`${lv.name} {`, `id = "LV"`, `status = ["READ", "WRITE", "VISIBLE"]`, `segment_count = ${lv.segments.length}`);
    lv.segments.forEach((s, i) => {
      lines.push(`segment${i + 1} {`, `start_extent = ${s.startExtent}`, `extent_count = ${s.extentCount}`, `type = "${s.type ?? 'striped'}"`, `stripe_count = ${s.stripes.length}`);
      if (s.stripes.length > 1) lines.push(`stripe_size = ${s.stripeSize}`);
      lines.push(`stripes = [${s.stripes.map(([pv, e]) => `"${pv}", ${e}`).join(', ')}]`, '}');
    });
    lines.push('}');
  }
  lines.push('}', '}', 'contents = "Text Format Volume Group"', 'version = 1');
  return lines.join('\n');
}
