/**
 * Restore files, directories, streams and links from a read-only FileSystem to a local directory.
 * The library call a backup product makes; `grt-extract` is a thin wrapper around it.
 *
 * Guarantees: every output path is inside `to` (names made safe per component, directories
 * checked with lstat, files opened O_EXCL|O_NOFOLLOW); a file appears under its final name only
 * complete (temp + rename); a failure costs that file only (a 'failure' event) and the restore
 * goes on; every alternate data stream is restored or reported 'skipped'; abort removes the file
 * in progress and throws GrtError ABORTED. A directory's children are written once the walk has
 * listed them (files of up to one chunk several at a time, larger ones alone): memory follows the
 * directories the walk is inside (their children) plus one small record per directory (its times)
 * and per multiply-linked file, never a list of every entry.
 *
 * The parts: plan.ts (selection, walk batching), out-tree.ts (output names and directories),
 * writers/ (one per entry kind), reporter.ts (events, counts, progress), sharing one
 * RestoreContext (context.ts); the safety primitives are write.ts, safe-name.ts and target.ts.
 */
import { realpath } from 'node:fs/promises';
import { GrtError } from '../errors.js';
import type { FileSystem } from '../fs/file-system.js';
import type { RestoreContext } from './context.js';
import { withEngine, type Engine } from './engine.js';
import type { InputFile } from './inputs.js';
import { OutputTree } from './out-tree.js';
import { makeOutputDir } from './output-dir.js';
import { countTotals, reserveSelected, restoreSelected } from './plan.js';
import { Reporter } from './reporter.js';
import { defaultNameRules, type NameRules } from './safe-name.js';
import { parseSelection, resolveSelections } from './select.js';
import { probeCaseInsensitive } from './target.js';
import { ioError, throwIfAborted, type Overwrite } from './write.js';
import { setDirTimes } from './writers/dir.js';
import type { SecurityMode } from './security-xattr.js';

export interface RestoreProgress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export interface RestoreSummary {
  files: number;
  dirs: number;
  links: number;
  bytes: number;
  failed: number;
  skipped: number;
  warnings: number;
  seconds: number;
}

export type RestoreEvent =
  | { type: 'file'; path: string; target: string; bytes: number }
  | { type: 'dir'; path: string; target: string }
  | { type: 'link'; path: string; target: string; link: 'hard' | 'symbolic'; to: string }
  | { type: 'warning' | 'failure' | 'skipped'; path: string; target?: string; code: string; message: string }
  | { type: 'summary'; path: string; summary: RestoreSummary };

export interface RestoreOptions {
  fs: FileSystem;
  /** Paths, `PATH:stream`, or globs (`*`, `?`, `**`; case-insensitive). */
  paths: string[];
  /** Output directory (created if missing). */
  to: string;
  overwrite?: Overwrite;
  /** Alternate data streams: sibling `<name>.<stream>.ads` files (default), `user.<stream>` xattrs, or skipped (reported). */
  streams?: 'files' | 'xattr' | 'skip';
  hardLinks?: 'link' | 'copy';
  /** 'xattr': keep each NTFS file's security descriptor as the `user.ntfs_acl` xattr (security-xattr.ts); default 'skip'. */
  security?: SecurityMode;
  /**
   * Linux volumes: give restored entries their uid/gid when running as root (default true; false
   * is `--no-owner`). Without root the restoring user owns everything, as with tar.
   */
  owner?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: RestoreProgress) => void;
  onEvent?: (event: RestoreEvent) => void;
  /** Name rules; default: Win32 rules on Windows, case sensitivity probed on `to`. */
  nameRules?: NameRules;
  /**
   * Files this restore reads (image, extents, parents, catalog: `VirtualDisk.inputFiles()`):
   * none of them is ever replaced, even with `overwrite: 'overwrite'` (an UNSAFE_PATH failure).
   */
  protectedFiles?: readonly InputFile[];
  /** The engine to restore with (createEngine); default: one of its own, closed before returning. */
  engine?: Engine;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function restore(options: RestoreOptions): Promise<RestoreSummary> {
  return withEngine(options.engine, (engine) => restoreWith(engine, options));
}

async function restoreWith(engine: Engine, options: RestoreOptions): Promise<RestoreSummary> {
  const reporter = new Reporter(options.onEvent, options.onProgress);
  if (options.paths.length === 0) throw new GrtError('USAGE', 'nothing to restore: give at least one path');
  const selections = options.paths.map(parseSelection);
  throwIfAborted(options.signal);
  makeOutputDir(options.to);
  const root = await realpath(options.to).catch((cause) => {
    throw ioError(cause, 'realpath', options.to);
  });
  const rules = options.nameRules ?? defaultNameRules(await probeCaseInsensitive(root));

  const missing: { path: string; error: GrtError }[] = [];
  const selectedEntries = await resolveSelections(options.fs, selections, (selection, error) => missing.push({ path: selection.path, error }));
  // Reported only once something resolved: when nothing did, resolveSelections threw (nothing to start).
  for (const { path, error } of missing) reporter.report('failure', path, error);

  const ctx: RestoreContext = {
    engine,
    fs: options.fs,
    signal: options.signal,
    overwrite: options.overwrite ?? 'never',
    streamsMode: options.streams ?? 'files',
    hardLinks: options.hardLinks ?? 'link',
    security: options.security ?? 'skip',
    inputs: options.protectedFiles,
    root,
    rules,
    tree: new OutputTree(root, rules),
    reporter,
    writeSpeed: { slowChunks: 0 },
    hardLinked: new Map(),
    dirTimes: [],
    pinned: new Set(),
    posix: options.fs.nameRule().kind === 'bytes',
    owner: options.owner !== false && isRoot(),
    privileged: isRoot(),
    xattrTool: undefined,
    nativeTimes: undefined,
  };
  if (reporter.wantsProgress) await countTotals(ctx, selectedEntries);
  reserveSelected(ctx, selectedEntries);
  await restoreSelected(ctx, selectedEntries);
  await setDirTimes(ctx);
  return reporter.finish(options.to);
}
