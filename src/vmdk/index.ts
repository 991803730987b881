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
export type { ExtentFormat } from './disk-extents.js';
export {
  openDisk,
  type ChainLink,
  type DiskInfo,
  type DiskRange,
  type ExtentInfo,
  type OpenDiskOptions,
  type VirtualDisk,
} from './disk.js';
