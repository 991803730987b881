/**
 * External tools a restore runs for what Node has no API for: `setfattr` (xattrs), `mkfifo` and
 * `mknod` (special files). Run without a shell, each bounded in time; a failure is a GrtError with
 * the tool's own message.
 */
import { execFile } from 'node:child_process';
import { GrtError } from '../errors.js';

/** Longest a single tool run may take before the restore gives up on it. */
const TOOL_TIMEOUT_MS = 30_000;

export function runTool(tool: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: TOOL_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) resolve();
      else reject(new GrtError('IO_ERROR', `${tool} failed: ${String(stderr).trim() || error.message}`));
    });
  });
}

/** Whether `tool` can be run here (`tool --version` succeeds); Linux only. */
export async function toolAvailable(tool: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  return runTool(tool, ['--version']).then(
    () => true,
    () => false,
  );
}
