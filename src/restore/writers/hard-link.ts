/**
 * A later name of a multiply-linked file: a hard link to the name restored first, so the
 * restored names share one inode as they did in the image.
 */
import { linkKey, type PlanItem, type RestoreContext } from '../context.js';
import type { OutDir } from '../out-tree.js';
import { hardLink } from '../write.js';
import { namedStreams } from './stream.js';

/**
 * Link `target` to the first restored name of `item`'s file; false when there is none to link to
 * (this is the first, or the first was not written: it failed, or an existing file was kept),
 * and the caller writes a copy.
 */
export async function linkToFirstName(ctx: RestoreContext, item: PlanItem, dir: OutDir, target: string, label: string): Promise<boolean> {
  const first = ctx.hardLinked.get(linkKey(item.entry));
  // The first name may still be in flight: wait for it.
  if (!first || !(await first.written)) return false;
  hardLink(ctx.engine, first.path, target, dir.path, ctx.overwrite, ctx.inputs);
  ctx.reporter.summary.links++;
  ctx.reporter.emit({ type: 'link', path: label, target, link: 'hard', to: first.path });
  ctx.reporter.tick(0);
  // xattrs belong to the inode the link shares; sidecar files are linked too.
  if (ctx.streamsMode !== 'xattr') await namedStreams(ctx, item, dir, target, { linkFrom: first.streams });
  return true;
}
