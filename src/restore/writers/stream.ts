/**
 * Writing one data stream to its output name (through a temp file, holes left unwritten), and a
 * file's named streams in the chosen mode: sidecar files `<name>.<stream>.ads`, `user.<stream>`
 * xattrs on the main file, or skipped (reported).
 */
import { GrtError } from '../../errors.js';
import type { FileEntry, FileSystem, StreamLayout } from '../../fs/file-system.js';
import type { ByteSource } from '../../io/byte-source.js';
import { reserve, type PlanItem, type RestoreContext } from '../context.js';
import { refuseInputTarget } from '../inputs.js';
import { applyFileMetadata, setTimes } from '../posix.js';
import { sidecarKey, sidecarName, type OutDir } from '../out-tree.js';
import { closeTemp, commit, copyRanges, createTemp, dataRanges, discard, exists, existsError, hardLink, ioError } from '../write.js';
import { writeXattrs, xattrToolAvailable, XATTR_MAX_BYTES } from '../xattr.js';

/** Write one stream of `entry` to `final` through a temp file; returns false when skipped as existing. */
export async function writeStream(
  ctx: RestoreContext,
  entry: FileEntry,
  streamName: string,
  size: number,
  final: string,
  outDir: OutDir,
  xattrs?: Map<string, Uint8Array>,
): Promise<boolean> {
  const { fs, overwrite, inputs } = ctx;
  // In a directory this restore created, only its own names exist (and commit refuses a clash anyway).
  if (overwrite !== 'overwrite' && !outDir.created && exists(final)) {
    if (overwrite === 'skip-existing') return false;
    throw existsError(final);
  }
  if (overwrite === 'overwrite' && !outDir.created) refuseInputTarget(final, inputs); // before copying, not only at the rename
  const { layout, source } = await openData(fs, entry, streamName);
  try {
    const dir = outDir.path;
    const temp = createTemp(ctx.engine, dir, final.slice(dir.length + 1));
    try {
      try {
        await copyRanges(ctx.engine, source, temp, dataRanges(layout, size), size, (chunk) => ctx.reporter.tick(chunk.length), ctx.signal, ctx.writeSpeed);
        if (streamName === '') await applyFileMetadata(ctx, entry, temp.fd, temp.path);
        setTimes(ctx, entry.path, temp.path, entry.times, temp.fd);
      } finally {
        closeTemp(temp);
      }
      const xattrFailures = xattrs && xattrs.size > 0 ? await writeXattrs(temp.path, xattrs) : undefined;
      commit(temp.path, final, overwrite, inputs);
      if (xattrs && xattrFailures) reportXattrs(ctx, entry, xattrs, xattrFailures, final);
    } catch (error) {
      discard(temp.path);
      throw error;
    }
  } finally {
    await source.close?.();
  }
  ctx.reporter.summary.bytes += size;
  return true;
}

/**
 * A stream's bytes for a copy, and its layout when the file system gives one: read through the
 * layout when the file system can (the file's record is not found and parsed twice, and runs stored
 * as they are in an image file can be copied by the kernel, kernel-copy.ts).
 */
export async function openData(fs: FileSystem, entry: FileEntry, streamName: string): Promise<{ layout: StreamLayout | undefined; source: ByteSource }> {
  let layout: StreamLayout | undefined;
  try {
    layout = await fs.streamLayout(entry, streamName);
  } catch {
    // NOTE: a layout is only an optimisation (holes, kernel copies); without one every byte is
    // read, and openStream gives the error itself if the stream cannot be read at all.
    layout = undefined;
  }
  return { layout, source: layout && fs.openLayout ? fs.openLayout(layout) : await fs.openStream(entry, streamName) };
}

/** Each xattr set counts its bytes; each one that could not be set is a failure of its stream. */
export function reportXattrs(ctx: RestoreContext, entry: FileEntry, xattrs: Map<string, Uint8Array>, failures: Map<string, GrtError>, target: string): void {
  for (const [name, value] of xattrs) {
    const failure = failures.get(name);
    if (failure) ctx.reporter.report('failure', `${entry.path}:${name}`, failure, target);
    else ctx.reporter.summary.bytes += value.length;
  }
}

/**
 * A walk lists a directory's children together only when it is breadth-first; a depth-first one
 * (from the NTFS root, from a catalog) may list a sibling named `<name>.<stream>.ads` after a
 * subdirectory, when the sidecar has been written. So before a sidecar takes its name, an image
 * entry of that name beside `item` has it reserved (one lookup; named streams are rare).
 */
async function keepImageName(ctx: RestoreContext, item: PlanItem, name: string): Promise<void> {
  const { path, name: own } = item.entry;
  if (!path.endsWith(`/${own}`)) return; // a hostile name holding '/': its siblings are not found by path
  const parentPath = path.slice(0, -own.length - 1) || '/';
  try {
    const sibling = await ctx.fs.stat(parentPath === '/' ? `/${name}` : `${parentPath}/${name}`);
    reserve(ctx, [...item.relative.slice(0, -1), sibling.name], sibling.type === 'dir');
  } catch (error) {
    if (!(error instanceof GrtError)) throw error; // none (NOT_FOUND), or unreadable: nothing to keep
  }
}

/** Where a file's sidecars come from (`linkFrom`: an earlier name's, hard-linked) and where they are recorded. */
export interface Sidecars {
  linkFrom?: Map<string, string>;
  record?: Map<string, string>;
}

/** Named streams of a file in the chosen mode: sidecar files, or xattrs (returned) to set on the main file. */
export async function namedStreams(ctx: RestoreContext, item: PlanItem, dir: OutDir, finalPath: string, sidecars: Sidecars): Promise<Map<string, Uint8Array> | undefined> {
  const entry = item.entry;
  if (entry.streams.length === 0) return undefined;
  if (ctx.streamsMode === 'skip') {
    for (const s of entry.streams) ctx.reporter.report('skipped', `${entry.path}:${s.name}`, { code: 'SKIPPED', message: 'alternate data stream not restored (--streams=skip)' });
    return undefined;
  }
  if (ctx.streamsMode === 'xattr') return readXattrStreams(ctx, entry, finalPath);
  await writeSidecars(ctx, item, dir, sidecars);
  return undefined;
}

/** The named streams' bytes, to be set as xattrs; each that cannot be is reported. */
async function readXattrStreams(ctx: RestoreContext, entry: FileEntry, finalPath: string): Promise<Map<string, Uint8Array>> {
  ctx.xattrTool ??= await xattrToolAvailable();
  const values = new Map<string, Uint8Array>();
  for (const s of entry.streams) {
    const path = `${entry.path}:${s.name}`;
    if (!ctx.xattrTool) ctx.reporter.report('skipped', path, { code: 'UNSUPPORTED', message: 'xattrs need the setfattr tool, which is not installed' }, finalPath);
    else if (s.size > XATTR_MAX_BYTES) ctx.reporter.report('skipped', path, { code: 'UNSUPPORTED', message: `stream of ${s.size} bytes is larger than an xattr may be (${XATTR_MAX_BYTES})` }, finalPath);
    else {
      try {
        const source = await ctx.fs.openStream(entry, s.name);
        try {
          values.set(s.name, (await source.read(0, s.size)).slice());
        } finally {
          await source.close?.();
        }
        ctx.reporter.tick(s.size);
      } catch (error) {
        ctx.reporter.report('failure', path, ioError(error, 'read', path), finalPath);
      }
    }
  }
  return values;
}

/** Each named stream as a sidecar file beside the main one (or a hard link to an earlier name's). */
async function writeSidecars(ctx: RestoreContext, item: PlanItem, dir: OutDir, sidecars: Sidecars): Promise<void> {
  const entry = item.entry;
  for (const s of entry.streams) {
    const path = `${entry.path}:${s.name}`;
    const wanted = sidecarName(entry.name, s.name);
    if (item.walked) await keepImageName(ctx, item, wanted);
    const sidecar = ctx.tree.file(dir, sidecarKey(entry.name, s.name), wanted);
    try {
      const linkedFrom = sidecars.linkFrom?.get(s.name);
      if (linkedFrom !== undefined) hardLink(ctx.engine, linkedFrom, sidecar, dir.path, ctx.overwrite, ctx.inputs);
      else if (!(await writeStream(ctx, entry, s.name, s.size, sidecar, dir))) {
        ctx.reporter.skippedExisting(path, sidecar);
        continue;
      }
      sidecars.record?.set(s.name, sidecar);
      ctx.reporter.summary.files++;
      ctx.reporter.emit({ type: 'file', path, target: sidecar, bytes: s.size });
    } catch (error) {
      if (error instanceof GrtError && error.code === 'ABORTED') throw error;
      ctx.reporter.report('failure', path, ioError(error, 'write', sidecar), sidecar);
    }
  }
}
