export type { Volume, VolumeLayout, FsKind } from './types.js';
