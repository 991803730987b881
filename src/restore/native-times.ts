/**
 * The native addon (native/times.c, built by node-gyp at install) that sets times to the
 * nanosecond: utimensat(2) with AT_SYMLINK_NOFOLLOW for a path, futimens(2) for an open file.
 * Found from the package root (the nearest directory above this module whose package.json is
 * grt's; tsup's shims give the CommonJS build import.meta.url), so it loads from src/ under vitest
 * and from any dist/ chunk; when a bundler dropped it or it was never built, `loadNativeTimes`
 * gives undefined and the caller falls back to fs.utimes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';

/** The package.json name that marks grt's root. */
const PACKAGE_NAME = 'grt';
/** Where node-gyp leaves the addon, relative to the package root. */
const ADDON_PATH = 'build/Release/grt_times.node';
/** Directories walked up from this module: src/restore/ or dist/ (+ a chunk folder) need 2–3; a bound for a bundled copy that has no root. */
const MAX_ROOT_DEPTH = 8;
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

/** The nearest directory above `start` holding grt's package.json, or undefined. */
function packageRoot(start: string): string | undefined {
  let dir = dirname(start);
  for (let depth = 0; depth < MAX_ROOT_DEPTH; depth++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // An unreadable package.json is not grt's: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
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

/** The addon's error with the `code` (ENOENT, …) that Node's own fs errors carry. */
function withCode(error: unknown): unknown {
  const errno = (error as NodeJS.ErrnoException).errno;
  if (typeof errno === 'number') (error as NodeJS.ErrnoException).code = getSystemErrorName(errno);
  return error;
}

/** The addon, or undefined when it is not there (not built, dropped by a bundler, not Linux/POSIX). */
export function loadNativeTimes(): NativeTimes | undefined {
  const root = packageRoot(fileURLToPath(import.meta.url));
  if (root === undefined || !existsSync(join(root, ADDON_PATH))) return undefined;
  let addon: Addon;
  try {
    addon = createRequire(join(root, 'package.json'))(`./${ADDON_PATH}`) as Addon;
  } catch {
    return undefined; // built for another Node ABI or platform
  }
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
