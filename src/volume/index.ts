export type { Volume, VolumeLayout, FsKind } from './types.js';
export { listVolumes, type ListVolumesOptions } from './list-volumes.js';
export { detectFileSystem, type Detected } from './detect.js';
export { guidToText, MAX_ARRAY_BYTES, MAX_ENTRY_COUNT, MAX_ENTRY_SIZE } from './gpt.js';
export { gptTypeName } from './gpt-types.js';
export { MAX_LOGICAL_PARTITIONS, mbrTypeName } from './mbr.js';
