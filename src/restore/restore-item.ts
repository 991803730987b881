/**
 * Restore one planned item with the writer for its kind. A failure costs that item only: it is
 * reported and the restore goes on (an abort, or a bug, goes on up).
 */
import { GrtError } from '../errors.js';
import type { Attempt, PlanItem, RestoreContext } from './context.js';
import { ioError, throwIfAborted } from './write.js';
import { restoreDir } from './writers/dir.js';
import { restoreFile, restoreOneStream } from './writers/file.js';
import { restoreLink } from './writers/link.js';
import { restoreSpecial } from './writers/special.js';

type Writer = (ctx: RestoreContext, item: PlanItem, attempt: Attempt) => Promise<void>;

function writerFor(item: PlanItem): Writer {
  if (item.stream !== undefined) return (ctx, planned, attempt) => restoreOneStream(ctx, { ...planned, stream: item.stream! }, attempt);
  switch (item.entry.type) {
    case 'file':
      return restoreFile;
    case 'symlink':
    case 'junction':
      return restoreLink;
    default:
      return restoreSpecial;
  }
}

export async function restoreItem(ctx: RestoreContext, item: PlanItem): Promise<void> {
  throwIfAborted(ctx.signal);
  const entry = item.entry;
  const attempt: Attempt = { label: item.stream === undefined ? entry.path : `${entry.path}:${item.stream}` };
  const isDir = entry.type === 'dir' && item.stream === undefined;
  try {
    if (isDir) return await restoreDir(ctx, item, attempt);
    await writerFor(item)(ctx, item, attempt);
  } catch (error) {
    if (error instanceof GrtError && error.code === 'ABORTED') throw error;
    if (!(error instanceof GrtError) && typeof (error as NodeJS.ErrnoException)?.code !== 'string') throw error;
    const grt = ioError(error, 'restore', attempt.target ?? attempt.label);
    if (grt.code === 'EXISTS' && ctx.overwrite === 'skip-existing') ctx.reporter.report('skipped', attempt.label, grt, attempt.target);
    else ctx.reporter.report('failure', attempt.label, grt, attempt.target);
  }
  ctx.reporter.fileDone();
}
