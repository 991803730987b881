/**
 * A VMware virtual machine configuration (.vmx): which virtual disks the VM has, in a fixed order.
 *
 * Syntax (as VMware products write it, and as libvirt's src/vmx/vmx.c and virt-v2v's parse_vmx
 * read it): one `key = "value"` per line, `#` comments, keys case-insensitive. Inside values a
 * byte that cannot be written plainly is `|` and two hex digits (`|22` is `"`, `|7C` is `|`).
 *
 * A disk is a device `scsiX:Y`, `sataX:Y`, `nvmeX:Y` or `ideX:Y` with a `fileName`, whose
 * `deviceType` is absent (VMware writes none for ordinary disks) or names a disk ("disk",
 * "plainDisk", "rawDisk", "scsi-hardDisk", "ata-hardDisk"); CD-ROMs ("cdrom-image", "cdrom-raw",
 * "atapi-cdrom") and other devices are skipped, and so is a device or its controller with
 * `present = "FALSE"`. A device without a `present` key is taken as present: backups of a VM keep
 * the file and a disk named by it is better listed than silently left out.
 *
 * Order: SCSI, then SATA, then NVMe, then IDE; within a kind by controller, then unit number.
 * virt-v2v (input_vmx.ml find_disks) lists SCSI before IDE and sorts by (controller, target); SATA
 * and NVMe, which it did not read at first, are put after SCSI as the later controller kinds. Disk 1
 * is the first of this list; volume ids "D:N" count from it.
 */
import { GrtError } from '../errors.js';
import { lineByteOffset } from './line-offset.js';
import { resolveName, type SourceOpener } from '../io/source-opener.js';

/** Largest .vmx read: real ones are a few KiB; 1 MiB is far past any VMware writes. */
export const MAX_VMX_BYTES = 1024 * 1024;
/** Most lines: one per setting; a VM with every device set has a few hundred. */
export const MAX_VMX_LINES = 20000;

export type ControllerKind = 'scsi' | 'sata' | 'nvme' | 'ide';
/** The order disks are listed in (see above). */
export const CONTROLLER_ORDER: readonly ControllerKind[] = ['scsi', 'sata', 'nvme', 'ide'];
const DISK_DEVICE_TYPES = new Set(['disk', 'plaindisk', 'rawdisk', 'scsi-harddisk', 'ata-harddisk']);

export interface VmxDisk {
  /** The device key as written lower-cased: "scsi0:1". */
  slot: string;
  controller: ControllerKind;
  bus: number;
  unit: number;
  /** The disk's file name as the .vmx gives it (after `|XX` decoding). */
  fileName: string;
}

export interface VmxSkipped {
  slot: string;
  reason: string;
}

export interface ParsedVmx {
  /** Every setting, keys lower-cased; a key given twice keeps its last value. */
  settings: Map<string, string>;
  disks: VmxDisk[];
  /** Devices with a file that are not disks, or not present. */
  skipped: VmxSkipped[];
}

const STRUCTURE = '.vmx';

/** A value with `|XX` escapes decoded; a `|` not followed by two hex digits is kept as it is. */
export function decodeVmxValue(raw: string): string {
  const bytes: number[] = [];
  const encoded = new TextEncoder().encode(raw);
  for (let i = 0; i < encoded.length; i++) {
    const hex = encoded[i] === 0x7c ? String.fromCharCode(encoded[i + 1] ?? 0, encoded[i + 2] ?? 0) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(encoded[i]!);
    }
  }
  return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
}

const VMX_LINE_BREAK = /\r?\n|\r/;

/** Settings and disks of a .vmx text. */
export function parseVmx(text: string, path?: string): ParsedVmx {
  const detail = path === undefined ? {} : { path };
  if (text.length > MAX_VMX_BYTES) throw new GrtError('LIMIT_EXCEEDED', `file of ${text.length} characters is past the limit`, { structure: STRUCTURE, expected: MAX_VMX_BYTES, actual: text.length, ...detail });
  const lines = text.split(VMX_LINE_BREAK);
  if (lines.length > MAX_VMX_LINES) throw new GrtError('LIMIT_EXCEEDED', `${lines.length} lines are past the limit`, { structure: STRUCTURE, expected: MAX_VMX_LINES, actual: lines.length, ...detail });
  const settings = new Map<string, string>();
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const match = /^([^=\s]+)\s*=\s*(?:"([^"]*)"|([^"#\s]*))\s*(?:#.*)?$/.exec(trimmed);
    if (!match) {
      throw new GrtError('BAD_DESCRIPTOR', `line ${index + 1} is not key = "value"`, { structure: STRUCTURE, offset: lineByteOffset(text, index, VMX_LINE_BREAK), space: 'file', ...detail });
    }
    settings.set(match[1]!.toLowerCase(), decodeVmxValue(match[2] ?? match[3] ?? ''));
  });
  const { disks, skipped } = findDisks(settings);
  return { settings, disks, skipped };
}

const isFalse = (value: string | undefined) => value !== undefined && /^(false|no|0)$/i.test(value);

function findDisks(settings: Map<string, string>): { disks: VmxDisk[]; skipped: VmxSkipped[] } {
  const disks: VmxDisk[] = [];
  const skipped: VmxSkipped[] = [];
  for (const [key, fileName] of settings) {
    const match = /^(scsi|sata|nvme|ide)([0-9]{1,3}):([0-9]{1,3})\.filename$/.exec(key);
    if (!match) continue;
    const controller = match[1] as ControllerKind;
    const slot = `${controller}${match[2]}:${match[3]}`;
    const deviceType = settings.get(`${slot}.devicetype`);
    if (isFalse(settings.get(`${slot}.present`)) || isFalse(settings.get(`${controller}${match[2]}.present`))) {
      skipped.push({ slot, reason: 'not present' });
    } else if (deviceType !== undefined && !DISK_DEVICE_TYPES.has(deviceType.toLowerCase())) {
      skipped.push({ slot, reason: `deviceType ${JSON.stringify(deviceType)} is not a disk` });
    } else if (fileName === '') {
      skipped.push({ slot, reason: 'no file name' });
    } else {
      disks.push({ slot, controller, bus: Number(match[2]), unit: Number(match[3]), fileName });
    }
  }
  disks.sort((a, b) => CONTROLLER_ORDER.indexOf(a.controller) - CONTROLLER_ORDER.indexOf(b.controller) || a.bus - b.bus || a.unit - b.unit);
  return { disks, skipped };
}

export interface VmxDiskLocation extends VmxDisk {
  /** Where the opener finds the disk, under the SourceOpener name rule. */
  location: string;
}

/**
 * The .vmx at `location`, read through `opener`, with each disk's location resolved by the shared
 * name rule (`resolveName`, rule '.vmx disk name'): relative names inside the VM's folder, absolute
 * or escaping ones by their base name there unless `allowUnsafe`.
 */
export async function readVmx(opener: SourceOpener, location: string, allowUnsafe = false): Promise<Omit<ParsedVmx, 'disks'> & { disks: VmxDiskLocation[] }> {
  const file = await opener.open(location);
  let text: string;
  try {
    if (file.size > MAX_VMX_BYTES) throw new GrtError('LIMIT_EXCEEDED', `file of ${file.size} bytes is past the limit`, { structure: STRUCTURE, expected: MAX_VMX_BYTES, actual: file.size, path: location });
    text = new TextDecoder('utf-8').decode(await file.read(0, file.size));
  } finally {
    await file.close();
  }
  const parsed = parseVmx(text, location);
  const disks: VmxDiskLocation[] = [];
  for (const disk of parsed.disks) {
    disks.push({ ...disk, location: await resolveName(opener, location, disk.fileName, { what: '.vmx disk name', allowUnsafe }) });
  }
  return { ...parsed, disks };
}
