export { GrtError, isGrtError, type GrtErrorCode, type GrtWarning } from './errors.js';
export * from './io/index.js';
