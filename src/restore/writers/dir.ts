/**
 * Directories: created (or accepted) through the output tree, their named streams beside them or
 * as xattrs on them, and their times (and, with `--security xattr`, their security descriptors)
 * set at the end of the restore, deepest first.
 */
import type { Attempt, PlanItem, RestoreContext } from '../context.js';
import { applyPathMetadata, applyXattrs, setTimes } from '../posix.js';
import { SECURITY_XATTR, withSecurityXattr } from '../security-xattr.js';
import { ioError } from '../write.js';
import { writeXattrs } from '../xattr.js';
import { namedStreams, reportXattrs } from './stream.js';

export async function restoreDir(ctx: RestoreContext, item: PlanItem, attempt: Attempt): Promise<void> {
  const entry = item.entry;
  const dir = ctx.tree.dir(item.relative);
  attempt.target = dir.path;
  const { mode, uid, gid } = entry;
  const security = await withSecurityXattr(ctx.security, ctx.fs, entry, undefined, (path, error) => ctx.reporter.report('warning', path, error, dir.path));
  const securityDescriptor = security?.get(SECURITY_XATTR);
  ctx.dirTimes.push({ path: dir.path, image: entry.path, atime: entry.times.atime, mtime: entry.times.mtime, mode, uid, gid, ...(securityDescriptor ? { securityDescriptor } : {}) });
  await applyXattrs(ctx, entry, dir.path);
  ctx.reporter.summary.dirs++;
  ctx.reporter.emit({ type: 'dir', path: attempt.label, target: dir.path });
  if (entry.streams.length > 0) await directoryStreams(ctx, item, dir.path);
}

/** Named streams of a directory: sidecars beside it in its parent, or xattrs on it. */
async function directoryStreams(ctx: RestoreContext, item: PlanItem, dirPath: string): Promise<void> {
  if (item.relative.length === 0) {
    for (const s of item.entry.streams) {
      ctx.reporter.report('skipped', `${item.entry.path}:${s.name}`, { code: 'UNSUPPORTED', message: 'a stream of the directory restored as the output root has no place beside it' }, dirPath);
    }
    return;
  }
  const parent = ctx.tree.dir(item.relative.slice(0, -1));
  const xattrs = await namedStreams(ctx, item, parent, dirPath, {});
  if (!xattrs || xattrs.size === 0) return;
  reportXattrs(ctx, item.entry, xattrs, await writeXattrs(dirPath, xattrs), dirPath);
}

/**
 * Directory times last, deepest first: writing their contents changed them. Their owner and mode
 * too (Linux volumes): a directory without write permission would have refused its contents.
 */
export async function setDirTimes(ctx: RestoreContext): Promise<void> {
  for (const record of ctx.dirTimes.reverse()) {
    const { path, image, atime, mtime } = record;
    // Before the owner and mode: a directory left without write permission refuses user.* xattrs.
    if (record.securityDescriptor) await setSecurityXattr(ctx, image, path, record.securityDescriptor);
    try {
      applyPathMetadata(ctx, record, path);
      setTimes(ctx, image, path, { atime, mtime });
    } catch (error) {
      ctx.reporter.report('warning', image, ioError(error, 'utimes', path), path);
    }
  }
}

/** A directory's descriptor as its SECURITY_XATTR; one that cannot be set is a failure of `image:ntfs_acl`. */
async function setSecurityXattr(ctx: RestoreContext, image: string, path: string, descriptor: Uint8Array): Promise<void> {
  const failed = await writeXattrs(path, new Map([[SECURITY_XATTR, descriptor]]));
  const error = failed.get(SECURITY_XATTR);
  if (error) ctx.reporter.report('failure', `${image}:${SECURITY_XATTR}`, error, path);
  else ctx.reporter.summary.bytes += descriptor.length;
}
