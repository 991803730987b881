/**
 * Extended attributes on restored files: NTFS alternate data streams as `user.<stream>`, and a
 * Linux volume's own `user.*` xattrs. Node has no xattr API, so this runs the attr package's
 * `setfattr` (tools.ts; values passed base64-encoded as `0s…`).
 */
import { GrtError, messageText } from '../errors.js';
import { runTool, toolAvailable } from './tools.js';

/** Largest xattr value Linux accepts (XATTR_SIZE_MAX, 64 KiB); ext4 allows less in practice. */
export const XATTR_MAX_BYTES = 65536;

/** Whether `setfattr` can be run here. */
export function xattrToolAvailable(): Promise<boolean> {
  return toolAvailable('setfattr');
}

/**
 * Set `user.<name>` on `path` (not following a final symlink) for each stream; the ones that could
 * not be set, with why. One failure does not stop the others: ext4 keeps all of a file's xattrs in
 * one block, so a large stream may not fit while small ones do.
 */
export function writeXattrs(path: string, values: Map<string, Uint8Array>): Promise<Map<string, GrtError>> {
  return writeNamedXattrs(path, values, 'user.');
}

/** Set each xattr of `values` (names given whole, `prefix` put before them) on `path`; the failures, by name. */
export async function writeNamedXattrs(path: string, values: Map<string, Uint8Array>, prefix = ''): Promise<Map<string, GrtError>> {
  const failed = new Map<string, GrtError>();
  for (const [name, value] of values) {
    try {
      await runTool('setfattr', ['-h', '-n', `${prefix}${name}`, '-v', `0s${Buffer.from(value).toString('base64')}`, '--', path]);
    } catch (error) {
      const grt = error instanceof GrtError ? error : new GrtError('IO_ERROR', String(error));
      const hint = /No space left|Argument list too long|too large/i.test(grt.message)
        ? ' (the target keeps little xattr space per file; --streams=files has no such limit)'
        : '';
      failed.set(name, hint ? new GrtError('IO_ERROR', `${messageText(grt)}${hint}`) : grt);
    }
  }
  return failed;
}
