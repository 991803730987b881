export type { ByteSource } from './byte-source.js';
export { checkRange, readInto } from './byte-source.js';
export { FileSource } from './file-source.js';
export { MemorySource } from './memory-source.js';
export { SliceSource } from './slice-source.js';
export { CachedSource, type CacheStats, type CachedSourceOptions } from './cached-source.js';
export { pageAlignedBuffer } from './aligned-buffer.js';
