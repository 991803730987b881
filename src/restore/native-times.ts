/**
 * The native addon (native/times.c, built by node-gyp at install) that sets times to the
 * nanosecond: utimensat(2) with AT_SYMLINK_NOFOLLOW for a path, futimens(2) for an open file.
 * Loaded as native-addon.ts finds it; when it is absent, `loadNativeTimes` gives undefined and
 * the caller falls back to fs.utimes.
 */
import { loadAddon, withCode } from './native-addon.js';

/** Where node-gyp leaves the addon, relative to the package root. */
const ADDON_PATH = 'build/Release/grt_times.node';
const NS_PER_SECOND = 1_000_000_000n;

/** What the addon exports: each time as whole seconds (safe integer) and 0..999999999 ns. */
interface Addon {
  lutimens(path: string, atimeSeconds: number, atimeNs: number, mtimeSeconds: number, mtimeNs: number): void;
  futimens(fd: number, atimeSeconds: number, atimeNs: number, mtimeSeconds: number, mtimeNs: number): void;
}

/** Setting atime and mtime (bigint nanoseconds since 1970) exactly; throws a Node-style errno error. */
export interface NativeTimes {
  /** The path's own times: a final symbolic link is not followed. */
  setPath(path: string, atime: bigint, mtime: bigint): void;
  setFd(fd: number, atime: bigint, mtime: bigint): void;
}

/** Floor seconds and the nanoseconds past them (0..999999999), before 1970 too. */
function split(ns: bigint): [number, number] {
  let seconds = ns / NS_PER_SECOND;
  let rest = ns - seconds * NS_PER_SECOND;
  if (rest < 0n) {
    seconds -= 1n;
    rest += NS_PER_SECOND;
  }
  return [Number(seconds), Number(rest)];
}

/** The addon, or undefined when it is not there (not built, dropped by a bundler, not Linux/POSIX). */
export function loadNativeTimes(): NativeTimes | undefined {
  const addon = loadAddon<Addon>(ADDON_PATH);
  if (!addon) return undefined;
  return {
    setPath(path, atime, mtime) {
      try {
        addon.lutimens(path, ...split(atime), ...split(mtime));
      } catch (error) {
        throw withCode(error);
      }
    },
    setFd(fd, atime, mtime) {
      try {
        addon.futimens(fd, ...split(atime), ...split(mtime));
      } catch (error) {
        throw withCode(error);
      }
    },
  };
}
