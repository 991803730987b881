/**
 * Symbolic links and junctions: recreated as symbolic links when their target, as the output
 * would resolve it, stays inside the output and passes through no link already on disk;
 * otherwise a warning and nothing is created.
 */
import { lutimesSync, symlinkSync } from 'node:fs';
import { quoteText } from '../../util/quote.js';
import { nsToUnixSeconds } from '../../util/time.js';
import { parentOf, type Attempt, type PlanItem, type RestoreContext } from '../context.js';
import { linkEscape, resolveLinkTarget } from '../target.js';
import { commit, discard, tempPathBeside } from '../write.js';

export async function restoreLink(ctx: RestoreContext, item: PlanItem, attempt: Attempt): Promise<void> {
  const entry = item.entry;
  const { dir, name, parentRelative } = parentOf(ctx, item);
  const target = ctx.tree.file(dir, name);
  attempt.target = target;
  const linkTarget = resolveLinkTarget(entry.target ?? '', parentRelative.length, ctx.rules);
  // The text first, then the directories and links on disk that the target would pass through.
  const unsafe = linkTarget.ok ? linkEscape(dir.path, linkTarget.target, ctx.root) : linkTarget.reason;
  if (unsafe !== undefined || !linkTarget.ok) {
    ctx.reporter.report('warning', attempt.label, { code: 'UNSAFE_PATH', message: `${entry.type} to ${quoteText(entry.target ?? '')} not created: ${unsafe}` }, target);
    return;
  }
  const temp = tempPathBeside(ctx.engine, dir.path, target.slice(dir.path.length + 1));
  try {
    symlinkSync(linkTarget.target, temp); // sync: see write.ts
    lutimesSync(temp, nsToUnixSeconds(entry.times.atime), nsToUnixSeconds(entry.times.mtime));
    commit(temp, target, ctx.overwrite, ctx.inputs);
  } catch (error) {
    discard(temp);
    throw error;
  }
  ctx.reporter.summary.links++;
  ctx.reporter.emit({ type: 'link', path: attempt.label, target, link: 'symbolic', to: linkTarget.target });
}
