/**
 * Alternate data streams as Linux extended attributes `user.<stream>`. Node has no xattr API, so
 * this runs the attr package's `setfattr` (no shell; values passed base64-encoded as `0s…`).
 */
import { execFile } from 'node:child_process';
import { GrtError } from '../errors.js';

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

/** Set `user.<name>` on `path` (not following a final symlink) for each stream. */
export async function writeXattrs(path: string, values: Map<string, Uint8Array>): Promise<void> {
  for (const [name, value] of values) {
    await run(['-h', '-n', `user.${name}`, '-v', `0s${Buffer.from(value).toString('base64')}`, '--', path]);
  }
}
