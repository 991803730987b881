#!/usr/bin/env node
/**
 * grt-extract: restore files from a backup image, or the whole virtual disk as raw bytes.
 *   grt-extract IMAGE [--partition ID] PATH|GLOB... -o DIR [--overwrite|--skip-existing]
 *               [--streams=files|xattr|skip] [--hardlinks=link|copy] [--json]
 *   grt-extract IMAGE [--partition ID] PATH[:stream] --stdout
 *   grt-extract IMAGE --disk (-o FILE | --stdout)
 *   grt-extract --catalog CATALOG IMAGE ... : the same, finding files through the catalog
 */
import { dirname, basename, resolve } from 'node:path';
import { realpath } from 'node:fs/promises';
import { makeOutputDir } from '../restore/output-dir.js';
import { fstatSync } from 'node:fs';
import { GrtError } from '../errors.js';
import type { VirtualDisk } from '../vmdk/disk.js';
import { enableInflateWorkers, inflatedHereCount } from '../vmdk/inflate-pool.js';
import { restore, type RestoreEvent, type RestoreProgress } from '../restore/restore.js';
import type { FileEntry, FileSystem } from '../fs/file-system.js';
import { parseSelection } from '../restore/select.js';
import { closeTemp, commit, copyRanges, createTemp, discard, pipeChunks, toChunks, writeChunk, type Chunk, type Overwrite, type WriteSpeed } from '../restore/write.js';
import type { ByteSource } from '../io/byte-source.js';
import { refuseInputTarget, type InputFile } from '../restore/inputs.js';
import { commandInputs } from './inputs.js';
import { catalogVolumeOf, IMAGE_HELP, IMAGE_OPTIONS, oneOf, parseCount, parseVolumeId } from './args.js';
import { DeletedView } from './deleted-view.js';
import { imageWarnings, openImageArg } from './open-image.js';
import { fileSystemWarnings, printMountWarnings } from './volume-facts.js';
import {
  EXIT_OK, EXIT_PARTIAL, Progress, counted, formatBytes, isMain, jsonLine, runAsScript, runParsed, writeOut, type CliIo,
} from './output.js';

const NAME = 'grt-extract';
const USAGE = `usage: grt-extract IMAGE [--partition ID] PATH|GLOB... -o DIR [options]
       grt-extract IMAGE [--partition ID] PATH[:stream] --stdout
       grt-extract IMAGE [--partition ID] --mft N (-o DIR | --stdout)
       grt-extract IMAGE --disk (-o FILE | --stdout)
       grt-extract --catalog CATALOG IMAGE [--partition ID] PATH|GLOB... (-o DIR | --stdout) [options]
       grt-extract --index DB --backup ID PATH|GLOB... (-o DIR | --stdout) [options]
options:
  -o, --output DIR      where to restore (created if missing); with --disk, the raw image file
  --catalog FILE        find files in this catalog (grt-catalog) of IMAGE: data is read from the
                        disk at the places the catalog recorded, no file-system metadata is read
  --index DB --backup ID  restore from a backup registered with grt-index (its recorded image
                        and catalog; DB a SQLite file or a postgres:// URL)
  --partition ID        the volume to read (see grt-ls --info)
  --overwrite           replace existing files (never the image or another file being read)
  --skip-existing       leave existing files and go on (default: report each as a failure)
  --streams=MODE        alternate data streams: files (NAME.STREAM.ads, default), xattr (user.STREAM), skip
  --hardlinks=MODE      link (default) or copy
  --stdout              write one file, stream (PATH:stream) or the disk (--disk) to stdout
  --disk                the whole virtual disk as raw bytes (holes stay sparse in a file)
  --deleted             paths also name deleted entries, as grt-ls --deleted lists them
  --mft N               the file of MFT record N (in use or deleted), instead of a PATH (as icat)
  --json                one JSON event per line on stdout, the summary last
${IMAGE_HELP}
paths are case-insensitive; globs: * and ? within a name, ** across directories.
a directory is restored under its own name: /Users/bob -o out gives out/bob/...
exit: 0 all restored, 1 some files failed or interrupted, 2 nothing could start`;

const OPTIONS = {
  ...IMAGE_OPTIONS,
  partition: { type: 'string', short: 'p' },
  output: { type: 'string', short: 'o' },
  overwrite: { type: 'boolean' },
  'skip-existing': { type: 'boolean' },
  streams: { type: 'string' },
  hardlinks: { type: 'string' },
  json: { type: 'boolean' },
  stdout: { type: 'boolean' },
  disk: { type: 'boolean' },
  catalog: { type: 'string' },
  deleted: { type: 'boolean' },
  mft: { type: 'string' },
  index: { type: 'string' },
  backup: { type: 'string' },
} as const;

/** Disk bytes mapped at a time for a sparse copy: bounds the range list kept in memory. */
const DISK_MAP_WINDOW = 1024 * 1024 * 1024;

/**
 * Copy a whole source to stdout, reading the next chunks while the current one is written. When
 * stdout is a regular file, chunks go to its descriptor directly (writeChunk, from reused
 * buffers); a stream may keep what it is given, so it gets a copy of each chunk.
 */
async function toStdout(source: ByteSource, io: CliIo, progress: Progress, inputs: readonly InputFile[]): Promise<void> {
  const fd = regularFileFd(io.stdout);
  // `>> image.vmdk` (or `1<>`): stdout is a file being read.
  if (fd !== undefined) refuseInputTarget(fd, inputs, 'stdout');
  const speed: WriteSpeed = { slowChunks: 0 };
  const inflatedAtStart = inflatedHereCount();
  await pipeChunks(
    source,
    toChunks([{ offset: 0, length: source.size }]),
    async (data, chunk) => {
      if (fd === undefined) await writeOut(io.stdout, data.slice());
      else await writeChunk(fd, data, null, 'stdout', speed, inflatedAtStart);
      progress.update({ bytesDone: chunk.offset + chunk.length, bytesTotal: source.size });
    },
    io.signal,
  );
}

/** The descriptor behind `stream` if it is a regular file (process.stdout redirected to one). */
function regularFileFd(stream: CliIo['stdout']): number | undefined {
  const fd = (stream as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return undefined;
  try {
    return fstatSync(fd).isFile() ? fd : undefined;
  } catch {
    return undefined;
  }
}

/** The virtual disk to a file: 'zero' ranges are not written, so the file keeps its holes. */
async function diskToFile(disk: VirtualDisk, output: string, overwrite: Overwrite, io: CliIo, progress: Progress, inputs: readonly InputFile[]): Promise<number> {
  const target = resolve(output);
  makeOutputDir(dirname(target));
  const dir = await realpath(dirname(target));
  const final = `${dir}/${basename(target)}`;
  refuseInputTarget(final, inputs); // before the copy, whatever the overwrite rule: said plainly, not as EXISTS
  const temp = createTemp(dir, basename(target));
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
          progress.update({ bytesDone: chunk.offset + chunk.length, bytesTotal: disk.size });
        };
        await copyRanges(disk, temp, ranges, disk.size, onChunk, io.signal, speed);
        progress.update({ bytesDone: windowEnd, bytesTotal: disk.size }, windowEnd === disk.size);
      }
    } finally {
      closeTemp(temp);
    }
    commit(temp.path, final, overwrite, inputs);
  } catch (error) {
    discard(temp.path);
    throw error;
  }
  return done;
}

/**
 * The entry of MFT record `record`: the volume's own lookup by number when it has one (a live
 * NTFS volume), else the full listing's entry with that record (a catalog).
 */
async function entryByRecord(fs: FileSystem, record: number): Promise<FileEntry> {
  const direct = (fs as { entryByRecord?: (n: number) => Promise<FileEntry> }).entryByRecord;
  if (direct) return direct.call(fs, record);
  for await (const entry of fs.walk('/', { all: true, deleted: true })) if (entry.id.record === record) return entry;
  throw new GrtError('NOT_FOUND', `no entry for MFT record ${record}`);
}

/** Whether any disk of the chain (a delta over a streamOptimized base too) holds compressed grains. */
export function hasCompressedGrains(disk: VirtualDisk | undefined): boolean {
  for (let link = disk; link; link = link.parent) {
    if (link.info.extents.some((extent) => extent.format === 'streamOptimized')) return true;
  }
  return false;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  return runParsed(NAME, USAGE, OPTIONS, argv, io, async ({ values, positionals }, state) => {
    // --index DB --backup ID: the image and catalog the index recorded for that backup (src/index).
    const indexed = values.index !== undefined ? await (await import('../index/restore-source.js')).restoreSource(values.index, values.backup, positionals) : undefined;
    if (indexed) Object.assign(values, { catalog: indexed.catalog, partition: values.partition ?? String(indexed.volume) });
    const [imagePath, ...paths] = indexed ? [indexed.image, ...positionals] : positionals;
    if (imagePath === undefined) throw new GrtError('USAGE', 'give an IMAGE, the PATHs to restore and -o DIR (see --help)');
    if (values.overwrite && values['skip-existing']) throw new GrtError('USAGE', '--overwrite and --skip-existing exclude each other');
    if (values.stdout && values.output !== undefined) throw new GrtError('USAGE', '-o and --stdout exclude each other');
    const mftRecord = parseCount(values.mft, '--mft');
    if (!values.disk && paths.length === 0 && mftRecord === undefined) throw new GrtError('USAGE', 'no PATH to extract (or --disk for the whole disk)');
    if (!values.stdout && values.output === undefined) throw new GrtError('USAGE', 'no output: give -o DIR (or --stdout)');
    if (values.disk && paths.length > 0) throw new GrtError('USAGE', '--disk takes no PATH');
    if (values.disk && values.catalog !== undefined) throw new GrtError('USAGE', '--disk copies the whole disk; it takes no --catalog');
    if (mftRecord !== undefined && (paths.length > 0 || values.disk)) throw new GrtError('USAGE', '--mft names the file itself; it takes no PATH or --disk');
    if (values.stdout && !values.disk && mftRecord === undefined && paths.length !== 1) throw new GrtError('USAGE', '--stdout writes exactly one file or stream');
    const overwrite: Overwrite = values.overwrite ? 'overwrite' : values['skip-existing'] ? 'skip-existing' : 'never';
    const streams = oneOf(values.streams, ['files', 'xattr', 'skip'] as const, '--streams') ?? 'files';
    const hardLinks = oneOf(values.hardlinks, ['link', 'copy'] as const, '--hardlinks') ?? 'link';
    const volumeId = parseVolumeId(values.partition);
    const selections = paths.map(parseSelection); // USAGE for a bad path before the image is opened

    const image = await openImageArg(imagePath, values, io, NAME);
    // The image's own warnings (already on stderr) are events too, before any file's.
    const imageWarned = imageWarnings(image);
    if (values.json && !values.stdout) for (const w of imageWarned) io.stdout.write(jsonLine({ type: 'warning', path: imagePath, code: w.code, message: w.message }));
    // No output may replace a file this run reads: the image, its extents and parents, the catalog.
    const inputs = commandInputs(image.disks, [imagePath, values.catalog]);
    // Compressed grains that inflate slowly go to worker threads (started when first needed).
    if (hasCompressedGrains(image.disk)) enableInflateWorkers();
    const progress = new Progress(io.stderr);
    const started = performance.now();
    state.started = true; // from here an interruption leaves a partial result (exit 1)
    try {
      if (values.disk) {
        let bytes = image.disk.size;
        if (values.stdout) await toStdout(image.disk, io, progress, inputs);
        else bytes = await diskToFile(image.disk, values.output!, overwrite, io, progress, inputs);
        progress.done();
        const summary = { files: 1, dirs: 0, links: 0, bytes, failed: 0, skipped: 0, warnings: imageWarned.length, seconds: (performance.now() - started) / 1000 };
        if (values.json && !values.stdout) io.stdout.write(jsonLine({ type: 'summary', path: values.output, summary }));
        else if (!values.stdout) io.stderr.write(`${NAME}: wrote ${formatBytes(image.disk.size)} disk (${formatBytes(bytes)} of data) to ${values.output}\n`);
        return EXIT_OK;
      }
      let fs: FileSystem;
      if (values.catalog !== undefined) {
        // CATALOG_MISMATCH unless the catalog was made from this image: its offsets would read another disk.
        // Loaded only here: the catalog code (and its inflate tables) costs every start ~15 ms.
        const { CatalogFileSystem, chooseCatalogVolume, openImageCatalog } = await import('../catalog/index.js');
        const catalog = await openImageCatalog(values.catalog, image);
        fs = new CatalogFileSystem(catalog, chooseCatalogVolume(catalog, catalogVolumeOf(volumeId)), image.disk);
      } else {
        fs = await image.openFileSystem(volumeId);
      }
      // Warnings about the volume itself: events in --json, else stderr lines.
      if (values.json && !values.stdout) {
        for (const w of [...image.layout.warnings, ...fileSystemWarnings(fs)]) io.stdout.write(jsonLine({ type: 'warning', path: '', code: w.code, message: w.message }));
      } else {
        printMountWarnings(NAME, image, fs, io);
      }
      const byRecord = mftRecord === undefined ? undefined : await entryByRecord(fs, mftRecord);
      if (byRecord) paths.push(byRecord.path);
      if (values.deleted || byRecord) fs = new DeletedView(fs, byRecord);
      if (values.stdout) {
        const selection = selections[0];
        if (selection?.glob) throw new GrtError('USAGE', '--stdout takes one path, not a glob');
        const entry = byRecord ?? (await fs.stat(selection!.path));
        if (entry.type === 'dir') throw new GrtError('IS_A_DIRECTORY', 'cannot write a directory to stdout', { path: entry.path });
        const source = await fs.openStream(entry, selection?.stream ?? '');
        try {
          await toStdout(source, io, progress, inputs);
        } finally {
          await source.close?.();
          progress.done();
        }
        return EXIT_OK;
      }
      const onEvent = (event: RestoreEvent) => {
        if (values.json) {
          io.stdout.write(jsonLine(event));
          return;
        }
        if (event.type === 'failure' || event.type === 'warning' || event.type === 'skipped') {
          progress.done();
          io.stderr.write(`${NAME}: ${event.type === 'failure' ? '' : `${event.type}: `}${event.path}: ${event.code}: ${event.message}\n`);
        }
      };
      const summary = await restore({
        fs, paths, to: values.output!, overwrite, streams, hardLinks, onEvent, protectedFiles: inputs,
        // Totals take a first walk of everything selected: only when a progress line is shown.
        ...(progress.enabled ? { onProgress: (p: RestoreProgress) => progress.update(p) } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
      });
      progress.done();
      if (!values.json) {
        io.stderr.write(
          `${NAME}: ${counted(summary.files, 'file')}, ${counted(summary.dirs, 'directory', 'directories')}, ${counted(summary.links, 'link')}, ${formatBytes(summary.bytes)} in ${summary.seconds.toFixed(1)} s` +
            `${summary.failed ? `; ${summary.failed} failed` : ''}${summary.skipped ? `; ${summary.skipped} skipped` : ''}${summary.warnings ? `; ${counted(summary.warnings, 'warning')}` : ''}\n`,
        );
      }
      return summary.failed > 0 ? EXIT_PARTIAL : EXIT_OK;
    } finally {
      progress.done();
      await image.close();
    }
  });
}

if (isMain(import.meta.url)) runAsScript(main);
