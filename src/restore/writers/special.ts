/**
 * Special files (POSIX): a FIFO is made with `mkfifo`, a character or block device with `mknod`
 * when running as root and its device number is known; sockets are never recreated (a socket
 * file is only a name some process once bound). Whatever cannot be made is a warning, never a
 * failure. NOTE: Node has no mkfifo(3)/mknod(2); the tools cost a process start (~1–2 ms) per
 * special file, which are few on any real volume (grt's addon, native/, could take them on).
 */
import type { FileEntry } from '../../fs/file-system.js';
import { parentOf, type Attempt, type PlanItem, type RestoreContext } from '../context.js';
import { commitNode } from '../posix.js';
import { runTool } from '../tools.js';
import { discard, tempPathBeside } from '../write.js';

/** The tool and its arguments (after the path) that make `entry`, or why it is not made. */
function howToMake(ctx: RestoreContext, entry: FileEntry): { tool: string; args: string[] } | { reason: string } {
  const kind = entry.type === 'other' ? entry.kind : undefined;
  if (kind === 'fifo') return { tool: 'mkfifo', args: [] };
  if (kind === 'chardev' || kind === 'blockdev') {
    if (!ctx.privileged) return { reason: `${kind} not made: device nodes need root` };
    const { deviceMajor, deviceMinor } = entry.details ?? {};
    if (deviceMajor === undefined || deviceMinor === undefined) return { reason: `${kind} not made: the volume reader gives no device number` };
    return { tool: 'mknod', args: [kind === 'chardev' ? 'c' : 'b', String(deviceMajor), String(deviceMinor)] };
  }
  if (kind === 'socket') return { reason: 'socket not made (a socket is recreated by the program that binds it)' };
  return { reason: `entry of type ${entry.type} is not restored` };
}

export async function restoreSpecial(ctx: RestoreContext, item: PlanItem, attempt: Attempt): Promise<void> {
  const entry = item.entry;
  const { dir, name } = parentOf(ctx, item);
  const how = howToMake(ctx, entry);
  if ('reason' in how) {
    // Only what a POSIX volume holds is a warning; an entry of a type no writer knows is skipped as before.
    ctx.reporter.report(entry.kind ? 'warning' : 'skipped', attempt.label, { code: 'UNSUPPORTED', message: how.reason });
    return;
  }
  const target = ctx.tree.file(dir, name);
  attempt.target = target;
  const temp = tempPathBeside(ctx.engine, dir.path, target.slice(dir.path.length + 1));
  try {
    // Made owner-only; its own mode is set after the owner (applyPathMetadata).
    await runTool(how.tool, ['-m', '0600', '--', temp, ...how.args]);
  } catch (error) {
    discard(temp);
    ctx.reporter.report('warning', attempt.label, { code: 'UNSUPPORTED', message: `${entry.kind} not made: ${(error as Error).message}` }, target);
    return;
  }
  await commitNode(ctx, entry, temp, target);
  ctx.reporter.summary.files++;
  ctx.reporter.emit({ type: 'file', path: attempt.label, target, bytes: 0 });
}
