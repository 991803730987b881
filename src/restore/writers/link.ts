/**
 * Symbolic links and junctions. From a Linux volume (ext, XFS) a link is recreated with its
 * target text verbatim, absolute or relative, as tar and rsync do: grt never follows a link it
 * restored (the output tree refuses a link where a directory goes). From NTFS, a link is
 * recreated only when its target, as the output would resolve it, stays inside the output and
 * passes through no link already on disk; otherwise a warning and nothing is created.
 */
import { symlinkSync } from 'node:fs';
import { quoteText } from '../../util/quote.js';
import { parentOf, type Attempt, type PlanItem, type RestoreContext } from '../context.js';
import { commitNode } from '../posix.js';
import { linkEscape, resolveLinkTarget } from '../target.js';
import { tempPathBeside } from '../write.js';

/** The text to give the link, or why none is created. */
function linkText(ctx: RestoreContext, item: PlanItem, dirPath: string, depth: number): { ok: true; target: string } | { ok: false; reason: string } {
  const stored = item.entry.target ?? '';
  if (ctx.posix) return stored === '' || stored.includes('\0') ? { ok: false, reason: 'empty target or one holding NUL' } : { ok: true, target: stored };
  const linkTarget = resolveLinkTarget(stored, depth, ctx.rules);
  if (!linkTarget.ok) return linkTarget;
  // The text first, then the directories and links on disk that the target would pass through.
  const unsafe = linkEscape(dirPath, linkTarget.target, ctx.root);
  return unsafe === undefined ? linkTarget : { ok: false, reason: unsafe };
}

export async function restoreLink(ctx: RestoreContext, item: PlanItem, attempt: Attempt): Promise<void> {
  const entry = item.entry;
  const { dir, name, parentRelative } = parentOf(ctx, item);
  const target = ctx.tree.file(dir, name);
  attempt.target = target;
  const text = linkText(ctx, item, dir.path, parentRelative.length);
  if (!text.ok) {
    ctx.reporter.report('warning', attempt.label, { code: 'UNSAFE_PATH', message: `${entry.type} to ${quoteText(entry.target ?? '')} not created: ${text.reason}` }, target);
    return;
  }
  const temp = tempPathBeside(ctx.engine, dir.path, target.slice(dir.path.length + 1));
  symlinkSync(text.target, temp); // sync: see write.ts; nothing to remove when it fails
  await commitNode(ctx, entry, temp, target, true);
  ctx.reporter.summary.links++;
  ctx.reporter.emit({ type: 'link', path: attempt.label, target, link: 'symbolic', to: text.target });
}
