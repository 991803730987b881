/**
 * The user-level entry point: open a backup image (VMDK descriptor, monolithic VMDK, snapshot
 * chain, raw disk, or a whole VM by its .vmx), see its partitions and LVM2 logical volumes, and
 * mount one file system read-only.
 */
import { GrtError } from './errors.js';
import { formatBytes } from './util/format-bytes.js';
import type { FileSystem } from './fs/file-system.js';
import { canRead, readerFor } from './fs/registry.js';
import type { VirtualDisk } from './vmdk/disk.js';
import { openDisks, type OpenDisksOptions } from './vm/open-vm.js';
import { listDiskSetVolumes } from './volume/disk-set.js';
import type { FsKind, Volume, VolumeLayout } from './volume/types.js';

export interface OpenImageOptions extends OpenDisksOptions {
  /** The file system to mount where a volume holds several (ListVolumesOptions.fs; `--fs`). */
  fs?: FsKind;
  /** NTFS: read WOF-compressed files as stored (OpenNtfsOptions.rawWof; `--raw-wof`). */
  rawWof?: boolean;
}

export interface Image {
  /** The first disk (`disks[0]`). */
  disk: VirtualDisk;
  /** Every disk: a .vmx's in its order, or the one IMAGE, then each `addDisks` one. */
  disks: VirtualDisk[];
  /** The volumes of all disks, then their LVM2 logical volumes (listDiskSetVolumes). */
  layout: VolumeLayout;
  /**
   * Mount the file system of a volume: its id (Volume.id, as `grt-ls --info` prints it) or its
   * partition number. Without one, the disk must hold exactly one readable file system;
   * otherwise USAGE lists the volumes.
   */
  openFileSystem(volume?: VolumeSelector): Promise<FileSystem>;
  close(): Promise<void>;
}

/** A volume's id ("1", "0", "2:1", "vg0/root"), or a partition number of disk 1 (the same as its id). */
export type VolumeSelector = string | number;

/** `1 (ntfs, 100 MiB)`: how a volume is named in messages. */
export function describeVolume(volume: Volume): string {
  return `${volume.id} (${volume.fs}${volume.label ? ` "${volume.label}"` : ''}, ${formatBytes(volume.size)})`;
}

/** Pick the volume to mount under the rule above. */
export function chooseVolume(layout: VolumeLayout, selector: VolumeSelector | undefined): Volume {
  if (selector !== undefined) {
    const id = String(selector);
    const volume = layout.volumes.find((v) => v.id === id);
    if (!volume) {
      const known = layout.volumes.map(describeVolume).join(', ') || 'none';
      throw new GrtError('NOT_FOUND', `no partition ${id}; volumes: ${known}`);
    }
    if (volume.unavailable !== undefined) throw new GrtError('UNSUPPORTED', `logical volume ${volume.id} cannot be read: ${volume.unavailable}`);
    if (!canRead(volume.fs)) throw new GrtError('UNSUPPORTED', `partition ${describeVolume(volume)}: grt cannot read ${volume.fs} file systems yet`);
    return volume;
  }
  const readable = layout.volumes.filter((v) => v.unavailable === undefined && canRead(v.fs));
  if (readable.length === 1) return readable[0]!;
  const list = layout.volumes.map(describeVolume).join(', ');
  if (readable.length === 0) throw new GrtError('UNSUPPORTED', `no file system grt can read; volumes: ${list || 'none'}`);
  throw new GrtError('USAGE', `several volumes: ${list}; choose one with --partition ID`);
}

export async function openImage(path: string, options: OpenImageOptions = {}): Promise<Image> {
  return imageOfDisks(await openDisks(path, options), options);
}

/** An Image over disks already open (a file's, or a backup stream's as the catalog tap keeps it); closes them on failure. */
export async function imageOfDisks(disks: VirtualDisk[], options: OpenImageOptions = {}): Promise<Image> {
  let layout: VolumeLayout;
  try {
    layout = await listDiskSetVolumes(disks, options.fs !== undefined ? { fs: options.fs } : {});
  } catch (error) {
    for (const disk of disks) await disk.close().catch(() => undefined);
    throw error;
  }
  const mounted: FileSystem[] = [];
  return {
    disk: disks[0]!,
    disks,
    layout,
    async openFileSystem(selector) {
      const volume = chooseVolume(layout, selector);
      const fs = await (await readerFor(volume.fs))!.open(volume.source, { ...(options.rawWof ? { rawWof: true } : {}), ...(options.inflation ? { inflation: options.inflation } : {}) });
      mounted.push(fs);
      return fs;
    },
    async close() {
      for (const fs of mounted.splice(0)) await fs.close?.().catch(() => undefined);
      for (const disk of disks) await disk.close();
    },
  };
}
