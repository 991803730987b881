/**
 * Alternate data streams as Linux extended attributes `user.<stream>`. Node has no xattr API, so
 * this runs the attr package's `setfattr` (no shell; values passed base64-encoded as `0s…`).
 */
import { execFile } from 'node:child_process';
import { GrtError, messageText } from '../errors.js';

/** Largest xattr value Linux accepts (XATTR_SIZE_MAX, 64 KiB); ext4 allows less in practice. */
export const XATTR_MAX_BYTES = 65536;
/** Longest a single setfattr run may take before the restore gives up on it. */
const SETFATTR_TIMEOUT_MS = 30_000;

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('setfattr', args, { timeout: SETFATTR_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) resolve();
      else reject(new GrtError('IO_ERROR', `setfattr failed: ${String(stderr).trim() || error.message}`));
    });
  });
}

/** Whether `setfattr` can be run here. */
export async function xattrToolAvailable(): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  return run(['--version']).then(
    () => true,
    () => false,
  );
}

/**
 * Set `user.<name>` on `path` (not following a final symlink) for each stream; the ones that could
 * not be set, with why. One failure does not stop the others: ext4 keeps all of a file's xattrs in
 * one block, so a large stream may not fit while small ones do.
 */
export async function writeXattrs(path: string, values: Map<string, Uint8Array>): Promise<Map<string, GrtError>> {
  const failed = new Map<string, GrtError>();
  for (const [name, value] of values) {
    try {
      await run(['-h', '-n', `user.${name}`, '-v', `0s${Buffer.from(value).toString('base64')}`, '--', path]);
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
