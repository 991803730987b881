#!/usr/bin/env node
/**
 * grt-catalog: build a catalog of an image's files at backup time; export one later without the
 * image. Which of the two is meant is told by the file given: a catalog starts with its magic.
 *   grt-catalog IMAGE -o CATALOG [--json]
 *   grt-catalog CATALOG --format ndjson|bodyfile [--partition N] [--all] [--deleted]
 */
import { stat } from 'node:fs/promises';
import { FileSource } from '../io/file-source.js';
import { GrtError } from '../errors.js';
import { buildImageCatalog, chooseCatalogVolume, openCatalog, toBodyfile, toNdjson, type Catalog } from '../catalog/index.js';
import { CATALOG_MAGIC } from '../catalog/format.js';
import { IMAGE_HELP, IMAGE_OPTIONS, oneOf, parseVolumeId } from './args.js';
import { imageWarnings, openImageArg } from './open-image.js';
import { commandInputs } from './inputs.js';
import { catalogAt, isRemoteLocation, remoteOutput } from './remote-catalog.js';
import { refuseInputTarget } from '../restore/inputs.js';
import { exists } from '../restore/write.js';
import { EXIT_OK, LineWriter, Progress, counted, formatBytes, isMain, jsonLine, runAsScript, runParsed, type CliIo } from './output.js';

const NAME = 'grt-catalog';
const USAGE = `usage: grt-catalog IMAGE -o CATALOG [--overwrite] [--json]
       grt-catalog CATALOG --format ndjson|bodyfile [--partition N] [--all] [--deleted]
options:
  -o, --output FILE   where to write the catalog of every volume grt can read (or s3://bucket/key)
  --overwrite         replace FILE if it exists (never the image or a file it reads)
  --json              print one summary object: { catalog, volumes: [{ index, entries, ... }], bytes, seconds }
  --format FORMAT     export a catalog to stdout: ndjson (one JSON object a line) or bodyfile
                      (The Sleuth Kit body file, for mactime)
  --partition N       export only this volume
  --all               include NTFS metadata files ($MFT, ...)
  --deleted           include deleted entries
${IMAGE_HELP}
exit: 0 ok, 1 interrupted, 2 nothing could be done`;

const OPTIONS = {
  ...IMAGE_OPTIONS,
  partition: { type: 'string', short: 'p' },
  output: { type: 'string', short: 'o' },
  overwrite: { type: 'boolean' },
  json: { type: 'boolean' },
  format: { type: 'string' },
  all: { type: 'boolean' },
  deleted: { type: 'boolean' },
} as const;

/** True when the file at `path` starts with the catalog magic (an image never does). */
async function isCatalogFile(path: string): Promise<boolean> {
  // Opened as every input is: a missing file is NOT_FOUND as in every command, and a FIFO never hangs.
  const file = await FileSource.open(path);
  try {
    return file.size >= CATALOG_MAGIC.length && (await file.read(0, CATALOG_MAGIC.length)).every((b, i) => b === CATALOG_MAGIC[i]);
  } finally {
    await file.close();
  }
}

async function exportCatalog(catalog: Catalog, format: 'ndjson' | 'bodyfile', partition: string | undefined, values: { all?: boolean; deleted?: boolean }, io: CliIo): Promise<void> {
  const indexes = partition === undefined ? catalog.volumes.map((v) => v.index) : [chooseCatalogVolume(catalog, partition)];
  const options = { recursive: true, all: values.all ?? false, deleted: values.deleted ?? false };
  const out = new LineWriter(io.stdout);
  try {
    for (const volume of indexes) {
      const entries = catalog.list(volume, '/', options);
      const info = catalog.volumes.find((v) => v.index === volume)!;
      // A partition of the first disk by its number, as before; other volumes by their id ("2:1", "vg0/root").
      const name = info.id === String(info.index) ? info.index : info.id;
      // Several volumes in one body file: each path gets its volume as mount point ("1:/dir/file").
      const lines = format === 'ndjson' ? toNdjson(entries, { volume: name, fs: info.fs }) : toBodyfile(entries, indexes.length > 1 ? { mountPoint: `${name}:` } : {});
      for await (const line of lines) await out.line(line);
    }
  } finally {
    await out.flush();
  }
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  return runParsed(NAME, USAGE, OPTIONS, argv, io, async ({ values, positionals }, state) => {
    if (positionals.length === 0) throw new GrtError('USAGE', 'give an IMAGE (to build) or a CATALOG (to export); see --help');
    if (positionals.length > 1) throw new GrtError('USAGE', `too many arguments: ${positionals.slice(1).join(' ')}`);
    const format = oneOf(values.format, ['ndjson', 'bodyfile'] as const, '--format');
    const partition = parseVolumeId(values.partition);
    const path = positionals[0]!;

    const remoteCatalog = isRemoteLocation(path) ? await catalogAt(path, values, undefined, true) : undefined;
    if (remoteCatalog !== undefined || (!isRemoteLocation(path) && (await isCatalogFile(path)))) {
      if (!format) throw new GrtError('USAGE', `${path} is a catalog: export it with --format ndjson|bodyfile`);
      if (values.output !== undefined || values.json || values.overwrite) throw new GrtError('USAGE', 'an export goes to stdout; -o, --overwrite and --json are for building');
      const catalog = await openCatalog(remoteCatalog ?? path);
      state.started = true;
      await exportCatalog(catalog, format, partition, values, io);
      return EXIT_OK;
    }
    if (format) throw new GrtError('USAGE', `${path} is not a catalog; --format exports a catalog`);
    if (values.output === undefined) throw new GrtError('USAGE', 'no output: give -o CATALOG');
    if (partition !== undefined || values.all || values.deleted) throw new GrtError('USAGE', 'a catalog holds every volume and entry; --partition, --all and --deleted are for exports');

    // An s3:// output is built in a local temporary file, then uploaded.
    const remote = await remoteOutput(values.output, values);
    const target = remote?.path ?? values.output;
    let image: Awaited<ReturnType<typeof openImageArg>> | undefined;
    try {
      image = await openImageArg(path, values, io, NAME);
      // The catalog is written beside its name, then renamed over it: neither may be a file being read.
      const inputs = commandInputs(image.disks, [path]);
      refuseInputTarget(target, inputs);
      refuseInputTarget(`${target}.partial`, inputs);
      if (remote) await remote.checkAbsent(values.overwrite ?? false);
      else if (!values.overwrite && exists(values.output)) throw new GrtError('EXISTS', 'the catalog file exists (not overwritten; --overwrite replaces it)', { path: values.output });
    } catch (error) {
      await image?.close();
      await remote?.dispose();
      throw error;
    }
    const progress = new Progress(io.stderr);
    const started = performance.now();
    state.started = true;
    try {
      const summary = await buildImageCatalog(image, target, {
        onProgress: (p) => progress.message(`volume ${p.id ?? p.volume}: ${counted(p.entries, 'entry', 'entries')}`),
        ...(io.signal ? { signal: io.signal } : {}),
      });
      progress.done();
      const bytes = remote ? await remote.upload() : (await stat(values.output)).size;
      const seconds = (performance.now() - started) / 1000;
      const warnings = [...image.layout.warnings, ...summary.warnings];
      for (const w of warnings) io.stderr.write(`${NAME}: warning: ${w.message}\n`);
      if (values.json) {
        // The disk's own warnings are already on stderr (openImageArg); --json carries them too.
        io.stdout.write(jsonLine({ catalog: values.output, volumes: summary.volumes, bytes, seconds, warnings: [...imageWarnings(image), ...warnings] }));
      } else {
        const counts = summary.volumes.map((v) => `volume ${v.id}: ${counted(v.entries, 'entry', 'entries')}`).join(', ');
        io.stderr.write(`${NAME}: ${counts}; ${formatBytes(bytes)} written to ${values.output} in ${seconds.toFixed(1)} s\n`);
      }
      return EXIT_OK;
    } finally {
      progress.done();
      await image.close();
      await remote?.dispose();
    }
  });
}

if (isMain(import.meta.url)) runAsScript(main);
