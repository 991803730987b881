/**
 * Writing restored data to the local file system without ever leaving a half-written file under
 * its final name and without following a link into somewhere else.
 *
 * - Content goes to `.<name>.grt-<random>.part` in the final directory, created with
 *   O_CREAT|O_EXCL|O_NOFOLLOW (never opens an existing file or a symlink), then is renamed.
 * - Without overwrite the final step is link(temp, final) + unlink(temp), which fails atomically
 *   when the target appeared meanwhile (EEXIST); on file systems without hard links, lstat + rename.
 * - Directories are created one component at a time and checked with lstat: a symlink where a
 *   directory should be is refused (UNSAFE_PATH), never followed.
 * - Holes: ranges the layout says are sparse (and past the initialized size) are not written; the
 *   file is truncated to its size at the end so the file system leaves them unallocated.
 * - File system calls other than the chunk writes writeChunk hands to the writer thread (open,
 *   close, lstat, mkdir, link, rename, unlink, ftruncate; futimes, lutimes and symlink in
 *   restore.ts) are synchronous: each is a few microseconds of system call, while the promise API
 *   pays a threadpool round trip per call (0.1–0.6 ms on the development VM). With ~9 per file, a
 *   restore of 10,000 small files spent most of its time waiting on them (13–23 s; creating 10,000
 *   files synchronously takes ~0.6 s there).
 * - NOTE: Node has no openat(); a process racing us inside the target directory could still swap a
 *   checked directory for a link between the lstat and the open. Restore into a directory only you
 *   can write.
 */
import { closeSync, constants, linkSync, lstatSync, mkdirSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { GrtError } from '../errors.js';
import type { StreamLayout } from '../fs/file-system.js';
import type { Engine } from './engine.js';
import { refuseInputTarget, type InputFile } from './inputs.js';
import { tempName } from './safe-name.js';

export { CHUNK_BYTES, FILES_IN_FLIGHT, READ_AHEAD_CHUNKS } from './engine.js';
export {
  copyRanges, copyToTarget, pipeChunks, SLOW_CHUNKS_BEFORE_OFF_THREAD, SLOW_SYNC_WRITE_MS, toChunks, writeAt, writeChunk, type Chunk, type WriteSpeed,
} from './copy.js';

/** Temp-name attempts before giving up (a clash needs another process to guess the 48-bit tag). */
export const MAX_TEMP_ATTEMPTS = 8;

export type Overwrite = 'never' | 'overwrite' | 'skip-existing';

/** A Node errno error as a GrtError naming the target path. */
export function ioError(cause: unknown, what: string, path: string): GrtError {
  if (cause instanceof GrtError) return cause;
  const code = (cause as NodeJS.ErrnoException).code ?? 'error';
  return new GrtError(code === 'EEXIST' ? 'EXISTS' : 'IO_ERROR', `${what} failed (${code})`, { path, cause });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new GrtError('ABORTED', 'restore aborted');
}

/** Create directory `path` (its parent already checked) or accept an existing real directory. */
export function ensureDir(path: string): 'created' | 'existed' {
  try {
    mkdirSync(path, { mode: 0o755 });
    return 'created';
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(cause, 'mkdir', path);
  }
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) throw new GrtError('UNSAFE_PATH', 'a symbolic link stands where a directory goes; not followed', { path });
  if (!stat.isDirectory()) throw new GrtError('NOT_A_DIRECTORY', 'a file stands where a directory goes', { path });
  return 'existed';
}

/** Whether `path` exists (without following a final symlink). */
export function exists(path: string): boolean {
  try {
    // No ENOENT error built and thrown for the usual answer (a new file): that was most of its cost.
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (cause) {
    throw ioError(cause, 'lstat', path);
  }
}

export interface TempFile {
  path: string;
  /** Open for writing; the caller closes it (closeTemp) before commit or discard. */
  fd: number;
}

/** A fresh temp path beside `finalName` in `dir` (`.<name>.grt-<tag><counter>.part`, Engine.nextTempTag). */
export function tempPathBeside(engine: Engine, dir: string, finalName: string): string {
  return join(dir, tempName(finalName, engine.nextTempTag()));
}

/** A new, empty temp file beside `finalName` in `dir`. */
export function createTemp(engine: Engine, dir: string, finalName: string): TempFile {
  for (let attempt = 0; ; attempt++) {
    const path = tempPathBeside(engine, dir, finalName);
    try {
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
      return { path, fd: openSync(path, flags, 0o644) };
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'EEXIST' || attempt + 1 >= MAX_TEMP_ATTEMPTS) throw ioError(cause, 'create', path);
    }
  }
}

/** Close a temp file; an error here (a network file system reporting a failed write-back) fails it. */
export function closeTemp(temp: TempFile): void {
  try {
    closeSync(temp.fd);
  } catch (cause) {
    throw ioError(cause, 'close', temp.path);
  }
}

/** Remove a temp file (or link) after a failure; never throws. */
export function discard(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or never made
  }
}

/**
 * Move a finished temp file (or symlink, or hard link) to its final name under the overwrite rule:
 * 'overwrite' replaces, but never one of `inputs` (UNSAFE_PATH: a file this run reads); 'never' and
 * 'skip-existing' refuse an existing name (EXISTS).
 */
export function commit(tempPath: string, finalPath: string, overwrite: Overwrite, inputs?: readonly InputFile[]): void {
  if (overwrite === 'overwrite') {
    refuseInputTarget(finalPath, inputs);
    try {
      renameSync(tempPath, finalPath);
      return;
    } catch (cause) {
      throw ioError(cause, 'rename', finalPath);
    }
  }
  try {
    linkSync(tempPath, finalPath);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw existsError(finalPath);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw ioError(cause, 'link', finalPath);
    // No hard links here (FAT, exFAT, some network shares): check, then rename.
    if (exists(finalPath)) throw existsError(finalPath);
    try {
      renameSync(tempPath, finalPath);
    } catch (renameCause) {
      throw ioError(renameCause, 'rename', finalPath);
    }
    return;
  }
  try {
    unlinkSync(tempPath);
  } catch (cause) {
    throw ioError(cause, 'unlink', tempPath);
  }
}

/** EXISTS for a target left alone, naming the options that would replace or skip it. */
export function existsError(path: string): GrtError {
  return new GrtError('EXISTS', 'target exists (not overwritten; --overwrite replaces it, --skip-existing leaves it and goes on)', { path });
}

/** A hard link to an already restored file, through a temp name so the overwrite rule applies atomically. */
export function hardLink(engine: Engine, existing: string, final: string, dir: string, overwrite: Overwrite, inputs?: readonly InputFile[]): void {
  const temp = tempPathBeside(engine, dir, final.slice(dir.length + 1));
  try {
    linkSync(existing, temp);
  } catch (cause) {
    throw ioError(cause, 'link', final);
  }
  try {
    commit(temp, final, overwrite, inputs);
  } catch (error) {
    discard(temp);
    throw error;
  }
}

/** Byte ranges [offset, offset+length) of a stream that hold data (everything else is a hole), in order. */
export function dataRanges(layout: StreamLayout | undefined, size: number): { offset: number; length: number }[] {
  if (!layout || layout.encoding === 'resident' || layout.encoding === 'wof') return size > 0 ? [{ offset: 0, length: size }] : [];
  const unit = layout.encoding === 'lznt1' ? Math.max(1, layout.compressionUnit ?? 1) : 1;
  const holes: { start: number; end: number }[] = [];
  for (const run of layout.runs) {
    if (run.sourceOffset !== null) continue;
    // NOTE: in a compressed stream a sparse run inside a unit only pads compressed data; only
    // units sparse from start to end are holes (libyal NTFS doc, "compressed data runs").
    const start = Math.ceil(run.streamOffset / unit) * unit;
    const end = Math.floor((run.streamOffset + run.length) / unit) * unit;
    if (end > start) holes.push({ start, end });
  }
  const initialized = Math.max(0, Math.min(size, layout.initializedSize));
  if (initialized < size) holes.push({ start: initialized, end: size });
  holes.sort((a, b) => a.start - b.start);
  const ranges: { offset: number; length: number }[] = [];
  let at = 0;
  for (const hole of holes) {
    const start = Math.min(hole.start, size);
    if (start > at) ranges.push({ offset: at, length: start - at });
    at = Math.max(at, Math.min(hole.end, size));
  }
  if (at < size) ranges.push({ offset: at, length: size - at });
  return ranges;
}

