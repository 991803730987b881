export type { Extent, ExtentRange, ParentRead, RangeState } from './extent.js';
export {
  EXTENT_TYPES,
  MAX_DESCRIPTOR_BYTES,
  MAX_EXTENTS,
  NO_PARENT_CID,
  parseDescriptor,
  type ExtentAccess,
  type ExtentLine,
  type ExtentType,
  type VmdkDescriptor,
} from './descriptor.js';
export { FlatExtent, NoAccessExtent, ZeroExtent } from './flat-extent.js';
export { DEFAULT_MAX_CHAIN_DEPTH, resolveExtentPath, resolveParentPath } from './chain.js';
export { MAX_OPEN_EXTENT_FILES } from './extent-files.js';
export { DEFAULT_CACHE_BLOCKS, type ExtentFormat } from './disk-extents.js';
export {
  openDisk,
  type ChainLink,
  type DiskInfo,
  type DiskRange,
  type ExtentInfo,
  type OpenDiskOptions,
  type VirtualDisk,
} from './disk.js';
// Binary extent readers (hosted sparse, streamOptimized, COWD, seSparse), for callers that hold one
// extent file and no descriptor.
export { SECTOR_BYTES, parseKdmvHeader, sniffVmdkFile, type KdmvHeader } from './sparse-header.js';
export { openSparseExtent, type OpenedSparseExtent } from './sparse-extent.js';
export { openCowdExtent } from './cowd-extent.js';
export { openSeSparseExtent } from './sesparse-extent.js';
// Grain inflation (streamOptimized): one reused zlib context, and batches on worker threads.
export { createInflater, INFLATE_CORRUPT, INFLATE_TOO_LARGE, type Inflater } from './inflate.js';
export { Inflation, type GrainInflation, type InflateJob, type InflateResults } from './inflate-pool.js';
