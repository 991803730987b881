/**
 * A regular file (its data and named streams), or one stream asked for alone (`PATH:stream`).
 * A file with several names is restored once; its other names become hard links to the first
 * (hard-link.ts) unless hard links are copied.
 */
import { GrtError } from '../../errors.js';
import { linkKey, parentOf, type Attempt, type PlanItem, type RestoreContext } from '../context.js';
import { sidecarKey, sidecarName } from '../out-tree.js';
import { linkToFirstName } from './hard-link.js';
import { namedStreams, writeStream } from './stream.js';
import { withSecurityXattr } from '../security-xattr.js';

/** The stream `item.stream` of a file, alone: '' is the main data, another name goes to its sidecar name. */
export async function restoreOneStream(ctx: RestoreContext, item: PlanItem & { stream: string }, attempt: Attempt): Promise<void> {
  const { entry, stream } = item;
  const { dir, name } = parentOf(ctx, item);
  const size = entry.streams.find((s) => s.name === stream)?.size;
  if (size === undefined && stream !== '') throw new GrtError('NOT_FOUND', `no stream "${stream}"`, { path: entry.path });
  const target = stream === '' ? ctx.tree.file(dir, name) : ctx.tree.file(dir, sidecarKey(name, stream), sidecarName(name, stream));
  attempt.target = target;
  if (await writeStream(ctx, entry, stream, size ?? entry.size, target, dir)) {
    ctx.reporter.summary.files++;
    ctx.reporter.emit({ type: 'file', path: attempt.label, target, bytes: size ?? entry.size });
  } else ctx.reporter.skippedExisting(attempt.label, target);
}

/** A regular file with its named streams, or a hard link to its first restored name. */
export async function restoreFile(ctx: RestoreContext, item: PlanItem, attempt: Attempt): Promise<void> {
  const entry = item.entry;
  const { dir, name } = parentOf(ctx, item);
  const target = ctx.tree.file(dir, name);
  attempt.target = target;
  const linked = entry.links > 1 && ctx.hardLinks === 'link';
  if (linked && (await linkToFirstName(ctx, item, dir, target, attempt.label))) return;
  const record = new Map<string, string>();
  let settle: ((written: boolean) => void) | undefined;
  if (linked) ctx.hardLinked.set(linkKey(entry), { path: target, streams: record, written: new Promise((resolve) => (settle = resolve)) });
  let written = false;
  try {
    // xattrs are read before the main stream so they can be set on the temp file before it is renamed.
    const streams = await namedStreams(ctx, item, dir, target, { record });
    const xattrs = await withSecurityXattr(ctx.security, ctx.fs, entry, streams, (path, error) => ctx.reporter.report('warning', path, error, target));
    written = await writeStream(ctx, entry, '', entry.size, target, dir, xattrs);
  } finally {
    settle?.(written);
  }
  if (written) {
    ctx.reporter.summary.files++;
    ctx.reporter.emit({ type: 'file', path: attempt.label, target, bytes: entry.size });
  } else ctx.reporter.skippedExisting(attempt.label, target);
}
