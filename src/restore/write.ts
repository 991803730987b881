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
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { GrtError } from '../errors.js';
import { pageAlignedBuffer } from '../io/aligned-buffer.js';
import { readInto, type ByteSource } from '../io/byte-source.js';
import type { StreamLayout } from '../fs/file-system.js';
import { inflatedHereCount, inflatingHereSince } from '../vmdk/inflate-pool.js';
import { tempName } from './safe-name.js';
import { WRITE_PIECE_BYTES, WriteThread, writePieces } from './write-thread.js';

/**
 * Bytes read from the image per request. Measured on a 1 GiB restore (bench/peers.mjs): 1 MiB
 * chunks took a median ~1.05 s and steady kernel time; 4 MiB ~1.45 s and bimodal — the buffer a
 * pread fills on one core and a write empties on the other no longer fits in cache, and the
 * kernel's copy into new page-cache pages slows to memory speed. Below 512 KiB the per-chunk cost
 * (promises, layout lookups) shows. Re-measured with page-aligned buffers and 64 KiB writes:
 * 512 KiB to 4 MiB were alike within noise.
 */
export const CHUNK_BYTES = 1024 * 1024;
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

/**
 * Temp names are this process's random tag and a counter: unguessable to another process, and
 * distinct within this one. (A random draw per file cost ~15 µs — randomBytes calls getpid and
 * the CSPRNG each time — a tenth of a small file's restore.) O_EXCL still refuses any clash.
 */
const TEMP_TAG = randomBytes(6).toString('hex');
let tempCounter = 0;

/** A fresh temp path beside `finalName` in `dir` (`.<name>.grt-<tag><counter>.part`). */
export function tempPathBeside(dir: string, finalName: string): string {
  return join(dir, tempName(finalName, `${TEMP_TAG}${(tempCounter++).toString(16)}`));
}

/** A new, empty temp file beside `finalName` in `dir`. */
export function createTemp(dir: string, finalName: string): TempFile {
  for (let attempt = 0; ; attempt++) {
    const path = tempPathBeside(dir, finalName);
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
 * 'overwrite' replaces, 'never' and 'skip-existing' refuse an existing name (EXISTS).
 */
export function commit(tempPath: string, finalPath: string, overwrite: Overwrite): void {
  if (overwrite === 'overwrite') {
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
    if (code === 'EEXIST') throw new GrtError('EXISTS', 'target exists (not overwritten)', { path: finalPath });
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw ioError(cause, 'link', finalPath);
    // No hard links here (FAT, exFAT, some network shares): check, then rename.
    if (exists(finalPath)) throw new GrtError('EXISTS', 'target exists (not overwritten)', { path: finalPath });
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

/** A hard link to an already restored file, through a temp name so the overwrite rule applies atomically. */
export function hardLink(existing: string, final: string, dir: string, overwrite: Overwrite): void {
  const temp = tempPathBeside(dir, final.slice(dir.length + 1));
  try {
    linkSync(existing, temp);
  } catch (cause) {
    throw ioError(cause, 'link', final);
  }
  try {
    commit(temp, final, overwrite);
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
 * Chunks read ahead of the one being written. A streamOptimized chunk is read (its compressed
 * records), inflated on a worker, then written, and a worker's reply waits while the main thread
 * writes (round trip ~1 ms against ~0.3 ms of inflating): with one chunk ahead the main thread
 * idled 250 ms of a 512 MiB restore. Measured on that restore, alternating: 2 ahead 0.63–0.70 s,
 * 4 ahead 0.57–0.66 s; the 1 GiB flat restore was no worse. Costs a 1 MiB buffer each.
 */
export const READ_AHEAD_CHUNKS = 4;

/**
 * Read `chunks` of `source` in order and hand each to `write`, reading the next READ_AHEAD_CHUNKS
 * chunks while the current one is written. A few buffers (of the largest chunk) serve the whole
 * copy, filled in place by `readInto`: a fresh 4 MiB buffer per chunk costs the kernel a page fault
 * per 4 KiB, more than the copy itself. So `write` must be done with the bytes when its promise
 * settles. `write` is called in chunk order, but the next call may come before the previous
 * promise settles (up to READ_AHEAD_CHUNKS + 1 in flight): a writer that queues keeps the order
 * (the 512 MiB log from a streamOptimized disk: median 0.71 → 0.60 s when the writer thread no
 * longer waited for each reply before getting the next chunk). When the copy fails, no write is
 * still running.
 */
export async function pipeChunks(
  source: ByteSource,
  chunks: readonly Chunk[],
  write: (data: Uint8Array, chunk: Chunk) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const bufferBytes = chunks.reduce((max, chunk) => Math.max(max, chunk.length), 0);
  const bufferCount = Math.min(chunks.length, READ_AHEAD_CHUNKS + 1);
  const buffers = Array.from({ length: bufferCount }, () => takeChunkBuffer(bufferBytes));
  try {
    await copyThrough(buffers, source, chunks, write, signal);
  } finally {
    for (const buffer of buffers) returnChunkBuffer(buffer);
  }
}

/**
 * Files of at most one chunk that a restore copies at once (restore.ts; larger files go alone),
 * so their image reads (and inflate round trips) overlap: 3,000 files of 4–22 KiB from a sparse
 * disk took 1.25 s one at a time, 0.9–1.1 s eight at a time. Each holds one chunk buffer.
 */
export const FILES_IN_FLIGHT = 8;

/**
 * Chunk buffers kept between copies: a restore of many files copies one after another, and a new
 * mapping per file (shared WebAssembly memory) cost ~35 µs and was reclaimed late — 10,000 small
 * files peaked 20–35 MiB higher. At most this many are kept (one large copy's worth, or one per
 * small file in flight), each CHUNK_BYTES.
 */
const POOLED_BUFFERS = Math.max(READ_AHEAD_CHUNKS + 1, FILES_IN_FLIGHT);
const pooledBuffers: Uint8Array[] = [];

/**
 * A buffer of at least `bytes`. Page-aligned: the kernel's copies out of the page cache run ~4×
 * faster into them (aligned-buffer.ts). Shared: inflate workers write compressed grains straight
 * into them (vmdk/inflate-pool.ts).
 */
function takeChunkBuffer(bytes: number): Uint8Array {
  if (bytes <= CHUNK_BYTES) return pooledBuffers.pop() ?? pageAlignedBuffer(CHUNK_BYTES, { shared: true });
  return pageAlignedBuffer(bytes, { shared: true });
}

function returnChunkBuffer(buffer: Uint8Array): void {
  if (buffer.length === CHUNK_BYTES && pooledBuffers.length < POOLED_BUFFERS) pooledBuffers.push(buffer);
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

/** Where chunks go that should not hold this thread (write-thread.ts). */
const writeThread = new WriteThread();

/**
 * Write one chunk of a copy to `fd` at `position` (null: at the file position): on this thread in
 * WRITE_PIECE_BYTES pieces (writeAt), or on the writer thread (write-thread.ts)
 * - once the target has turned out slow (`speed`), or
 * - while this thread is inflating this copy's grains (inflatingHereSince(`inflatedAtStart`);
 *   vmdk/inflate-pool.ts keeps fast grains on this thread): the next chunks then inflate while
 *   this one is written (the bench's 1 GiB random file from a streamOptimized disk: median
 *   1.45 s with its grains on workers and the writes here, 1.15 s so). Slow grains go to the
 *   inflate workers, and this thread writes again.
 * Errors are IO_ERRORs naming `path`.
 */
export async function writeChunk(fd: number, data: Uint8Array, position: number | null, path: string, speed: WriteSpeed, inflatedAtStart: number): Promise<void> {
  // Once off the thread, always: writes queued there must not be overtaken by one made here (at
  // the file position, stdout's, the order is the content).
  if (speed.offThreadChunks !== undefined || inflatingHereSince(inflatedAtStart) || speed.slowChunks >= SLOW_CHUNKS_BEFORE_OFF_THREAD) {
    speed.offThreadChunks = (speed.offThreadChunks ?? 0) + 1;
    try {
      await writeThread.write(fd, data, position);
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
  source: ByteSource,
  { fd, path }: TempFile,
  ranges: Chunk[],
  size: number,
  onChunk: (chunk: Chunk) => void,
  signal?: AbortSignal,
  speed: WriteSpeed = { slowChunks: 0 },
): Promise<void> {
  const inflatedAtStart = inflatedHereCount();
  await pipeChunks(
    source,
    toChunks(ranges),
    async (data, chunk) => {
      await writeChunk(fd, data, chunk.offset, path, speed, inflatedAtStart);
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
