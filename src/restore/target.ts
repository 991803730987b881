/**
 * Facts about the restore target and link targets: whether the target directory's file system
 * folds case (probed once), and whether a symlink/junction target can be recreated inside it.
 */
import { lstat, open, unlink } from 'node:fs/promises';
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
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
