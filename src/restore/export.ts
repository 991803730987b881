/**
 * Whole sources out of the image: a virtual disk to a raw file (exportDisk, holes kept), and any
 * source (a disk, a file's stream) to a descriptor or a stream (streamTo, e.g. stdout). The same
 * copy pipeline as restore (write.ts), with the same safety: a temp file committed under the
 * overwrite rule, and never onto a file the run reads.
 */
import { fstatSync } from 'node:fs';
import { Writable } from 'node:stream';
import { isatty } from 'node:tty';
import { realpath } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { ByteSource } from '../io/byte-source.js';
import type { VirtualDisk } from '../vmdk/disk.js';
import { withEngine, type Engine } from './engine.js';
import { refuseInputTarget, type InputFile } from './inputs.js';
import { makeOutputDir } from './output-dir.js';
import { closeTemp, commit, copyRanges, copyToTarget, createTemp, discard, pipeChunks, toChunks, type Chunk, type Overwrite, type WriteSpeed } from './write.js';

/** Disk bytes mapped at a time for a sparse copy: bounds the range list kept in memory. */
const DISK_MAP_WINDOW = 1024 * 1024 * 1024;

export interface ExportOptions {
  engine?: Engine;
  overwrite?: Overwrite;
  signal?: AbortSignal;
  /** Bytes of the source passed so far (holes count once passed), and the total. */
  onProgress?: (progress: { bytesDone: number; bytesTotal: number }, final?: boolean) => void;
  /** Files this run reads (VirtualDisk.inputFiles()): never written to. */
  protectedFiles?: readonly InputFile[];
}

/** A writable stream as `streamTo` needs it (process.stdout is one). */
export interface ByteStream {
  write(chunk: Uint8Array): boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

/**
 * The virtual disk to the file `output`: ranges the disk maps as zero are not written, so the file
 * keeps its holes. Resolves with the data bytes written.
 */
export function exportDisk(disk: VirtualDisk, output: string, options: ExportOptions = {}): Promise<number> {
  return withEngine(options.engine, (engine) => exportDiskWith(engine, disk, output, options));
}

async function exportDiskWith(engine: Engine, disk: VirtualDisk, output: string, options: ExportOptions): Promise<number> {
  const inputs = options.protectedFiles;
  const target = resolve(output);
  makeOutputDir(dirname(target));
  const dir = await realpath(dirname(target));
  const final = `${dir}/${basename(target)}`;
  refuseInputTarget(final, inputs); // before the copy, whatever the overwrite rule: said plainly, not as EXISTS
  const temp = createTemp(engine, dir, basename(target));
  let done = 0;
  // One for the whole copy: a target found slow in one window stays slow in the next.
  const speed: WriteSpeed = { slowChunks: 0 };
  try {
    try {
      for (let window = 0; window < disk.size; window += DISK_MAP_WINDOW) {
        const windowEnd = Math.min(disk.size, window + DISK_MAP_WINDOW);
        const ranges = (await disk.map(window, windowEnd - window)).filter((r) => r.state === 'data');
        // Progress is the position in the disk: holes are done as soon as they are passed.
        // copyRanges also sets the file's size to the disk's, so trailing zero ranges stay holes.
        const onChunk = (chunk: Chunk): void => {
          done += chunk.length;
          options.onProgress?.({ bytesDone: chunk.offset + chunk.length, bytesTotal: disk.size });
        };
        await copyRanges(engine, disk, temp, ranges, disk.size, onChunk, options.signal, speed);
        options.onProgress?.({ bytesDone: windowEnd, bytesTotal: disk.size }, windowEnd === disk.size);
      }
    } finally {
      closeTemp(temp);
    }
    commit(temp.path, final, options.overwrite ?? 'never', inputs);
  } catch (error) {
    discard(temp.path);
    throw error;
  }
  return done;
}

/**
 * Copy all of `source` to `to`, reading the next chunks while the current one is written. When
 * `to` is a regular file (a descriptor, or a stream over one: stdout redirected) or a device,
 * chunks go to its descriptor at its file position (copyToTarget: by the kernel where the source
 * allows, else from reused buffers), and never when it is one of `protectedFiles` (`>> image.vmdk`).
 * A Node stream (a pipe) gets the reused buffers and is waited for; another ByteStream may keep
 * what it is given, so it gets a copy of each chunk. `name` names the target in errors.
 */
export function streamTo(source: ByteSource, to: number | ByteStream, options: ExportOptions & { name?: string } = {}): Promise<void> {
  return withEngine(options.engine, (engine) => streamToWith(engine, source, to, options));
}

async function streamToWith(engine: Engine, source: ByteSource, to: number | ByteStream, options: ExportOptions & { name?: string }): Promise<void> {
  const name = options.name ?? 'output';
  const fd = typeof to === 'number' ? to : regularFileFd(to);
  if (fd !== undefined) refuseInputTarget(fd, options.protectedFiles, name);
  const speed: WriteSpeed = { slowChunks: 0 };
  const whole = [{ offset: 0, length: source.size }];
  const onChunk = (chunk: Chunk): void => options.onProgress?.({ bytesDone: chunk.offset + chunk.length, bytesTotal: source.size });
  if (fd !== undefined) {
    // At the file position, in order; a device (/dev/null) takes sendfile, not copy_file_range.
    await copyToTarget(engine, source, { fd, path: name, positioned: false, regular: isRegularFile(fd) }, whole, onChunk, options.signal, speed);
    return;
  }
  const stream = to as ByteStream;
  await pipeChunks(
    engine,
    source,
    toChunks(whole),
    async (data, chunk) => {
      await (stream instanceof Writable ? writeToWritable(stream, data) : writeToStream(stream, data.slice()));
      onChunk(chunk);
    },
    options.signal,
  );
}

/**
 * A Node stream (process.stdout onto a pipe) is handed the chunk buffer itself and done with it
 * when its write callback comes: no copy of each chunk (a fresh 1 MiB buffer per chunk costs a page
 * fault per 4 KiB besides the copy). The next chunks are read meanwhile (pipeChunks).
 */
function writeToWritable(stream: Writable, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

async function writeToStream(stream: ByteStream, chunk: Uint8Array): Promise<void> {
  if (!stream.write(chunk) && stream.once) await new Promise<void>((resolve) => stream.once!('drain', resolve));
}

/**
 * The descriptor behind `stream` if it is a regular file (process.stdout redirected to one) or a
 * device other than a terminal (`> /dev/null`): written directly, without a copy of each chunk.
 */
function regularFileFd(stream: ByteStream): number | undefined {
  const fd = (stream as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return undefined;
  try {
    const stat = fstatSync(fd);
    return stat.isFile() || (stat.isCharacterDevice() && !isatty(fd)) ? fd : undefined;
  } catch {
    return undefined;
  }
}
