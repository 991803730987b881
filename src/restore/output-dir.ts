/**
 * The output directory a user names (`-o DIR`, restore's `to`), created the way `mkdir -p` does
 * but one level at a time by grt itself: Node's recursive mkdir reported EROFS as ENOENT, spun
 * forever under /proc (where mkdir fails with ENOENT below an existing directory), and said
 * EEXIST for a file standing in the way. Components the user wrote may be symbolic links (the
 * user's choice, followed); what grt creates below them is checked by the restore itself.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { GrtError } from '../errors.js';

/** Directory levels created for one output path at most: deeper than any real path, and a bound on the loop. */
export const MAX_CREATED_LEVELS = 256;

/** Why a directory cannot be made, in words (the errno kept in the message for searches). */
function mkdirFailure(cause: unknown, path: string): GrtError {
  const code = (cause as NodeJS.ErrnoException).code ?? 'error';
  const reason: Record<string, string> = {
    EROFS: 'the file system is read-only',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on the device',
    ENOENT: 'the file system does not allow a directory here',
  };
  return new GrtError('IO_ERROR', `cannot create the output directory: ${reason[code] ?? 'mkdir failed'} (${code})`, { path, cause });
}

/** 'dir', 'other' (a file, a device…), or undefined when nothing is there (or a file stands above it). */
function kindAt(path: string): 'dir' | 'other' | undefined {
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    return stat === undefined ? undefined : stat.isDirectory() ? 'dir' : 'other';
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return undefined; // a file above it: found, and named, on the way up
    if (code === 'ELOOP') throw new GrtError('UNSAFE_PATH', 'the output path loops through symbolic links', { path, cause });
    throw mkdirFailure(cause, path);
  }
}

/** Make `path` a directory (and its missing parents); an existing directory is accepted. Returns its absolute path. */
export function makeOutputDir(path: string): string {
  const target = resolve(path);
  const missing: string[] = [];
  let at = target;
  for (let kind = kindAt(at); kind !== 'dir'; kind = kindAt(at)) {
    if (kind === 'other') {
      throw new GrtError('NOT_A_DIRECTORY', at === target ? 'a file stands where the output directory goes' : `${at} is a file, not a directory`, { path: target });
    }
    if (missing.length >= MAX_CREATED_LEVELS) throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_CREATED_LEVELS} directory levels to create`, { path: target });
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break; // the file system root is missing: mkdir says why
    at = parent;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir, { mode: 0o755 });
    } catch (cause) {
      // Made meanwhile by someone else: fine if it is a directory now.
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST' && kindAt(dir) === 'dir') continue;
      throw mkdirFailure(cause, dir);
    }
  }
  return target;
}
