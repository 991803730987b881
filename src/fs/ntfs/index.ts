export type { FileEntry, FileSystem, StreamLayout, EntryType, EntryTimes, ListOptions, StreamInfo } from '../entry.js';
