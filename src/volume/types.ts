/** What the partition layer tells the layers above it. */
import type { ByteSource } from '../io/byte-source.js';
import type { GrtWarning } from '../errors.js';

/** Lower-case file-system names, as `grt-ls --info --json` prints them. */
export const FS_KINDS = [
  'ntfs', 'fat12', 'fat16', 'fat32', 'exfat', 'ext2', 'ext3', 'ext4', 'xfs', 'btrfs',
  'refs', 'bitlocker', 'luks', 'swap', 'lvm2', 'unknown',
] as const;
export type FsKind = (typeof FS_KINDS)[number];

export function isFsKind(name: string): name is FsKind {
  return (FS_KINDS as readonly string[]).includes(name);
}

/**
 * One volume of a disk set. Volumes form a tree by their ids: a partition of a disk, a whole
 * unpartitioned disk, or (with LVM2) a logical volume made of extents of several disks' volumes.
 */
export interface Volume {
  /**
   * What `--partition` accepts and `--info --json` prints: "N" for partition N of the first disk
   * ("0" when that disk has no partition table); "D:N" for partition N of disk D and "VG/LV" for
   * logical volumes, as multi-disk images add them.
   */
  id: string;
  /** Partition number as Linux and parted number it: MBR slots 1–4, logical from 5; GPT entry slot (1-based). 0 when the whole disk is one volume. */
  index: number;
  scheme: 'mbr' | 'gpt' | 'none';
  /** Byte offset on the disk. */
  start: number;
  /** Size in bytes. */
  size: number;
  /** MBR type byte as `0x07`, or the GPT type GUID in lower case. */
  type: string;
  typeName: string;
  /** GPT partition name. */
  name?: string;
  /** GPT unique partition GUID. */
  guid?: string;
  /** GPT attribute bits as a hex string. */
  attributes?: string;
  bootable?: boolean;
  fs: FsKind;
  label?: string;
  /** Other file systems whose signatures the volume also holds (see detect.ts); `fs` is the one used. */
  alternatives?: FsKind[];
  /** The volume's bytes: a bounds-checked slice of the disk, or an LV's mapping of its PVs' extents. */
  source: ByteSource;
  /** Which disk of the image (1 = the first) a partition or whole disk is on; absent for an LV. */
  disk?: number;
  /** An LV's segment types ("linear", "striped", …). */
  segmentTypes?: string[];
  /** Why this volume (an LV) cannot be read: a PV missing, a segment type grt does not read, damage. */
  unavailable?: string;
  /**
   * The node above this volume in the tree disk → partition (a PV) → volume group → LV: "disk:D"
   * for a partition or whole disk D, "vg:NAME" for an LV of volume group NAME.
   */
  parent?: string;
  /** For a partition or whole disk that is an LVM2 PV: the group it belongs to ("vg:NAME"). */
  vg?: string;
  /** A readable LV's segments with each stripe on a disk: where its bytes lie (lv-source.ts). */
  diskSegments?: DiskSegment[];
}

/** An LV segment in disk terms: LV bytes [start, start + size), chunks of stripeSize over the stripes. */
export interface DiskSegment {
  /** Byte offset in the LV. */
  start: number;
  size: number;
  /** Chunk size in bytes (ignored with one stripe). */
  stripeSize: number;
  /** Disk number (1 = the first) and byte offset on that disk of each stripe's first byte. */
  stripes: { disk: number; byteOffset: number }[];
}

/** An LVM2 volume group: the node between its PVs and its LVs in the volume tree. */
export interface VolumeGroupNode {
  /** "vg:NAME", as the volumes' `parent` and `vg` name it. */
  id: string;
  name: string;
  uuid: string;
  /** Ids of the volumes that are its PVs (those on the disks given). */
  pvs: string[];
  /** Ids of its LVs. */
  lvs: string[];
}

export interface VolumeLayout {
  scheme: 'mbr' | 'gpt' | 'none';
  /** Logical sector size the table was found with (512 or 4096). */
  sectorSize: number;
  volumes: Volume[];
  warnings: GrtWarning[];
  /** LVM2 volume groups found on the disks (listDiskSetVolumes). */
  groups?: VolumeGroupNode[];
}
