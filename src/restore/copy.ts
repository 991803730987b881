/**
 * The copy pipeline: a source's chunks read ahead into reused buffers (pipeChunks) and written on
 * this thread or the engine's writer thread (writeChunk), in order. The safety primitives it
 * writes through (temp files, commit) are write.ts.
 */
import { ftruncateSync, writeSync } from 'node:fs';
import { readInto, type ByteSource } from '../io/byte-source.js';
import { CHUNK_BYTES, READ_AHEAD_CHUNKS, type Engine } from './engine.js';
import { kernelCopyRanges, type KernelTarget, type KernelWay } from './kernel-copy.js';
import { ioError, throwIfAborted, type TempFile } from './write.js';
import { WRITE_PIECE_BYTES, writePieces } from './write-thread.js';

export interface Chunk {
  offset: number;
  length: number;
}

/**
 * Synchronous chunk writes slower than this (a page-cache copy of 1 MiB takes ~0.3 ms) mean a
 * slow target: after SLOW_CHUNKS_BEFORE_OFF_THREAD of them the restore's remaining writes go to
 * the writer thread (writeChunk).
 */
export const SLOW_SYNC_WRITE_MS = 20;
export const SLOW_CHUNKS_BEFORE_OFF_THREAD = 3;
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
  /** How the kernel copies to this target, once learned (kernel-copy.ts); unset: not tried yet. */
  kernelCopy?: KernelWay;
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
 * Copy `ranges` of `source` to `target` in order: runs the source holds as they are in a local
 * file by the kernel (kernel-copy.ts), when the addon is there; the rest read (the next chunks
 * while one is written) and written with writeChunk. `onChunk` hears of each piece written.
 */
export async function copyToTarget(
  engine: Engine,
  source: ByteSource,
  target: KernelTarget,
  ranges: readonly Chunk[],
  onChunk: (chunk: Chunk) => void,
  signal: AbortSignal | undefined,
  speed: WriteSpeed,
): Promise<void> {
  const inflatedAtStart = engine.inflation.hereCount();
  const pipe = (chunks: readonly Chunk[]): Promise<void> =>
    pipeChunks(
      engine,
      source,
      chunks,
      async (data, chunk) => {
        await writeChunk(engine, target.fd, data, target.positioned ? chunk.offset : null, target.path, speed, inflatedAtStart);
        onChunk(chunk);
      },
      signal,
    );
  const native = source.copyOut ? engine.nativeCopy() : undefined;
  if (!native) return pipe(toChunks(ranges));
  const job = { native, source, target, speed, readWrite: (range: Chunk) => pipe(toChunks([range])), onCopied: onChunk, signal };
  await kernelCopyRanges(job, ranges);
}

/**
 * Copy the data ranges of `source` into the temp file at the same offsets (copyToTarget), then
 * truncate to `size` (so trailing holes exist too). `onChunk` hears of each piece written.
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
  await copyToTarget(engine, source, { fd, path, positioned: true, regular: true }, ranges, onChunk, signal, speed);
  // Trailing holes: the file ends where its last data range does unless it is given its size.
  const dataEnd = ranges.length > 0 ? ranges[ranges.length - 1]!.offset + ranges[ranges.length - 1]!.length : 0;
  if (dataEnd === size) return;
  try {
    ftruncateSync(fd, size);
  } catch (cause) {
    throw ioError(cause, 'truncate', path);
  }
}
