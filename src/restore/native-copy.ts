/**
 * The native addon (native/copy.c, built by node-gyp at install) that copies file data in the
 * kernel: copy_file_range(2) between regular files, sendfile(2) to anything that takes it.
 * Loaded as native-addon.ts finds it; when it is absent, `loadNativeCopy` gives undefined and
 * every copy reads into memory and writes (kernel-copy.ts) — the same bytes, more CPU.
 */
import { loadAddon, withCode } from './native-addon.js';

/** Where node-gyp leaves the addon, relative to the package root. */
const ADDON_PATH = 'build/Release/grt_copy.node';

/**
 * One system call each (EINTR retried): `length` bytes from `inOffset` of `inFd` to `outFd` at
 * `outOffset` (-1: at its file position, which then advances); returns the bytes copied, 0 when
 * the input has ended. Throws a Node-style errno error (with `code`).
 */
export interface NativeCopy {
  copyFileRange(inFd: number, inOffset: number, outFd: number, outOffset: number, length: number): number;
  sendFile(inFd: number, inOffset: number, outFd: number, outOffset: number, length: number): number;
}

/** The addon, or undefined when it is not there (not built, dropped by a bundler, not Linux). */
export function loadNativeCopy(): NativeCopy | undefined {
  const addon = loadAddon<NativeCopy>(ADDON_PATH);
  if (!addon) return undefined;
  const coded =
    (call: NativeCopy['copyFileRange']): NativeCopy['copyFileRange'] =>
    (...args) => {
      try {
        return call(...args);
      } catch (error) {
        throw withCode(error);
      }
    };
  return { copyFileRange: coded(addon.copyFileRange), sendFile: coded(addon.sendFile) };
}
