#!/usr/bin/env node
/**
 * grt-ls: what is in a backup image.
 *   grt-ls IMAGE --info [--json]                  image facts and the partition table
 *   grt-ls IMAGE [--partition ID] [PATH] [-R] [-l] [--json] [--all] [--deleted]
 *   grt-ls --catalog CATALOG [--partition ID] [PATH] [-R] [-l] [--json] [--all] [--deleted]
 *   grt-ls (IMAGE | --catalog CATALOG) [--partition ID] --find GLOB [-l] [--json] [--all] [--deleted]
 *   grt-ls PACKAGE.ova --verify [--json]
 */
import { GrtError } from '../errors.js';
import type { openCatalog } from '../catalog/index.js';
import type { FileEntry, FileSystem, ListOptions, NameEntry } from '../fs/file-system.js';
import { IsoCache, nsToWholeSeconds } from '../util/time.js';
import { IMAGE_HELP, IMAGE_OPTIONS, parseVolumeId } from './args.js';
import { DeletedView } from './deleted-view.js';
import { openImageArg } from './open-image.js';
import { infoJson, infoText } from './info.js';
import { mountedFacts, printMountWarnings } from './volume-facts.js';
import { EXIT_OK, isMain, jsonLine, LineWriter, runAsScript, runParsed, throwIfStopped, type CliIo } from './output.js';

const NAME = 'grt-ls';
const USAGE = `usage: grt-ls IMAGE --info [--json]
       grt-ls IMAGE [--partition ID] [PATH] [-R] [-l] [--json] [--all] [--deleted]
       grt-ls --catalog CATALOG [--partition ID] [PATH] [-R] [-l] [--json] [--all] [--deleted]
       grt-ls (IMAGE | --catalog CATALOG) [--partition ID] --find GLOB [-l] [--json] [--all] [--deleted]
       grt-ls PACKAGE.ova --verify [--json]
options:
  --info            image format, capacity, extents, snapshot chain and partitions
  --catalog FILE    list from a catalog (grt-catalog) alone, without the image (a path, or an
                    http(s):// or s3:// URL, read whole)
  --find GLOB       entries whose name matches (case-insensitive; * ? within a name, ** across
                    directories); a GLOB with '/' matches whole paths from the volume root
  --partition ID    the volume to list (see --info); needed when the disk has several
  -R, --recursive   list subdirectories too
  -l, --long        type, MFT record number, size, modification time, name
  --json            one JSON object per line on stdout
  --all             include NTFS metadata files ($MFT, ...)
  --deleted         include deleted entries
  --security        NTFS owner and group (-l: names of well-known SIDs; --json: owner, group
                    and dacl [{type, sid, mask, flags}]); read from $Secure, so slower;
                    from a catalog: owner and group as the catalog keeps them (no dacl)
  --raw-wof         WOF-compressed (Compact OS) files as stored (sparse, WofCompressedData listed)
  --verify          an .ova: check each file against the SHA-1/SHA-256 of its .mf manifest, each
                    gzip'd disk against its gzip CRC32 and ISIZE (decompressed to its end), and
                    the .mf's signature in its .cert (the certificate chain is not checked)
${IMAGE_HELP}
exit: 0 ok (damaged entries are listed with their warnings), 1 interrupted, 2 nothing could be listed`;

const OPTIONS = {
  ...IMAGE_OPTIONS,
  info: { type: 'boolean' },
  json: { type: 'boolean' },
  partition: { type: 'string', short: 'p' },
  recursive: { type: 'boolean', short: 'R' },
  long: { type: 'boolean', short: 'l' },
  all: { type: 'boolean' },
  deleted: { type: 'boolean' },
  catalog: { type: 'string' },
  find: { type: 'string' },
  security: { type: 'boolean' },
  'raw-wof': { type: 'boolean' },
  verify: { type: 'boolean' },
} as const;

/** Prints one entry: its JSON row (fs/entry-json.ts) or its text line. */
type Printer = (entry: FileEntry, name: string) => Promise<void>;

/** What a `-l` line needs besides the entry: its time column, and the names of well-known SIDs. */
interface LongColumns {
  mtimes: MtimeColumn;
  sidName: (sid: string) => string;
}

/**
 * Prints one entry a line; a stop signal (SIGINT, SIGTERM, SIGHUP) ends the listing between
 * entries. The JSON rows' builder and the SID names are loaded for `--json` and `-l` only (a
 * module less each for every other start).
 */
async function printer(out: LineWriter, fsKind: string, values: { json?: boolean; long?: boolean }, signal: AbortSignal | undefined, addSecurity?: AddSecurity): Promise<Printer> {
  // One cache per listing: rows in the same second share the formatted date.
  const isoCache = new IsoCache();
  const long: LongColumns | undefined = values.long && !values.json ? { mtimes: new MtimeColumn(isoCache), sidName: (await import('../fs/sid-names.js')).sidName } : undefined;
  const entryToJSON = values.json ? (await import('../fs/entry-json.js')).entryToJSON : undefined;
  return async (e, name) => {
    throwIfStopped(signal);
    if (addSecurity && !e.deleted) await addSecurity(e);
    return out.line(entryToJSON ? jsonLine(entryToJSON(e, { fs: fsKind, isoCache })) : entryText(e, name, long));
  };
}

const TYPE_CHAR: Record<FileEntry['type'], string> = { file: '-', dir: 'd', symlink: 'l', junction: 'j', other: '?' };

/** A plain listing's line: the name, `/` after a directory's, and the marks a name needs. */
function nameText(entry: NameEntry, name: string): string {
  if (entry.deleted === undefined && entry.undecodable === undefined) return entry.type === 'dir' ? `${name}/\n` : `${name}\n`;
  const suffix = entry.type === 'dir' ? '/' : '';
  return `${name}${suffix}${entry.deleted ? ' (deleted)' : ''}${entry.undecodable ? ` (${entry.undecodable}: not readable)` : ''}\n`;
}

/**
 * The lines of one batch of a plain listing, as one string (one `LineWriter.add` a batch, not one
 * a line: a listing prints 100,000 lines). `shown`: the name or path a line shows.
 */
function nameLines(entries: readonly NameEntry[], shown: (entry: NameEntry) => string, keep: (entry: NameEntry) => boolean = () => true): string {
  let text = '';
  for (const entry of entries) if (keep(entry)) text += nameText(entry, shown(entry));
  return text;
}

/**
 * The time column of `-l`: `YYYY-MM-DD HH:MM:SSZ` (UTC, marked as such: file systems store UTC,
 * and a listing read elsewhere must not be taken for local time), `invalidZ` past Date's range.
 * Rows share seconds, so the last second's text is kept.
 */
export class MtimeColumn {
  private second = Number.NaN;
  private text = '';

  constructor(private readonly isoCache: IsoCache) {}

  of(ns: bigint): string {
    const second = nsToWholeSeconds(ns);
    if (second !== this.second) {
      const whole = this.isoCache.whole(second);
      this.text = whole === '' ? 'invalidZ' : `${whole.replace('T', ' ').slice(0, 19)}Z`;
      this.second = second;
    }
    return this.text;
  }
}

function entryText(entry: FileEntry, name: string, long: LongColumns | undefined): string {
  if (!long) return nameText(entry, name);
  const { mtimes, sidName } = long;
  const suffix = entry.type === 'dir' ? '/' : '';
  const link = entry.target !== undefined ? ` -> ${entry.target}` : '';
  const flags = `${entry.deleted ? ' (deleted)' : ''}${entry.undecodable ? ` (${entry.undecodable}: not readable)` : ''}`;
  const mtime = mtimes.of(entry.times.mtime);
  const owner = entry.security ? ` ${sidName(entry.security.owner ?? '-').padEnd(24)} ${sidName(entry.security.group ?? '-').padEnd(24)}` : '';
  // The file's number (MFT record, inode), as `ls -i` shows inodes: what `grt-extract --mft N` takes.
  return `${TYPE_CHAR[entry.type]} ${String(entry.id.record).padStart(9)} ${String(entry.size).padStart(14)}${owner} ${mtime} ${name}${suffix}${link}${flags}\n`;
}

/** Fills `entry.security` from the volume (NTFS only); a damaged descriptor becomes a warning. */
type AddSecurity = (entry: FileEntry) => Promise<void>;

function securityAdder(fs: FileSystem): AddSecurity | undefined {
  if (!fs.readSecurity) return undefined;
  const read = fs.readSecurity.bind(fs);
  return async (entry) => {
    try {
      entry.security = (await read(entry)) ?? {};
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      entry.warnings = [...entry.warnings, { code: error.code, message: `security descriptor: ${error.message}` }];
    }
  };
}

/** No -l, --json or --security: a line shows only what `FileSystem.listNames` gives. */
function isPlain(values: { json?: boolean; long?: boolean }, addSecurity: AddSecurity | undefined): boolean {
  return !values.json && !values.long && addSecurity === undefined;
}

async function list(fs: FileSystem, path: string, values: { json?: boolean; long?: boolean; recursive?: boolean; all?: boolean; deleted?: boolean }, io: CliIo, addSecurity?: AddSecurity): Promise<number> {
  const options = { all: values.all ?? false, deleted: values.deleted ?? false };
  const entry = await fs.stat(path);
  const out = new LineWriter(io.stdout);
  const print = await printer(out, fs.kind, values, io.signal, addSecurity);
  // Recursive: paths relative to the listed directory.
  const base = entry.path === '/' ? '/' : `${entry.path}/`;
  const shown = (child: NameEntry): string => (!values.recursive ? child.name : child.path.startsWith(base) ? child.path.slice(base.length) : child.path);
  try {
    if (entry.type !== 'dir') {
      await print(entry, entry.path);
    } else if (fs.listNames && isPlain(values, addSecurity)) {
      // Names and types only: ext and XFS read them from the directory entries, not every inode.
      for await (const children of fs.listNames(entry.path, { ...options, recursive: values.recursive === true })) {
        throwIfStopped(io.signal);
        if (out.add(nameLines(children, shown))) await out.flush();
      }
    } else if (!values.recursive) {
      for (const child of await fs.readDir(path, options)) await print(child, child.name);
    } else {
      // Recursive: the file system's walk (for NTFS from the root: one linear MFT pass, not one index
      // read per directory). Damaged records are warnings on their entries (or on the volume), not
      // failures of the listing.
      for await (const child of fs.walk(entry.path, options)) await print(child, shown(child));
    }
  } finally {
    await out.flush(); // what was listed before a failure is still printed
  }
  return EXIT_OK;
}

/** Entries matching `glob`: the catalog's name search, or a walk of the live volume. */
async function find(source: { catalog: Awaited<ReturnType<typeof openCatalog>>; volume: number } | FileSystem, glob: string, values: { json?: boolean; long?: boolean; all?: boolean; deleted?: boolean }, io: CliIo, addSecurity?: AddSecurity): Promise<number> {
  const options: ListOptions = { all: values.all ?? false, deleted: values.deleted ?? false };
  const out = new LineWriter(io.stdout);
  const kind = 'catalog' in source ? source.catalog.volumes.find((v) => v.index === source.volume)?.fs ?? 'ntfs' : source.kind;
  const print = await printer(out, kind, values, io.signal, addSecurity);
  try {
    if ('catalog' in source) {
      for await (const entry of source.catalog.find(source.volume, glob, options)) await print(entry, entry.path);
    } else {
      const { compileGlob } = await import('../util/glob.js'); // only --find on a live volume needs it
      const pattern = compileGlob(glob);
      const matches = (entry: NameEntry): boolean => pattern.test(pattern.matchesPath ? entry.path : entry.name);
      if (source.listNames && isPlain(values, addSecurity)) {
        for await (const entries of source.listNames('/', { ...options, recursive: true })) {
          throwIfStopped(io.signal);
          if (out.add(nameLines(entries, (entry) => entry.path, matches))) await out.flush();
        }
      } else {
        for await (const entry of source.walk('/', options)) if (matches(entry)) await print(entry, entry.path);
      }
    }
  } finally {
    await out.flush();
  }
  return EXIT_OK;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  return runParsed(NAME, USAGE, OPTIONS, argv, io, async ({ values, positionals }, state) => {
    if (positionals.length > 2) throw new GrtError('USAGE', `too many arguments: ${positionals.slice(2).join(' ')} (one IMAGE, one PATH)`);
    if (values.info && positionals.length > 1) throw new GrtError('USAGE', '--info takes no PATH');
    if (values.verify) {
      if (values.catalog !== undefined || values.info || values.find !== undefined || positionals.length > 1) throw new GrtError('USAGE', '--verify checks one .ova: it takes no PATH, --catalog, --info or --find');
      const { verifyPackage } = await import('./verify-ova.js'); // its hashing (node:crypto) only for --verify
      return await verifyPackage(positionals[0], values, io, state);
    }
    const volumeId = parseVolumeId(values.partition);
    if (values.find !== undefined && (values.recursive || positionals.length > (values.catalog === undefined ? 1 : 0))) {
      throw new GrtError('USAGE', '--find searches the whole volume; it takes no PATH or -R (put a directory in the GLOB: /dir/**/*.txt)');
    }
    if (values.catalog !== undefined) {
      if (values.info) throw new GrtError('USAGE', '--info describes an image, not a catalog');
      if (positionals.length > 1) throw new GrtError('USAGE', `too many arguments: ${positionals.slice(1).join(' ')} (with --catalog, one PATH)`);
      // Loaded only here: the catalog code (and its inflate tables) costs every start ~15 ms.
      const [{ CatalogFileSystem, chooseCatalogVolume, openCatalog }, { catalogAt }] = await Promise.all([import('../catalog/index.js'), import('./remote-catalog.js')]);
      const catalog = await openCatalog((await catalogAt(values.catalog, values))!);
      const volume = chooseCatalogVolume(catalog, volumeId);
      state.started = true;
      const catalogFs = new CatalogFileSystem(catalog, volume);
      // A catalog keeps owner and group (format 4.0), not the DACL.
      const addSecurity = values.security ? securityAdder(catalogFs) : undefined;
      if (values.find !== undefined) return await find({ catalog, volume }, values.find, values, io, addSecurity);
      return await list(catalogFs, positionals[0] ?? '/', values, io, addSecurity);
    }
    const image = await openImageArg(positionals[0], values, io, NAME);
    state.started = true;
    try {
      if (values.info) {
        const facts = await mountedFacts(image);
        io.stdout.write(values.json ? jsonLine(infoJson(image, facts)) : infoText(image, facts));
        return EXIT_OK;
      }
      const mounted = await image.openFileSystem(volumeId);
      printMountWarnings(NAME, image, mounted, io);
      // With --deleted, a PATH may name a deleted entry (a deleted directory), as grt-extract takes it.
      const fs = values.deleted ? new DeletedView(mounted) : mounted;
      const addSecurity = values.security ? securityAdder(mounted) : undefined;
      // Damage the listing itself meets (a directory entry skipped) lands in the volume's warnings.
      const mountWarnings = mounted.warnings?.length ?? 0;
      try {
        if (values.find !== undefined) return await find(fs, values.find, values, io, addSecurity);
        return await list(fs, positionals[1] ?? '/', values, io, addSecurity);
      } finally {
        for (const w of mounted.warnings?.slice(mountWarnings) ?? []) io.stderr.write(`${NAME}: warning: ${w.message}\n`);
      }
    } finally {
      await image.close();
    }
  });
}

if (isMain(import.meta.url)) runAsScript(main);
