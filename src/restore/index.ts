export {
  restore, type RestoreOptions, type RestoreEvent, type RestoreSummary, type RestoreProgress,
} from './restore.js';
export { NameAllocator, safeName, defaultNameRules, MAX_NAME_BYTES, type NameRules } from './safe-name.js';
export { parseSelection, type Selection } from './select.js';
export type { Overwrite } from './write.js';
export { inputFileAt, refuseInputTarget, type InputFile } from './inputs.js';
export { createEngine, Engine, hasCompressedGrains, type EngineOptions } from './engine.js';
export { exportDisk, streamTo, type ExportOptions, type ByteStream } from './export.js';
