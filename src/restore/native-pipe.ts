/**
 * The native addon (native/pipe.c, built by node-gyp at install) that grows a pipe:
 * fcntl(F_SETPIPE_SZ). Loaded as native-addon.ts finds it; when it is absent, `loadNativePipe`
 * gives undefined and a pipe keeps its 64 KiB (reads of it return at most that: more system calls,
 * the same bytes).
 */
import { loadAddon, withCode } from './native-addon.js';

/** Where node-gyp leaves the addon, relative to the package root. */
const ADDON_PATH = 'build/Release/grt_pipe.node';

export interface NativePipe {
  /** Ask for a capacity of `bytes` for the pipe `fd` (either end); returns the capacity it has now. Throws a Node-style errno error (EBADF: not a pipe; EPERM: above pipe-max-size). */
  setPipeSize(fd: number, bytes: number): number;
}

/** The addon, or undefined when it is not there (not built, dropped by a bundler, not Linux). */
export function loadNativePipe(): NativePipe | undefined {
  const addon = loadAddon<NativePipe>(ADDON_PATH);
  if (!addon) return undefined;
  return {
    setPipeSize(fd, bytes) {
      try {
        return addon.setPipeSize(fd, bytes);
      } catch (error) {
        throw withCode(error);
      }
    },
  };
}
