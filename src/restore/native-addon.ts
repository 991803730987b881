/**
 * Finding and loading grt's native addons (native/, built by node-gyp at install into
 * build/Release/). Found from the package root (the nearest directory above this module whose
 * package.json is grt's; tsup's shims give the CommonJS build import.meta.url), so they load from
 * src/ under vitest and from any dist/ chunk; when a bundler dropped one or it was never built,
 * `loadAddon` gives undefined and the caller falls back to what Node itself offers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';

/** The package.json name that marks grt's root. */
const PACKAGE_NAME = 'grt';
/** Directories walked up from this module: src/restore/ or dist/ (+ a chunk folder) need 2–3; a bound for a bundled copy that has no root. */
const MAX_ROOT_DEPTH = 8;

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

/** The addon at `addonPath` (relative to the package root), or undefined when it is not there or not loadable. */
export function loadAddon<T>(addonPath: string): T | undefined {
  const root = packageRoot(fileURLToPath(import.meta.url));
  if (root === undefined || !existsSync(join(root, addonPath))) return undefined;
  try {
    return createRequire(join(root, 'package.json'))(`./${addonPath}`) as T;
  } catch {
    return undefined; // built for another Node ABI or platform
  }
}

/** An addon's error with the `code` (ENOENT, …) that Node's own fs errors carry. */
export function withCode(error: unknown): unknown {
  const errno = (error as NodeJS.ErrnoException).errno;
  if (typeof errno === 'number') (error as NodeJS.ErrnoException).code = getSystemErrorName(errno);
  return error;
}
