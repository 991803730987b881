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
import { closeSync, constants, ftruncateSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { GrtError } from '../errors.js';
import { readInto, type ByteSource } from '../io/byte-source.js';
import type { StreamLayout } from '../fs/file-system.js';
import { CHUNK_BYTES, READ_AHEAD_CHUNKS, type Engine } from './engine.js';
import { refuseInputTarget, type InputFile } from './inputs.js';
import { tempName } from './safe-name.js';
import { WRITE_PIECE_BYTES, writePieces } from './write-thread.js';

export { CHUNK_BYTES, FILES_IN_FLIGHT, READ_AHEAD_CHUNKS } from './engine.js';

/**
 * Synchronous chunk writes slower than this (a page-cache copy of 1 MiB takes ~0.3 ms) mean a
 * slow target: after SLOW_CHUNKS_BEFORE_OFF_THREAD of them the restore's remaining writes go to
 * the writer thread (writeChunk).
 */
export const SLOW_SYNC_WRITE_MS = 20;
export const SLOW_CHUNKS_BEFORE_OFF_THREAD = 3;
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
  if (!layout || layout.encoding === 'resident') return size > 0 ? [{ offset: 0, length: size }] : [];
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

export interface Chunk {
  offset: number;
  length: number;
}

/**
 * Read `chunks` of `source` in order and hand each to `write`, reading the next READ_AHEAD_CHUNKS
 * chunks while the current one is written. A few buffers (of the largest chunk) serve the whole
 * copy, filled in place by `readInto`: a fresh 4 MiB buffer per chunk costs the kernel a page fault
 * per 4 KiB, more than the copy itself. So `write` must be done with the bytes when its promise
 * settles. `write` is called in chunk order, but the next call may come before the previous
 * promise settles (up to READ_AHEAD_CHUNKS + 1 in flight): a writer that queues keeps the order
 * (a writer thread that has the next chunks queued never waits for the main thread: the 512 MiB
 * log from a streamOptimized disk restores ~15% faster than with one chunk at a time). When the
 * copy fails, no write is still running.
 */
export async function pipeChunks(
  engine: Engine,
  source: ByteSource,
  chunks: readonly Chunk[],
  write: (data: Uint8Array, chunk: Chunk) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const bufferBytes = chunks.reduce((max, chunk) => Math.max(max, chunk.length), 0);
  const bufferCount = Math.min(chunks.length, READ_AHEAD_CHUNKS + 1);
  const buffers = Array.from({ length: bufferCount }, () => engine.takeChunkBuffer(bufferBytes));
  try {
    await copyThrough(buffers, source, chunks, write, signal);
  } finally {
    for (const buffer of buffers) engine.returnChunkBuffer(buffer);
  }
}

async function copyThrough(
  buffers: Uint8Array[],
  source: ByteSource,
  chunks: readonly Chunk[],
  write: (data: Uint8Array, chunk: Chunk) => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const bufferCount = buffers.length;
  const readChunk = (index: number): Promise<Uint8Array> | undefined => {
    if (index >= chunks.length) return undefined;
    const chunk = chunks[index]!;
    const target = buffers[index % bufferCount]!.subarray(0, chunk.length);
    const reading = readInto(source, chunk.offset, target).then(() => target);
    // A failed read-ahead must not become an unhandled rejection while we write; it is awaited in its turn.
    reading.catch(() => undefined);
    return reading;
  };
  // Chunk i + bufferCount reads into chunk i's buffer once chunk i is written. Writes are started
  // without waiting for the one before: a writer thread (writeChunk) then has the next chunks
  // queued, written in order, while this thread reads and inflates. A write's failure reaches the
  // loop through the read chained to it, or at the end.
  const reads: (Promise<Uint8Array> | undefined)[] = [];
  const writes: Promise<void>[] = [];
  for (let i = 0; i < bufferCount; i++) reads.push(readChunk(i));
  try {
    for (let i = 0; i < chunks.length; i++) {
      throwIfAborted(signal);
      const data = await reads.shift()!;
      const writing = write(data, chunks[i]!);
      writing.catch(() => undefined);
      writes.push(writing);
      if (writes.length > bufferCount) writes.shift(); // its chained read has been awaited
      const next = i + bufferCount < chunks.length ? writing.then(() => readChunk(i + bufferCount)!) : undefined;
      next?.catch(() => undefined);
      reads.push(next);
    }
    await Promise.all(writes);
  } catch (error) {
    // Reads still under way write into these buffers (an inflate worker too), and writes read from
    // them (a writer thread): the buffers go back to the pool, and the caller closes the file, only
    // once nothing uses them any more.
    await Promise.allSettled([...reads, ...writes]);
    throw error;
  }
}

/** `ranges` cut into chunks of at most CHUNK_BYTES. */
export function toChunks(ranges: readonly Chunk[]): Chunk[] {
  const chunks: Chunk[] = [];
  for (const range of ranges) {
    for (let at = range.offset; at < range.offset + range.length; at += CHUNK_BYTES) {
      chunks.push({ offset: at, length: Math.min(CHUNK_BYTES, range.offset + range.length - at) });
    }
  }
  return chunks;
}

/**
 * Write all of `data` to descriptor `fd` at `position` (null: at the file position, for a
 * descriptor opened without seeking, e.g. stdout), in WRITE_PIECE_BYTES pieces.
 *
 * Synchronous on purpose: the next chunk's read is in flight on the threadpool meanwhile, and a
 * 64 KiB write is a copy into the page cache (~20 µs), while an async call costs a threadpool round
 * trip (~100 µs) each. It holds the event loop for about 0.3 ms per MiB; writeChunk leaves it to
 * the writer thread when the target turns out slow or this thread has grains to inflate.
 */
export function writeAt(fd: number, data: Uint8Array, position: number | null, path: string): void {
  try {
    writePieces(writeSync, fd, data, position, WRITE_PIECE_BYTES);
  } catch (cause) {
    throw ioError(cause, 'write', path);
  }
}

/**
 * How a target has turned out to be. Synchronous writes hold the event loop; fine while they are
 * page-cache copies, not on a slow target (a network share: a round trip per piece). A few slow
 * chunks move the rest off the thread (a few, not one: a busy machine has the odd slow
 * page-cache write too). A copy made of several copyRanges calls passes one of these to all.
 */
export interface WriteSpeed {
  slowChunks: number;
  /**
   * Chunks written off the thread (the target found slow, or grains inflating here); once set,
   * every later chunk of the copies sharing this WriteSpeed goes off the thread too (writeChunk).
   */
  offThreadChunks?: number;
}

/**
 * Write one chunk of a copy to `fd` at `position` (null: at the file position): on this thread in
 * WRITE_PIECE_BYTES pieces (writeAt), or on the writer thread (write-thread.ts)
 * - once the target has turned out slow (`speed`), or
 * - while this thread is inflating this copy's grains (the engine's Inflation.inflatingHereSince(`inflatedAtStart`);
 *   vmdk/inflate-pool.ts keeps fast grains on this thread): the next chunks then inflate while
 *   this one is written (the bench's 1 GiB random file from a streamOptimized disk restores
 *   about a quarter faster so than with its grains on workers and the writes here). Slow grains
 *   go to the inflate workers, and this thread writes again.
 * Errors are IO_ERRORs naming `path`.
 */
export async function writeChunk(
  engine: Engine,
  fd: number,
  data: Uint8Array,
  position: number | null,
  path: string,
  speed: WriteSpeed,
  inflatedAtStart: number,
): Promise<void> {
  // Once off the thread, always: writes queued there must not be overtaken by one made here (at
  // the file position, stdout's, the order is the content).
  if (speed.offThreadChunks !== undefined || engine.inflation.inflatingHereSince(inflatedAtStart) || speed.slowChunks >= SLOW_CHUNKS_BEFORE_OFF_THREAD) {
    speed.offThreadChunks = (speed.offThreadChunks ?? 0) + 1;
    try {
      await engine.writeThread.write(fd, data, position);
    } catch (cause) {
      throw ioError(cause, 'write', path);
    }
    return;
  }
  const started = performance.now();
  writeAt(fd, data, position, path);
  if (performance.now() - started > SLOW_SYNC_WRITE_MS) speed.slowChunks++;
}

/**
 * Copy the data ranges of `source` into the temp file at the same offsets, reading the next chunk
 * while the previous one is written, then truncate to `size` (so trailing holes exist too).
 * `onChunk` hears of each chunk written.
 */
export async function copyRanges(
  engine: Engine,
  source: ByteSource,
  { fd, path }: TempFile,
  ranges: Chunk[],
  size: number,
  onChunk: (chunk: Chunk) => void,
  signal?: AbortSignal,
  speed: WriteSpeed = { slowChunks: 0 },
): Promise<void> {
  const inflatedAtStart = engine.inflation.hereCount();
  await pipeChunks(
    engine,
    source,
    toChunks(ranges),
    async (data, chunk) => {
      await writeChunk(engine, fd, data, chunk.offset, path, speed, inflatedAtStart);
      onChunk(chunk);
    },
    signal,
  );
  // Trailing holes: the file ends where its last data range does unless it is given its size.
  const dataEnd = ranges.length > 0 ? ranges[ranges.length - 1]!.offset + ranges[ranges.length - 1]!.length : 0;
  if (dataEnd === size) return;
  try {
    ftruncateSync(fd, size);
  } catch (cause) {
    throw ioError(cause, 'truncate', path);
  }
}
