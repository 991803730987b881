export type { ByteSource } from './byte-source.js';
export { checkRange, readInto } from './byte-source.js';
export { FileSource, readRegularFile, type InputFile } from './file-source.js';
export { resolveName, parseName, sourceKey, type FollowRule, type OpenedSource, type ParsedName, type Placement, type SourceOpener } from './source-opener.js';
export { LocalFileOpener, localFileOpener } from './local-opener.js';
export { MemorySource } from './memory-source.js';
export { SliceSource } from './slice-source.js';
export { CachedSource, type CacheStats, type CachedSourceOptions } from './cached-source.js';
export { pageAlignedBuffer } from './aligned-buffer.js';
