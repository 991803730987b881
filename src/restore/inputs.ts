/**
 * The files a run reads (image, extents, parents, catalog) must never become one of its outputs:
 * `grt-catalog img.vmdk -o img.vmdk`, or a restore of `/` with `--overwrite` into the image's own
 * folder, would replace the backup with what was read from it. Files are compared by device and
 * inode, so another name for the same file (a hard link, `./img.vmdk`, a bind mount) is caught too.
 */
import { fstatSync, lstatSync, statSync, type BigIntStats } from 'node:fs';
import { GrtError } from '../errors.js';

/** A file being read, by identity. The shape `VirtualDisk.inputFiles()` gives (src/io). */
export interface InputFile {
  path: string;
  dev: bigint;
  ino: bigint;
}

/** The identity of the file at `path` (following links: the file that is read), or undefined when there is none. */
export function inputFileAt(path: string): InputFile | undefined {
  try {
    const stat = statSync(path, { bigint: true, throwIfNoEntry: false });
    return stat ? { path, dev: stat.dev, ino: stat.ino } : undefined;
  } catch {
    return undefined; // unreadable: it is not what grt reads either
  }
}

function matching(stat: BigIntStats | undefined, inputs: readonly InputFile[]): InputFile | undefined {
  if (!stat || !stat.isFile()) return undefined;
  return inputs.find((input) => input.dev === stat.dev && input.ino === stat.ino);
}

function refusal(input: InputFile, target: string): GrtError {
  return new GrtError('UNSAFE_PATH', `the target is ${input.path}, a file this run reads; not replaced`, { path: target });
}

/**
 * Throw UNSAFE_PATH when `target` (a path: the name itself, not followed, since a rename replaces
 * the name; a descriptor: the file it writes) is one of `inputs`. Nothing there is no input.
 */
export function refuseInputTarget(target: string | number, inputs: readonly InputFile[] | undefined, name = String(target)): void {
  if (!inputs || inputs.length === 0) return;
  let stat: BigIntStats | undefined;
  try {
    stat = typeof target === 'number' ? fstatSync(target, { bigint: true }) : lstatSync(target, { bigint: true, throwIfNoEntry: false });
  } catch {
    return; // cannot be looked at: the write that follows reports its own error
  }
  const input = matching(stat, inputs);
  if (input) throw refusal(input, name);
}
