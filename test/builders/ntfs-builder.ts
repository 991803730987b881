/** Synthetic NTFS volume images for tests: see test/builders/ntfs/ and its VERIFIED.md. */
export { buildNtfs, buildNtfsVolume, type BuiltNtfs } from './ntfs/volume.js';
export type { NtfsSpec, NodeSpec, FileSpec, DirSpec, StreamSpec } from './ntfs/spec.js';
export { DEFAULT_FILETIME, RESIDENT_DEFAULT_MAX } from './ntfs/spec.js';
export { upcaseTable, upcaseName, compareNtfsNames } from './ntfs/upcase.js';
export { compressLznt1 } from './lznt1-compress.js';
export { arbNtfsSpec, arbNtfsName } from './ntfs/arbitrary.js';
export { expectedEntries, type ExpectedEntry } from './ntfs/expected.js';
