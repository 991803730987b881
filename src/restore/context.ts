/**
 * What the parts of one restore share: the options as resolved, the output tree, the reporter,
 * and the few records kept across entries (directory times, first names of hard-linked files).
 * Made once per restore (restore.ts) and passed to the planner and every writer.
 */
import type { FileEntry, FileSystem } from '../fs/file-system.js';
import type { Engine } from './engine.js';
import type { InputFile } from './inputs.js';
import type { NativeTimes } from './native-times.js';
import type { OutDir, OutputTree } from './out-tree.js';
import type { Reporter } from './reporter.js';
import type { NameRules } from './safe-name.js';
import type { SecurityMode } from './security-xattr.js';
import type { Overwrite, WriteSpeed } from './write.js';

/** One entry to restore, and where its output goes. */
export interface PlanItem {
  entry: FileEntry;
  /** Named stream asked for alone (`PATH:stream`). */
  stream?: string;
  /** Image-path components relative to the restore root. */
  relative: string[];
  /** Met by the walk of a selected directory: all its siblings are restored too. */
  walked?: boolean;
}

/** The first restored name of a multiply-linked file: later names link to it. */
export interface FirstLink {
  path: string;
  /** Its sidecar files by stream name (linked too). */
  streams: Map<string, string>;
  /** Settles once it was written (true) or not (failed, or an existing file was kept). */
  written: Promise<boolean>;
}

/** A restored directory's times, set last (writing its contents changed them). */
export interface DirTimes extends Pick<FileEntry, 'mode' | 'uid' | 'gid'> {
  path: string;
  image: string;
  atime: bigint;
  mtime: bigint;
  /** `--security xattr`: the directory's descriptor, set as its xattr after its children (security-xattr.ts). */
  securityDescriptor?: Uint8Array;
}

export interface RestoreContext {
  readonly engine: Engine;
  readonly fs: FileSystem;
  readonly signal: AbortSignal | undefined;
  readonly overwrite: Overwrite;
  readonly streamsMode: 'files' | 'xattr' | 'skip';
  readonly hardLinks: 'link' | 'copy';
  readonly security: SecurityMode;
  /** Files this restore reads: never replaced. */
  readonly inputs: readonly InputFile[] | undefined;
  /** The output directory, resolved (realpath). */
  readonly root: string;
  readonly rules: NameRules;
  readonly tree: OutputTree;
  readonly reporter: Reporter;
  /** One for the whole restore: a target found slow (a network share) stays slow for later files. */
  readonly writeSpeed: WriteSpeed;
  /** Keyed by linkKey; only files with more than one name, so it stays as small as the links. */
  readonly hardLinked: Map<string, FirstLink>;
  /** One small record per restored directory. */
  readonly dirTimes: DirTimes[];
  /**
   * Output directories on the way to a selected entry (JSON of their components): never
   * forgotten, another selection may restore into them later.
   */
  readonly pinned: Set<string>;
  /**
   * The volume names files as Linux does (name rule 'bytes': ext, XFS): links are recreated with
   * their target text verbatim, as tar and rsync do, rather than only when they stay inside.
   */
  readonly posix: boolean;
  /** Give restored entries their uid/gid: running as root and not turned off (`owner: false`). */
  readonly owner: boolean;
  /** Running as root: device nodes can be made. */
  readonly privileged: boolean;
  /** Whether setfattr runs here; asked once, when the first xattr is to be set. */
  xattrTool: boolean | undefined;
  /** The nanosecond time setter (native-times.ts), loaded at the first time set; null when the addon is absent. */
  nativeTimes: NativeTimes | null | undefined;
  /** Whether this restore has warned that, without the addon, times are rounded to the microsecond. */
  timesRounded?: boolean;
}

/** Reserve the output name of an entry (OutputTree.reserve), before anything is written beside it. */
export function reserve(ctx: RestoreContext, relative: string[], isDir: boolean): void {
  try {
    ctx.tree.reserve(relative, isDir);
  } catch {
    // A clash (a file where a directory must go) is reported when that entry is restored.
  }
}

/** Bytes of an entry's named streams that a restore copies (none when they are skipped). */
export function streamBytes(ctx: RestoreContext, entry: FileEntry): number {
  return ctx.streamsMode === 'skip' ? 0 : entry.streams.reduce((sum, s) => sum + s.size, 0);
}

/** Which entries are names of one file: its identity in the volume. */
export function linkKey(entry: FileEntry): string {
  return `${entry.id.record}:${entry.id.sequence}`;
}

/** One item being restored: its name in reports, and its output path once known (errors name it). */
export interface Attempt {
  readonly label: string;
  target?: string;
}

/** The output directory of an item's parent, and the image name it goes under there. */
export function parentOf(ctx: RestoreContext, item: PlanItem): { dir: OutDir; name: string; parentRelative: string[] } {
  const parentRelative = item.relative.slice(0, -1);
  return { dir: ctx.tree.dir(parentRelative), name: item.relative[item.relative.length - 1] ?? item.entry.name, parentRelative };
}
