export type { FileEntry, FileSystem, StreamLayout, EntryType, EntryTimes, ListOptions, StreamInfo } from '../entry.js';
export { openNtfs, NtfsVolume, type NtfsInfo, type OpenNtfsOptions } from './volume.js';
export type { ScanOptions, ScannedEntry } from './scan.js';
export { openLayoutStream } from './data-stream.js';
