export type { FileEntry, FileSystem, StreamLayout, EntryType, EntryTimes, ListOptions, StreamInfo } from '../file-system.js';
export { openNtfs, NtfsVolume, type NtfsInfo, type OpenNtfsOptions } from './volume.js';
export type { OnScannedRecord, ScanOptions, ScannedEntry, ScannedRecord } from './scan.js';
export type { NameTree, TreeItem, WalkOptions } from './name-tree.js';
export { openLayoutStream } from './data-stream.js';
export { decompressLznt1 } from '../../codecs/lznt1.js';
export { decompressXpressHuffman, XpressHuffmanDecompressor } from '../../codecs/xpress-huffman.js';
export { decompressLzx, LzxDecompressor } from '../../codecs/lzx.js';
