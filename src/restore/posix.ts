/**
 * POSIX metadata of entries from Linux volumes (ext2/3/4, XFS), applied as tar does: content
 * first, then the owner (when running as root and not turned off), then `user.*` xattrs, then the
 * mode (chown(2) clears setuid/setgid, so the mode comes after it), then the times. NTFS entries
 * carry no mode or owner and get none of this.
 */
import { chmodSync, fchmodSync, fchownSync, futimesSync, lchownSync, lutimesSync } from 'node:fs';
import type { EntryTimes, FileEntry } from '../fs/file-system.js';
import { nsToUnixSeconds } from '../util/time.js';
import type { RestoreContext } from './context.js';
import { loadNativeTimes } from './native-times.js';
import { commit, discard, ioError } from './write.js';
import { writeNamedXattrs, xattrToolAvailable } from './xattr.js';

/** What of an entry this applies (a directory's is kept in a small record until the end). */
export type PosixFields = Pick<FileEntry, 'mode' | 'uid' | 'gid'>;

/** Permission bits with setuid, setgid and sticky (st_mode & 07777). */
const PERMISSION_BITS = 0o7777;
/** The xattr namespace a restore sets: the others need privileges (trusted.*), are the kernel's (system.*: ACLs) or the security module's. */
const RESTORED_XATTR_PREFIX = 'user.';

/** Whether entries of this restore get their owner: asked for (default), running as root, and the entry has one. */
function ownerOf(ctx: RestoreContext, entry: PosixFields): { uid: number; gid: number } | undefined {
  if (!ctx.owner || entry.uid === undefined || entry.gid === undefined) return undefined;
  return { uid: entry.uid, gid: entry.gid };
}

/** Owner, then `user.*` xattrs, then mode of a file still open as `fd` at `path` (its temp name). */
export async function applyFileMetadata(ctx: RestoreContext, entry: FileEntry, fd: number, path: string): Promise<void> {
  const owner = ownerOf(ctx, entry);
  try {
    if (owner) fchownSync(fd, owner.uid, owner.gid);
  } catch (error) {
    throw ioError(error, 'chown', path);
  }
  await applyXattrs(ctx, entry, path);
  try {
    if (entry.mode !== undefined) fchmodSync(fd, entry.mode & PERMISSION_BITS);
  } catch (error) {
    throw ioError(error, 'chmod', path);
  }
}

/**
 * Owner and mode of something created at `path` that is not a regular file: a directory, a
 * special file, or (owner only: Linux links have no mode of their own) a symbolic link.
 */
export function applyPathMetadata(ctx: RestoreContext, entry: PosixFields, path: string, isLink = false): void {
  const owner = ownerOf(ctx, entry);
  try {
    if (owner) lchownSync(path, owner.uid, owner.gid);
  } catch (error) {
    throw ioError(error, 'chown', path);
  }
  try {
    if (entry.mode !== undefined && !isLink) chmodSync(path, entry.mode & PERMISSION_BITS);
  } catch (error) {
    throw ioError(error, 'chmod', path);
  }
}

/**
 * The entry's `user.*` xattrs (FileSystem.xattrs) set on `path`; one that cannot be set, or a
 * reader or host that cannot do xattrs, is a warning: the file's content is restored all the same.
 */
export async function applyXattrs(ctx: RestoreContext, entry: FileEntry, path: string): Promise<void> {
  if (!ctx.fs.xattrs || entry.mode === undefined) return;
  let values: Map<string, Uint8Array>;
  try {
    const all = await ctx.fs.xattrs(entry);
    values = new Map(all.filter((x) => x.name.startsWith(RESTORED_XATTR_PREFIX)).map((x) => [x.name, x.value]));
  } catch (error) {
    ctx.reporter.report('warning', entry.path, ioError(error, 'read xattrs of', entry.path), path);
    return;
  }
  if (values.size === 0) return;
  ctx.xattrTool ??= await xattrToolAvailable();
  if (!ctx.xattrTool) {
    ctx.reporter.report('warning', entry.path, { code: 'UNSUPPORTED', message: `${values.size} user.* xattr(s) not restored: the setfattr tool is not installed` }, path);
    return;
  }
  for (const [name, failure] of await writeNamedXattrs(path, values)) ctx.reporter.report('warning', `${entry.path}:${name}`, failure, path);
}

/** Why times may be off when the addon is missing: said once per restore. */
const ROUNDED_TIMES_WARNING = 'times set to the microsecond only: the native addon (build/Release/grt_times.node) is not loaded';

/**
 * Seconds for fs.utimes: a number, or for a time before 1970 the same number as a string. NOTE:
 * Node replaces a negative number by the current time (toUnixTimestamp) but passes a numeric
 * string through as it is.
 */
function utimesSeconds(ns: bigint): number | string {
  const seconds = nsToUnixSeconds(ns);
  return seconds < 0 ? String(seconds) : seconds;
}

/**
 * Set atime and mtime of `path` (not following a final link), through `fd` when it is open: to
 * the nanosecond with the addon (utimensat/futimens, before 1970 and past 2038 too). Without it,
 * Node's fs.utimes, which takes seconds as a double (~240 ns at today's dates), with one warning
 * per restore naming `label`.
 */
export function setTimes(ctx: RestoreContext, label: string, path: string, times: Pick<EntryTimes, 'atime' | 'mtime'>, fd?: number): void {
  const { atime, mtime } = times;
  if (ctx.nativeTimes === undefined) ctx.nativeTimes = loadNativeTimes() ?? null;
  const native = ctx.nativeTimes;
  // sync: see write.ts
  if (native) {
    if (fd !== undefined) native.setFd(fd, atime, mtime);
    else native.setPath(path, atime, mtime);
    return;
  }
  if (!ctx.timesRounded) {
    ctx.timesRounded = true;
    ctx.reporter.report('warning', label, { code: 'UNSUPPORTED', message: ROUNDED_TIMES_WARNING }, path);
  }
  if (fd !== undefined) futimesSync(fd, utimesSeconds(atime), utimesSeconds(mtime));
  else lutimesSync(path, utimesSeconds(atime), utimesSeconds(mtime));
}

/**
 * A link or special file made at its temp name `temp`: its owner, mode and times, then moved to
 * `target` under the overwrite rule; on failure the temp name is removed.
 */
export async function commitNode(ctx: RestoreContext, entry: FileEntry, temp: string, target: string, isLink = false): Promise<void> {
  try {
    applyPathMetadata(ctx, entry, temp, isLink);
    setTimes(ctx, entry.path, temp, entry.times);
    commit(temp, target, ctx.overwrite, ctx.inputs);
  } catch (error) {
    discard(temp);
    throw error;
  }
}
