/**
 * The files a command reads, by identity, so that no output replaces one of them
 * (restore/inputs.ts): the disk's own list when it gives one (`VirtualDisk.inputFiles()`),
 * otherwise every link of the chain and the extent files each one names, plus a catalog.
 */
import { dirname, isAbsolute, join } from 'node:path';
import type { VirtualDisk } from '../vmdk/disk.js';
import { inputFileAt, type InputFile } from '../restore/inputs.js';

export function commandInputs(disk: VirtualDisk | undefined, otherPaths: readonly (string | undefined)[] = []): InputFile[] {
  const paths: string[] = otherPaths.filter((p): p is string => p !== undefined);
  const listed = (disk as { inputFiles?: () => readonly InputFile[] } | undefined)?.inputFiles?.();
  const inputs: InputFile[] = listed ? [...listed] : [];
  if (!listed) {
    for (let link = disk; link; link = link.parent) {
      paths.push(link.info.path);
      for (const extent of link.info.extents) {
        if (extent.file !== undefined) paths.push(isAbsolute(extent.file) ? extent.file : join(dirname(link.info.path), extent.file));
      }
    }
  }
  for (const path of paths) {
    const input = inputFileAt(path);
    if (input) inputs.push(input);
  }
  return inputs;
}
