/**
 * Facts about the restore target and link targets: whether the target directory's file system
 * folds case (probed once), and whether a symlink/junction target can be recreated inside it.
 */
import { lstat, open, unlink } from 'node:fs/promises';
import { constants, lstatSync, readlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ioError } from './write.js';
import { safeName, type NameRules } from './safe-name.js';

/** True when `dir` treats names differing only in case as the same (NTFS, APFS, exFAT, FAT by default). */
export async function probeCaseInsensitive(dir: string): Promise<boolean> {
  const name = `.grt-case-probe-${randomBytes(6).toString('hex')}`;
  const path = join(dir, name);
  try {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    await handle.close();
  } catch (cause) {
    throw ioError(cause, 'create', path);
  }
  try {
    await lstat(join(dir, name.toUpperCase()));
    return true;
  } catch {
    return false;
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

export type LinkTarget = { ok: true; target: string } | { ok: false; reason: string };

/**
 * The relative target to give a recreated link at `depth` directories below the restore root, or
 * why none is safe. Accepted: relative targets whose `..` components all come first and do not climb
 * above the root. NOTE: `..` after a name is refused because that name may itself be a restored link,
 * and resolving through it could leave the root; with `..` only at the front, the climb goes through
 * real directories this restore checked, and each name below resolves inside the root by induction.
 * Names are made safe with the same rules as restored names, so the common case points at them.
 */
export function resolveLinkTarget(stored: string, depth: number, rules: NameRules): LinkTarget {
  const text = stored.replace(/\\/g, '/');
  if (text === '') return { ok: false, reason: 'empty target' };
  if (text.startsWith('/') || /^[A-Za-z]:/.test(text) || text.startsWith('??/')) {
    return { ok: false, reason: 'absolute target (outside the restore root)' };
  }
  const parts = text.split('/').filter((p) => p !== '' && p !== '.');
  let ups = 0;
  const names: string[] = [];
  for (const part of parts) {
    if (part === '..') {
      if (names.length > 0) return { ok: false, reason: '".." after a name (could pass through another link)' };
      ups++;
    } else names.push(safeName(part, rules));
  }
  if (ups > depth) return { ok: false, reason: 'target leads outside the restore root' };
  const target = [...Array<string>(ups).fill('..'), ...names].join('/');
  return target === '' ? { ok: true, target: '.' } : { ok: true, target };
}

/** Symbolic links followed while checking one link target: Linux's own limit (path_resolution(7), ELOOP). */
export const MAX_LINK_HOPS = 40;

const isInside = (root: string, path: string): boolean => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * Why a link made in `dir` (a real directory inside `root`, both without symbolic links) with the
 * relative `target` would lead outside `root` through what is on disk now, or undefined when it
 * stays inside. The text rules (resolveLinkTarget) assume every name below the root is a
 * directory or link this restore made; a link already in the output directory (`out/a ->
 * /tmp/victim`) breaks that, so each existing component is looked at with lstat and a link met on
 * the way is followed by its text, hop by hop. A component not there yet is made by this restore
 * later (a checked directory, or a link checked the same way when it is made).
 */
export function linkEscape(dir: string, target: string, root: string): string | undefined {
  let at = dir;
  const pending = target.split('/').filter((p) => p !== '' && p !== '.');
  for (let hops = 0; pending.length > 0; ) {
    const part = pending.shift()!;
    if (part === '..') {
      if (at === root) return 'target leads outside the restore root';
      at = dirname(at);
      continue;
    }
    const next = join(at, part);
    let stat;
    try {
      stat = lstatSync(next, { throwIfNoEntry: false });
    } catch {
      return `${next} cannot be checked`;
    }
    if (stat === undefined) return undefined; // not there yet: made (and checked) by this restore
    if (stat.isSymbolicLink()) {
      if (++hops > MAX_LINK_HOPS) return 'too many symbolic links on the way (a loop)';
      const text = readlinkSync(next);
      if (text.startsWith('/')) {
        const absolute = resolve(text);
        if (!isInside(root, absolute)) return `passes through ${next}, a link to ${JSON.stringify(text)} outside the restore root`;
        at = root;
        pending.unshift(...relative(root, absolute).split(sep).filter((p) => p !== ''));
      } else pending.unshift(...text.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    if (!stat.isDirectory()) return undefined; // a file: nothing can be reached below it
    at = next;
  }
  return undefined;
}
