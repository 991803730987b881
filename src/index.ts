/**
 * grt's public API: open a backup image, see its volumes, mount a file system read-only, build and
 * open catalogs, restore files. Each layer is also reachable on its own: `grt/io`, `grt/vmdk`,
 * `grt/volume`, `grt/ntfs`, `grt/catalog`, `grt/restore`.
 */
export { GrtError, isGrtError, type GrtErrorCode, type GrtWarning, type GrtErrorDetails, type OffsetSpace } from './errors.js';
export type { ByteSource } from './io/byte-source.js';
export { FileSource, type InputFile } from './io/file-source.js';
export { LocalFileOpener, localFileOpener } from './io/local-opener.js';
export type { FollowRule, OpenedSource, ParsedName, Placement, SourceOpener } from './io/source-opener.js';
export { openImage, chooseVolume, describeVolume, type Image, type OpenImageOptions, type VolumeSelector } from './image.js';
export { openDisk, type VirtualDisk, type DiskInfo, type OpenDiskOptions } from './vmdk/disk.js';
export { listVolumes } from './volume/list-volumes.js';
export type { Volume, VolumeLayout, FsKind } from './volume/types.js';
export { openNtfs, type NtfsVolume, type NtfsInfo, type OpenNtfsOptions } from './fs/ntfs/volume.js';
export type {
  FileEntry, FileSystem, FileSystemInfo, StreamLayout, EntryType, EntryTimes, EntryDetails, FileId, ListOptions, StreamInfo, NameRule, OtherKind,
  CatalogScan, ScannedRecord, ScannedNames,
} from './fs/file-system.js';
export { canRead, readerFor, type FileSystemReader, type OpenFileSystemOptions } from './fs/registry.js';
export { entryToJSON, type EntryJsonOptions } from './fs/entry-json.js';
export { nameKeyOf, inNameOrder, compareCodePoints } from './fs/name-order.js';
export {
  buildCatalog, writeCatalog, openCatalog, type Catalog, type CatalogBinding, type CatalogPartition, type CatalogVolume, type CatalogInput,
  type BuildOptions, type CatalogOpenOptions, type CatalogListOptions,
  CatalogTap, type CatalogTapOptions, type ReadBack, type TapFinishOptions, type TapSummary,
} from './catalog/index.js';
export {
  restore, type RestoreOptions, type RestoreEvent, type RestoreSummary, type RestoreProgress, type Overwrite, type NameRules,
  createEngine, Engine, type EngineOptions, exportDisk, streamTo, type ExportOptions, type ByteStream,
} from './restore/index.js';
export { filetimeToIso, filetimeToDate } from './util/filetime.js';
export { nsToIso, nsToDate, nsToUnixSeconds, filetimeToNs, nsToFiletime, secondsToNs } from './util/time.js';
