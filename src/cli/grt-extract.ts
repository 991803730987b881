#!/usr/bin/env node
/**
 * grt-extract: restore files from a backup image, or the whole virtual disk as raw bytes.
 *   grt-extract IMAGE [--partition ID] PATH|GLOB... -o DIR [--overwrite|--skip-existing]
 *               [--streams=files|xattr|skip] [--hardlinks=link|copy] [--no-owner] [--security=xattr|skip] [--json]
 *   grt-extract IMAGE [--partition ID] PATH[:stream] --stdout
 *   grt-extract IMAGE --disk (-o FILE | --stdout)
 *   grt-extract --catalog CATALOG IMAGE ... : the same, finding files through the catalog
 */
import { GrtError } from '../errors.js';
import { createEngine, hasCompressedGrains } from '../restore/engine.js';
import type { GrainInflation } from '../vmdk/inflation.js';
import { restore, type RestoreEvent, type RestoreProgress, type RestoreSummary } from '../restore/restore.js';
import type { FileEntry, FileSystem } from '../fs/file-system.js';
import { parseSelection } from '../restore/select.js';
import type { Overwrite } from '../restore/write.js';
import { exportDisk, streamTo } from '../restore/export.js';
import { openData } from '../restore/writers/stream.js';
import { commandInputs } from './inputs.js';
import { catalogAt } from './remote-catalog.js';
import { IMAGE_HELP, IMAGE_OPTIONS, oneOf, parseCount, parseVolumeId } from './args.js';
import { DeletedView } from './deleted-view.js';
import { imageWarnings, openImageArg } from './open-image.js';
import { fileSystemWarnings, printMountWarnings } from './volume-facts.js';
import {
  EXIT_OK, EXIT_PARTIAL, Progress, counted, formatBytes, isMain, jsonLine, runAsScript, runParsed, type CliIo,
} from './output.js';

const NAME = 'grt-extract';
const USAGE = `usage: grt-extract IMAGE [--partition ID] PATH|GLOB... -o DIR [options]
       grt-extract IMAGE [--partition ID] PATH[:stream] --stdout
       grt-extract IMAGE [--partition ID] --mft N (-o DIR | --stdout)
       grt-extract IMAGE --disk (-o FILE | --stdout)
       grt-extract --catalog CATALOG IMAGE [--partition ID] PATH|GLOB... (-o DIR | --stdout) [options]
       grt-extract --index DB --backup ID PATH|GLOB... (-o DIR | --stdout) [options]
       grt-extract --index DB --version-of PATH [--before TIME] (-o DIR | --stdout) [options]
options:
  -o, --output DIR      where to restore (created if missing); with --disk, the raw image file
  --catalog FILE        find files in this catalog (grt-catalog) of IMAGE: data is read from the
                        disk at the places the catalog recorded, no file-system metadata is read
                        (a path, or an http(s):// or s3:// URL, read whole)
  --index DB --backup ID  restore from a backup registered with grt-index (its recorded image
                        and catalog; DB a SQLite file or a postgres:// URL)
  --version-of PATH [--before TIME]  with --index: PATH from the newest backup taken before TIME
                        (ISO 8601; default: the newest) that holds it
  --partition ID        the volume to read (see grt-ls --info)
  --overwrite           replace existing files (never the image or another file being read)
  --skip-existing       leave existing files and go on (default: report each as a failure)
  --streams=MODE        alternate data streams: files (NAME.STREAM.ads, default), xattr (user.STREAM), skip
  --hardlinks=MODE      link (default) or copy
  --no-owner            Linux volumes: keep the restoring user as owner (as root, uid/gid are restored)
  --security=MODE       NTFS security descriptors: skip (default) or xattr (each file's and
                        directory's descriptor as user.ntfs_acl, the bytes ntfs-3g shows as system.ntfs_acl;
                        read from the image's $Secure, so not with --catalog)
  --stdout              write one file, stream (PATH:stream) or the disk (--disk) to stdout
  --disk                the whole virtual disk as raw bytes (holes stay sparse in a file)
  --deleted             paths also name deleted entries, as grt-ls --deleted lists them
  --mft N               the file of MFT record N (in use or deleted), instead of a PATH (as icat)
  --raw-wof             WOF-compressed (Compact OS) files as stored: the sparse unnamed stream
                        and the WofCompressedData stream, not the decompressed plaintext
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
  'no-owner': { type: 'boolean' },
  security: { type: 'string' },
  json: { type: 'boolean' },
  stdout: { type: 'boolean' },
  disk: { type: 'boolean' },
  catalog: { type: 'string' },
  deleted: { type: 'boolean' },
  mft: { type: 'string' },
  index: { type: 'string' },
  backup: { type: 'string' },
  'version-of': { type: 'string' },
  before: { type: 'string' },
  'raw-wof': { type: 'boolean' },
} as const;

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

export { hasCompressedGrains };

/** USAGE errors for option combinations that make no sense; returns the --mft record if any. */
function checkUsage(
  values: { overwrite?: boolean; 'skip-existing'?: boolean; stdout?: boolean; output?: string; mft?: string; disk?: boolean; catalog?: string; 'raw-wof'?: boolean },
  paths: readonly string[],
): number | undefined {
  if (values.overwrite && values['skip-existing']) throw new GrtError('USAGE', '--overwrite and --skip-existing exclude each other');
  if (values.stdout && values.output !== undefined) throw new GrtError('USAGE', '-o and --stdout exclude each other');
  const mftRecord = parseCount(values.mft, '--mft');
  if (!values.disk && paths.length === 0 && mftRecord === undefined) throw new GrtError('USAGE', 'no PATH to extract (or --disk for the whole disk)');
  if (!values.stdout && values.output === undefined) throw new GrtError('USAGE', 'no output: give -o DIR (or --stdout)');
  if (values.disk && paths.length > 0) throw new GrtError('USAGE', '--disk takes no PATH');
  if (values.disk && values.catalog !== undefined) throw new GrtError('USAGE', '--disk copies the whole disk; it takes no --catalog');
  if (values['raw-wof'] && values.catalog !== undefined) throw new GrtError('USAGE', '--raw-wof reads the volume; a catalog restore reads what the catalog recorded');
  if (mftRecord !== undefined && (paths.length > 0 || values.disk)) throw new GrtError('USAGE', '--mft names the file itself; it takes no PATH or --disk');
  if (values.stdout && !values.disk && mftRecord === undefined && paths.length !== 1) throw new GrtError('USAGE', '--stdout writes exactly one file or stream');
  return mftRecord;
}

/** Restore events as JSON lines on stdout (--json), else failures, warnings and skips on stderr. */
function eventPrinter(json: boolean, io: CliIo, progress: Progress): (event: RestoreEvent) => void {
  return (event) => {
    if (json) {
      io.stdout.write(jsonLine(event));
      return;
    }
    if (event.type === 'failure' || event.type === 'warning' || event.type === 'skipped') {
      progress.done();
      io.stderr.write(`${NAME}: ${event.type === 'failure' ? '' : `${event.type}: `}${event.path}: ${event.code}: ${event.message}\n`);
    }
  };
}

/** The closing line of a restore on stderr. */
function summaryLine(summary: RestoreSummary): string {
  return (
    `${NAME}: ${counted(summary.files, 'file')}, ${counted(summary.dirs, 'directory', 'directories')}, ${counted(summary.links, 'link')}, ${formatBytes(summary.bytes)} in ${summary.seconds.toFixed(1)} s` +
    `${summary.failed ? `; ${summary.failed} failed` : ''}${summary.skipped ? `; ${summary.skipped} skipped` : ''}${summary.warnings ? `; ${counted(summary.warnings, 'warning')}` : ''}\n`
  );
}

/**
 * The file system to restore from: the catalog's view of the volume, or the volume itself; its
 * warnings are JSON events (`json`) or stderr lines.
 */
async function openVolume(image: Awaited<ReturnType<typeof openImageArg>>, catalogPath: string | Uint8Array | undefined, volumeId: ReturnType<typeof parseVolumeId>, json: boolean, io: CliIo, inflation: GrainInflation): Promise<FileSystem> {
  let fs: FileSystem;
  if (catalogPath !== undefined) {
    // CATALOG_MISMATCH unless the catalog was made from this image: its offsets would read another disk.
    // Loaded only here: the catalog code (and its inflate tables) costs every start ~15 ms.
    const { CatalogFileSystem, catalogSourceOf, chooseCatalogVolume, openImageCatalog } = await import('../catalog/index.js');
    const catalog = await openImageCatalog(catalogPath, image);
    fs = new CatalogFileSystem(catalog, chooseCatalogVolume(catalog, volumeId), catalogSourceOf(image), inflation);
  } else {
    fs = await image.openFileSystem(volumeId);
  }
  // Warnings about the volume itself: events in --json, else stderr lines.
  if (json) {
    for (const w of [...image.layout.warnings, ...fileSystemWarnings(fs)]) io.stdout.write(jsonLine({ type: 'warning', path: '', code: w.code, message: w.message }));
  } else {
    printMountWarnings(NAME, image, fs, io);
  }
  return fs;
}

/** How a restore treats existing targets, streams, hard links and security descriptors. */
function restoreModes(values: { overwrite?: boolean; 'skip-existing'?: boolean; streams?: string; hardlinks?: string; security?: string; catalog?: string }) {
  const overwrite: Overwrite = values.overwrite ? 'overwrite' : values['skip-existing'] ? 'skip-existing' : 'never';
  const streams = oneOf(values.streams, ['files', 'xattr', 'skip'] as const, '--streams') ?? 'files';
  const hardLinks = oneOf(values.hardlinks, ['link', 'copy'] as const, '--hardlinks') ?? 'link';
  const security = oneOf(values.security, ['xattr', 'skip'] as const, '--security') ?? 'skip';
  if (security === 'xattr' && values.catalog !== undefined) throw new GrtError('USAGE', '--security=xattr reads descriptors from the image: a catalog keeps only owner and group');
  return { overwrite, streams, hardLinks, security };
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  return runParsed(NAME, USAGE, OPTIONS, argv, io, async ({ values, positionals }, state) => {
    // --index DB --backup ID: the image and catalog the index recorded for that backup (src/index).
    if (values.index === undefined && (values.backup ?? values['version-of'] ?? values.before) !== undefined) throw new GrtError('USAGE', '--backup, --version-of and --before go with --index DB');
    const indexed = values.index !== undefined ? await (await import('../index/restore-source.js')).restoreFromIndex(values, positionals) : undefined;
    if (indexed) Object.assign(values, { catalog: indexed.catalog, partition: values.partition ?? String(indexed.volume) });
    const [imagePath, ...paths] = indexed ? [indexed.image, ...indexed.paths] : positionals;
    if (imagePath === undefined) throw new GrtError('USAGE', 'give an IMAGE, the PATHs to restore and -o DIR (see --help)');
    const mftRecord = checkUsage(values, paths);
    const { overwrite, streams, hardLinks, security } = restoreModes(values);
    const volumeId = parseVolumeId(values.partition);
    const selections = paths.map(parseSelection); // USAGE for a bad path before the image is opened

    // Compressed grains that inflate slowly go to worker threads (started when first needed): the
    // disks inflate with the engine's Inflation, which prepareFor enables workers on.
    const engine = createEngine();
    const image = await openImageArg(imagePath, values, io, NAME, engine.inflation).catch(async (error: unknown) => {
      await engine.close();
      throw error;
    });
    // The image's own warnings (already on stderr) are events too, before any file's.
    const imageWarned = imageWarnings(image);
    if (values.json && !values.stdout) for (const w of imageWarned) io.stdout.write(jsonLine({ type: 'warning', path: imagePath, code: w.code, message: w.message }));
    // No output may replace a file this run reads: the image, its extents and parents, the catalog.
    const inputs = commandInputs(image.disks, [imagePath, values.catalog]);
    engine.prepareFor(image.disk);
    const progress = new Progress(io.stderr);
    const copyOptions = { engine, protectedFiles: inputs, onProgress: progress.update.bind(progress), ...(io.signal ? { signal: io.signal } : {}) };
    const started = performance.now();
    state.started = true; // from here an interruption leaves a partial result (exit 1)
    try {
      if (values.disk) {
        let bytes = image.disk.size;
        if (values.stdout) await streamTo(image.disk, io.stdout, { ...copyOptions, name: 'stdout' });
        else bytes = await exportDisk(image.disk, values.output!, { ...copyOptions, overwrite });
        progress.done();
        const summary = { files: 1, dirs: 0, links: 0, bytes, failed: 0, skipped: 0, warnings: imageWarned.length, seconds: (performance.now() - started) / 1000 };
        if (values.json && !values.stdout) io.stdout.write(jsonLine({ type: 'summary', path: values.output, summary }));
        else if (!values.stdout) io.stderr.write(`${NAME}: wrote ${formatBytes(image.disk.size)} disk (${formatBytes(bytes)} of data) to ${values.output}\n`);
        return EXIT_OK;
      }
      const catalog = values.catalog === undefined ? undefined : await catalogAt(values.catalog, values, positionals[0]);
      let fs = await openVolume(image, catalog, volumeId, values.json === true && !values.stdout, io, engine.inflation);
      const byRecord = mftRecord === undefined ? undefined : await entryByRecord(fs, mftRecord);
      if (byRecord) paths.push(byRecord.path);
      if (values.deleted || byRecord) fs = new DeletedView(fs, byRecord);
      if (values.stdout) {
        const selection = selections[0];
        if (selection?.glob) throw new GrtError('USAGE', '--stdout takes one path, not a glob');
        const entry = byRecord ?? (await fs.stat(selection!.path));
        if (entry.type === 'dir') throw new GrtError('IS_A_DIRECTORY', 'cannot write a directory to stdout', { path: entry.path });
        const { source } = await openData(fs, entry, selection?.stream ?? '');
        try {
          await streamTo(source, io.stdout, { ...copyOptions, name: 'stdout' });
        } finally {
          await source.close?.();
          progress.done();
        }
        return EXIT_OK;
      }
      const onEvent = eventPrinter(values.json === true, io, progress);
      const summary = await restore({
        engine, fs, paths, to: values.output!, overwrite, streams, hardLinks, security, onEvent, protectedFiles: inputs, owner: values['no-owner'] !== true,
        // Totals take a first walk of everything selected: only when a progress line is shown.
        ...(progress.enabled ? { onProgress: (p: RestoreProgress) => progress.update(p) } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
      });
      progress.done();
      if (!values.json) io.stderr.write(summaryLine(summary));
      return summary.failed > 0 ? EXIT_PARTIAL : EXIT_OK;
    } finally {
      progress.done();
      await engine.close();
      await image.close();
    }
  });
}

if (isMain(import.meta.url)) runAsScript(main);
