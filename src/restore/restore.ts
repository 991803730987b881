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
 */
import { futimesSync, lutimesSync, symlinkSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { GrtError } from '../errors.js';
import type { FileEntry, FileSystem, StreamLayout } from '../fs/file-system.js';
import { nsToUnixSeconds } from '../util/time.js';
import { defaultNameRules, type NameRules } from './safe-name.js';
import { InFlight } from './in-flight.js';
import { withEngine, type Engine } from './engine.js';
import { OutputTree, sidecarKey, sidecarName, type OutDir } from './out-tree.js';
import { parseSelection, resolveSelections, splitPath } from './select.js';
import { refuseInputTarget, type InputFile } from './inputs.js';
import { makeOutputDir } from './output-dir.js';
import { linkEscape, probeCaseInsensitive, resolveLinkTarget } from './target.js';
import { writeXattrs, xattrToolAvailable, XATTR_MAX_BYTES } from './xattr.js';
import { withSecurityXattr, type SecurityMode } from './security-xattr.js';
import { quoteText } from '../util/quote.js';
import {
  CHUNK_BYTES, closeTemp, commit, copyRanges, createTemp, FILES_IN_FLIGHT, dataRanges, discard, exists, existsError, hardLink, ioError, tempPathBeside, throwIfAborted, type Overwrite, type WriteSpeed,
} from './write.js';

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

interface PlanItem {
  entry: FileEntry;
  /** Named stream asked for alone (`PATH:stream`). */
  stream?: string;
  /** Image-path components relative to the restore root. */
  relative: string[];
  /** Met by the walk of a selected directory: all its siblings are restored too. */
  walked?: boolean;
}

/**
 * A directory met by the walk of a selected directory. Only directories whose subtree the walk is
 * still in are kept (a walk lists each subtree contiguously, parents before children), so memory
 * follows the depth and width of the tree, not its size.
 */
interface WalkDir {
  path: string;
  relative: string[];
  parent: WalkDir | undefined;
  depth: number;
  /** Paths of the child directories met so far, forgotten when this one is finished. */
  childDirs: string[];
}

function isAncestorOrSelf(ancestor: WalkDir, dir: WalkDir): boolean {
  let node: WalkDir | undefined = dir;
  while (node && node.depth > ancestor.depth) node = node.parent;
  return node === ancestor;
}

export function restore(options: RestoreOptions): Promise<RestoreSummary> {
  return withEngine(options.engine, (engine) => restoreWith(engine, options));
}

async function restoreWith(engine: Engine, options: RestoreOptions): Promise<RestoreSummary> {
  const started = performance.now();
  const { fs, signal } = options;
  const overwrite = options.overwrite ?? 'never';
  const streamsMode = options.streams ?? 'files';
  const hardLinks = options.hardLinks ?? 'link';
  const inputs = options.protectedFiles;
  const emit = options.onEvent ?? (() => undefined);
  const summary: RestoreSummary = { files: 0, dirs: 0, links: 0, bytes: 0, failed: 0, skipped: 0, warnings: 0, seconds: 0 };
  const report = (type: 'warning' | 'failure' | 'skipped', path: string, error: GrtError | { code: string; message: string }, target?: string) => {
    if (type === 'warning') summary.warnings++;
    else if (type === 'failure') summary.failed++;
    else summary.skipped++;
    emit(target === undefined ? { type, path, code: error.code, message: error.message } : { type, path, target, code: error.code, message: error.message });
  };

  if (options.paths.length === 0) throw new GrtError('USAGE', 'nothing to restore: give at least one path');
  const selections = options.paths.map(parseSelection);
  throwIfAborted(signal);
  makeOutputDir(options.to);
  const root = await realpath(options.to).catch((cause) => {
    throw ioError(cause, 'realpath', options.to);
  });
  const rules = options.nameRules ?? defaultNameRules(await probeCaseInsensitive(root));

  const missing: { path: string; error: GrtError }[] = [];
  const selectedEntries = await resolveSelections(fs, selections, (selection, error) => missing.push({ path: selection.path, error }));
  // Reported only once something resolved: when nothing did, resolveSelections threw (nothing to start).
  for (const { path, error } of missing) report('failure', path, error);

  // Totals for progress: a first walk that only counts (no entry is kept), made only when asked for.
  const progress: RestoreProgress = { bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0 };
  const streamBytes = (entry: FileEntry) => (streamsMode === 'skip' ? 0 : entry.streams.reduce((sum, s) => sum + s.size, 0));
  const count = (entry: FileEntry, stream?: string) => {
    progress.bytesTotal +=
      stream !== undefined ? (entry.streams.find((s) => s.name === stream)?.size ?? 0) : entry.type === 'file' ? entry.size + streamBytes(entry) : 0;
    if (entry.type !== 'dir' || stream !== undefined) progress.filesTotal++;
  };
  if (options.onProgress) {
    for (const selected of selectedEntries) {
      throwIfAborted(signal);
      count(selected.entry, selected.stream);
      if (selected.entry.type !== 'dir' || selected.stream !== undefined) continue;
      for await (const entry of fs.walk(selected.entry.path)) {
        throwIfAborted(signal);
        count(entry);
      }
    }
  }
  // One for the whole restore: a target found slow (a network share) stays slow for later files.
  const writeSpeed: WriteSpeed = { slowChunks: 0 };
  /** Progress only: `summary.bytes` counts the bytes of files that were completed. */
  const tick = (bytes: number) => {
    progress.bytesDone += bytes;
    options.onProgress?.({ ...progress });
  };
  /** A file (or link) finished, restored or not: reported, so the last report says every file is done. */
  const fileDone = () => {
    progress.filesDone++;
    options.onProgress?.({ ...progress });
  };

  // Names are allocated before anything is written into a directory, so that entries of the image
  // get their own names and sidecar files (allocated as they are written) take the suffixed ones:
  // the selected entries' names now, the names in a walked directory as the walk lists them, and
  // a sibling named like a sidecar just before the sidecar is written (keepImageName).
  const tree = new OutputTree(root, rules);
  const reserve = (relative: string[], isDir: boolean) => {
    try {
      tree.reserve(relative, isDir);
    } catch {
      // A clash (a file where a directory must go) is reported when that entry is restored.
    }
  };
  for (const item of selectedEntries) if (item.stream === undefined) reserve(item.relative, item.entry.type === 'dir');
  // Output directories on the way to a selected entry are never forgotten: another selection may
  // restore into them later.
  const pinned = new Set<string>();
  for (const item of selectedEntries) for (let n = 0; n <= item.relative.length; n++) pinned.add(JSON.stringify(item.relative.slice(0, n)));
  const outDir = (relative: string[]) => tree.dir(relative);
  /** One small record per restored directory: its times are set last, once its contents are written. */
  const dirTimes: { path: string; image: string; atime: bigint; mtime: bigint }[] = [];

  /** First names of multiply-linked files: where they went, their sidecars, and whether they were written. */
  const hardLinked = new Map<string, { path: string; streams: Map<string, string>; written: Promise<boolean> }>();
  let xattrChecked: boolean | undefined;

  /** Write one stream of `entry` to `final` through a temp file; returns false when skipped as existing. */
  const writeStream = async (entry: FileEntry, streamName: string, size: number, final: string, outDir: OutDir, xattrs?: Map<string, Uint8Array>) => {
    const dir = outDir.path;
    // In a directory this restore created, only its own names exist (and commit refuses a clash anyway).
    if (overwrite !== 'overwrite' && !outDir.created && exists(final)) {
      if (overwrite === 'skip-existing') return false;
      throw existsError(final);
    }
    if (overwrite === 'overwrite' && !outDir.created) refuseInputTarget(final, inputs); // before copying, not only at the rename
    let layout: StreamLayout | undefined;
    try {
      layout = await fs.streamLayout(entry, streamName);
    } catch {
      // NOTE: a layout is only an optimisation (holes); without one every byte is written, and
      // openStream gives the error itself if the stream cannot be read at all.
      layout = undefined;
    }
    // From the layout when the file system can: the file's record is not found and parsed twice.
    const source = layout && fs.openLayout ? fs.openLayout(layout) : await fs.openStream(entry, streamName);
    try {
      const temp = createTemp(engine, dir, final.slice(dir.length + 1));
      try {
        try {
          await copyRanges(engine, source, temp, dataRanges(layout, size), size, (chunk) => tick(chunk.length), signal, writeSpeed);
          futimesSync(temp.fd, nsToUnixSeconds(entry.times.atime), nsToUnixSeconds(entry.times.mtime)); // sync: see write.ts
        } finally {
          closeTemp(temp);
        }
        const xattrFailures = xattrs && xattrs.size > 0 ? await writeXattrs(temp.path, xattrs) : undefined;
        commit(temp.path, final, overwrite, inputs);
        if (xattrs && xattrFailures) reportXattrs(entry, xattrs, xattrFailures, final);
      } catch (error) {
        discard(temp.path);
        throw error;
      }
    } finally {
      await source.close?.();
    }
    summary.bytes += size;
    return true;
  };

  /** Each xattr set counts its bytes; each one that could not be set is a failure of its stream. */
  const reportXattrs = (entry: FileEntry, xattrs: Map<string, Uint8Array>, failures: Map<string, GrtError>, target: string) => {
    for (const [name, value] of xattrs) {
      const failure = failures.get(name);
      if (failure) report('failure', `${entry.path}:${name}`, failure, target);
      else summary.bytes += value.length;
    }
  };

  /**
   * A walk lists a directory's children together only when it is breadth-first; a depth-first one
   * (from the NTFS root, from a catalog) may list a sibling named `<name>.<stream>.ads` after a
   * subdirectory, when the sidecar has been written. So before a sidecar takes its name, an image
   * entry of that name beside `item` has it reserved (one lookup; named streams are rare).
   */
  const keepImageName = async (item: PlanItem, name: string) => {
    const { path, name: own } = item.entry;
    if (!path.endsWith(`/${own}`)) return; // a hostile name holding '/': its siblings are not found by path
    const parentPath = path.slice(0, -own.length - 1) || '/';
    try {
      const sibling = await fs.stat(parentPath === '/' ? `/${name}` : `${parentPath}/${name}`);
      reserve([...item.relative.slice(0, -1), sibling.name], sibling.type === 'dir');
    } catch (error) {
      if (!(error instanceof GrtError)) throw error; // none (NOT_FOUND), or unreadable: nothing to keep
    }
  };

  /** Named streams of a file in the chosen mode: sidecar files, or xattrs to set on the main file. */
  const namedStreams = async (
    item: PlanItem,
    dir: OutDir,
    finalPath: string,
    sidecars: { linkFrom?: Map<string, string>; record?: Map<string, string> },
  ): Promise<Map<string, Uint8Array> | undefined> => {
    const entry = item.entry;
    if (entry.streams.length === 0) return undefined;
    if (streamsMode === 'skip') {
      for (const s of entry.streams) report('skipped', `${entry.path}:${s.name}`, { code: 'SKIPPED', message: 'alternate data stream not restored (--streams=skip)' });
      return undefined;
    }
    if (streamsMode === 'xattr') {
      xattrChecked ??= await xattrToolAvailable();
      const values = new Map<string, Uint8Array>();
      for (const s of entry.streams) {
        const path = `${entry.path}:${s.name}`;
        if (!xattrChecked) report('skipped', path, { code: 'UNSUPPORTED', message: 'xattrs need the setfattr tool, which is not installed' }, finalPath);
        else if (s.size > XATTR_MAX_BYTES) report('skipped', path, { code: 'UNSUPPORTED', message: `stream of ${s.size} bytes is larger than an xattr may be (${XATTR_MAX_BYTES})` }, finalPath);
        else {
          try {
            const source = await fs.openStream(entry, s.name);
            try {
              values.set(s.name, (await source.read(0, s.size)).slice());
            } finally {
              await source.close?.();
            }
            tick(s.size);
          } catch (error) {
            report('failure', path, ioError(error, 'read', path), finalPath);
          }
        }
      }
      return values;
    }
    for (const s of entry.streams) {
      const path = `${entry.path}:${s.name}`;
      const wanted = sidecarName(entry.name, s.name);
      if (item.walked) await keepImageName(item, wanted);
      const sidecar = tree.file(dir, sidecarKey(entry.name, s.name), wanted);
      try {
        const linkedFrom = sidecars.linkFrom?.get(s.name);
        if (linkedFrom !== undefined) hardLink(engine, linkedFrom, sidecar, dir.path, overwrite, inputs);
        else if (!(await writeStream(entry, s.name, s.size, sidecar, dir))) {
          report('skipped', path, { code: 'EXISTS', message: 'target exists (--skip-existing)' }, sidecar);
          continue;
        }
        sidecars.record?.set(s.name, sidecar);
        summary.files++;
        emit({ type: 'file', path, target: sidecar, bytes: s.size });
      } catch (error) {
        if (error instanceof GrtError && error.code === 'ABORTED') throw error;
        report('failure', path, ioError(error, 'write', sidecar), sidecar);
      }
    }
    return undefined;
  };

  /** Named streams of a directory: sidecars beside it in its parent, or xattrs on it. */
  const directoryStreams = async (item: PlanItem, dirPath: string) => {
    if (item.relative.length === 0) {
      for (const s of item.entry.streams) {
        report('skipped', `${item.entry.path}:${s.name}`, { code: 'UNSUPPORTED', message: 'a stream of the directory restored as the output root has no place beside it' }, dirPath);
      }
      return;
    }
    const parent = outDir(item.relative.slice(0, -1));
    const xattrs = await namedStreams(item, parent, dirPath, {});
    if (!xattrs || xattrs.size === 0) return;
    reportXattrs(item.entry, xattrs, await writeXattrs(dirPath, xattrs), dirPath);
  };

  const restoreItem = async (item: PlanItem) => {
    throwIfAborted(signal);
    const entry = item.entry;
    const label = item.stream === undefined ? entry.path : `${entry.path}:${item.stream}`;
    let target: string | undefined;
    try {
      if (entry.type === 'dir' && item.stream === undefined) {
        const dir = outDir(item.relative);
        target = dir.path;
        dirTimes.push({ path: dir.path, image: entry.path, atime: entry.times.atime, mtime: entry.times.mtime });
        summary.dirs++;
        emit({ type: 'dir', path: label, target });
        if (entry.streams.length > 0) await directoryStreams(item, dir.path);
        return;
      }
      const parentRelative = item.relative.slice(0, -1);
      const name = item.relative[item.relative.length - 1] ?? entry.name;
      const dir = outDir(parentRelative);
      if (item.stream !== undefined) {
        const size = entry.streams.find((s) => s.name === item.stream)?.size;
        if (size === undefined && item.stream !== '') throw new GrtError('NOT_FOUND', `no stream "${item.stream}"`, { path: entry.path });
        target = item.stream === '' ? tree.file(dir, name) : tree.file(dir, sidecarKey(name, item.stream), sidecarName(name, item.stream));
        if (await writeStream(entry, item.stream, size ?? entry.size, target, dir)) {
          summary.files++;
          emit({ type: 'file', path: label, target, bytes: size ?? entry.size });
        } else report('skipped', label, { code: 'EXISTS', message: 'target exists (--skip-existing)' }, target);
      } else if (entry.type === 'file') {
        target = tree.file(dir, name);
        const linked = entry.links > 1 && hardLinks === 'link';
        const first = linked ? hardLinked.get(linkKey(entry)) : undefined;
        // The first name may still be in flight: wait for it. One that was not written (it failed,
        // or an existing file was kept) is nothing to link to: this name is written as a copy.
        if (first && (await first.written)) {
          hardLink(engine, first.path, target, dir.path, overwrite, inputs);
          summary.links++;
          emit({ type: 'link', path: label, target, link: 'hard', to: first.path });
          tick(0);
          // xattrs belong to the inode the link shares; sidecar files are linked too.
          if (streamsMode !== 'xattr') await namedStreams(item, dir, target, { linkFrom: first.streams });
        } else {
          const record = new Map<string, string>();
          let settle: ((written: boolean) => void) | undefined;
          // Only files with more than one name are remembered: the map stays as small as the links.
          if (linked) hardLinked.set(linkKey(entry), { path: target, streams: record, written: new Promise((resolve) => (settle = resolve)) });
          let written = false;
          try {
            // xattrs are read before the main stream so they can be set on the temp file before it is renamed.
            const xattrs = await withSecurityXattr(options.security, fs, entry, await namedStreams(item, dir, target, { record }), (path, error) => report('warning', path, error, target));
            written = await writeStream(entry, '', entry.size, target, dir, xattrs);
          } finally {
            settle?.(written);
          }
          if (written) {
            summary.files++;
            emit({ type: 'file', path: label, target, bytes: entry.size });
          } else report('skipped', label, { code: 'EXISTS', message: 'target exists (--skip-existing)' }, target);
        }
      } else if (entry.type === 'symlink' || entry.type === 'junction') {
        target = tree.file(dir, name);
        const linkTarget = resolveLinkTarget(entry.target ?? '', parentRelative.length, rules);
        // The text first, then the directories and links on disk that the target would pass through.
        const unsafe = linkTarget.ok ? linkEscape(dir.path, linkTarget.target, root) : linkTarget.reason;
        if (unsafe !== undefined) {
          report('warning', label, { code: 'UNSAFE_PATH', message: `${entry.type} to ${quoteText(entry.target ?? '')} not created: ${unsafe}` }, target);
          fileDone();
          return;
        }
        if (!linkTarget.ok) return; // (never: unsafe is set then)
        const temp = tempPathBeside(engine, dir.path, target.slice(dir.path.length + 1));
        try {
          symlinkSync(linkTarget.target, temp); // sync: see write.ts
          lutimesSync(temp, nsToUnixSeconds(entry.times.atime), nsToUnixSeconds(entry.times.mtime));
          commit(temp, target, overwrite, inputs);
        } catch (error) {
          discard(temp);
          throw error;
        }
        summary.links++;
        emit({ type: 'link', path: label, target, link: 'symbolic', to: linkTarget.target });
      } else {
        report('skipped', label, { code: 'UNSUPPORTED', message: `entry of type ${entry.type} is not restored` });
      }
      fileDone();
    } catch (error) {
      if (error instanceof GrtError && error.code === 'ABORTED') throw error;
      if (!(error instanceof GrtError) && typeof (error as NodeJS.ErrnoException)?.code !== 'string') throw error;
      const grt = ioError(error, 'restore', target ?? label);
      if (grt.code === 'EXISTS' && overwrite === 'skip-existing') report('skipped', label, grt, target);
      else report('failure', label, grt, target);
      fileDone();
    }
  };

  const leave = (dir: WalkDir, known: Map<string, WalkDir>) => {
    for (const path of dir.childDirs) known.delete(path);
    if (!pinned.has(JSON.stringify(dir.relative))) tree.release(dir.relative);
  };

  const inFlight = new InFlight(FILES_IN_FLIGHT);
  /**
   * Restore children of one directory met in a row by the walk: their names are all reserved before
   * any is written (so sidecars take the suffixed names; keepImageName covers siblings listed
   * apart), then small files go several at a time, larger ones alone.
   */
  const restoreBatch = async (items: PlanItem[]) => {
    for (const item of items) reserve(item.relative, item.entry.type === 'dir');
    for (const item of items) {
      if (item.entry.type === 'file' && item.entry.size + streamBytes(item.entry) > CHUNK_BYTES) {
        await inFlight.drain();
        await restoreItem(item);
      } else await inFlight.run(() => restoreItem(item));
    }
    await inFlight.drain();
  };

  for (const selected of selectedEntries) {
    await restoreItem(selected);
    if (selected.entry.type !== 'dir' || selected.stream !== undefined) continue;
    const baseDepth = splitPath(selected.entry.path).length;
    // Output components come from each entry's own name under its parent's, not from splitting its
    // path: a hostile name ('.', or one holding '/') must stay one component, made safe later.
    const top: WalkDir = { path: selected.entry.path, relative: selected.relative, parent: undefined, depth: 0, childDirs: [] };
    const known = new Map<string, WalkDir>([[top.path, top]]);
    /** Directories whose children the walk is listing: each one's parent below it. */
    const open: WalkDir[] = [];
    /**
     * Entries met in a row with the same parent: all of a directory's children in a breadth-first
     * walk (NTFS below the root), the runs between its subdirectories in a depth-first one.
     */
    let batch: PlanItem[] = [];
    let batchParent: WalkDir | undefined;
    for await (const entry of fs.walk(selected.entry.path)) {
      throwIfAborted(signal);
      const suffix = `/${entry.name}`;
      const parent = entry.path.endsWith(suffix) ? known.get(entry.path.slice(0, -suffix.length) || '/') : undefined;
      if (batch.length > 0 && (parent === undefined || parent !== batchParent)) {
        await restoreBatch(batch);
        batch = [];
      }
      let relative: string[];
      if (parent) {
        // The walk left the subtrees of the open directories that are not above this entry: finished.
        while (open.length > 0 && !isAncestorOrSelf(open[open.length - 1]!, parent)) leave(open.pop()!, known);
        if (open[open.length - 1] !== parent) open.push(parent);
        relative = [...parent.relative, entry.name];
        if (entry.type === 'dir') {
          known.set(entry.path, { path: entry.path, relative, parent, depth: parent.depth + 1, childDirs: [] });
          parent.childDirs.push(entry.path);
        }
      } else {
        // NOTE: an entry its parent's path cannot name (a hostile name holding '/') goes alone.
        relative = [...selected.relative, ...splitPath(entry.path).slice(baseDepth)];
      }
      batch.push({ entry, relative, walked: true });
      batchParent = parent;
    }
    await restoreBatch(batch);
    while (open.length > 0) leave(open.pop()!, known);
  }

  // Directory times last, deepest first: writing their contents changed them.
  for (const { path, image, atime, mtime } of dirTimes.reverse()) {
    try {
      lutimesSync(path, nsToUnixSeconds(atime), nsToUnixSeconds(mtime));
    } catch (error) {
      report('warning', image, ioError(error, 'utimes', path), path);
    }
  }
  summary.seconds = (performance.now() - started) / 1000;
  emit({ type: 'summary', path: options.to, summary: { ...summary } });
  return summary;
}

function linkKey(entry: FileEntry): string {
  return `${entry.id.record}:${entry.id.sequence}`;
}
