/** Entries of other types (FIFOs, sockets, devices): not restored, reported as skipped. */
import { parentOf, type Attempt, type PlanItem, type RestoreContext } from '../context.js';

export function restoreSpecial(ctx: RestoreContext, item: PlanItem, attempt: Attempt): Promise<void> {
  parentOf(ctx, item); // its directory is made all the same, as for every other file
  ctx.reporter.report('skipped', attempt.label, { code: 'UNSUPPORTED', message: `entry of type ${item.entry.type} is not restored` });
  return Promise.resolve();
}
