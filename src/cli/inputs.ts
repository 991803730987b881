/**
 * The files a command reads, by identity, so that no output replaces one of them
 * (restore/inputs.ts): the disk's own list when it gives one (`VirtualDisk.inputFiles()`),
 * otherwise every link of the chain and the extent files each one names, plus a catalog.
 */
import { dirname, isAbsolute, join } from 'node:path';
import type { VirtualDisk } from '../vmdk/disk.js';
import { inputFileAt, type InputFile } from '../restore/inputs.js';

/** `disks`: the image's disks (Image.disks), or one disk; every one's files are inputs. */
export function commandInputs(disks: VirtualDisk | readonly VirtualDisk[] | undefined, otherPaths: readonly (string | undefined)[] = []): InputFile[] {
  const paths: string[] = otherPaths.filter((p): p is string => p !== undefined);
  const inputs: InputFile[] = [];
  for (const disk of disks === undefined ? [] : Array.isArray(disks) ? disks : [disks as VirtualDisk]) inputs.push(...diskInputs(disk, paths));
  for (const path of paths) {
    const input = inputFileAt(path);
    if (input) inputs.push(input);
  }
  return inputs;
}

/** One disk's own list of files, or (without one) its chain's paths added to `paths`. */
function diskInputs(disk: VirtualDisk, paths: string[]): InputFile[] {
  const listed = (disk as { inputFiles?: () => readonly InputFile[] }).inputFiles?.();
  const inputs: InputFile[] = listed ? [...listed] : [];
  if (!listed) {
    for (let link: VirtualDisk | undefined = disk; link; link = link.parent) {
      paths.push(link.info.path);
      for (const extent of link.info.extents) {
        if (extent.file !== undefined) paths.push(isAbsolute(extent.file) ? extent.file : join(dirname(link.info.path), extent.file));
      }
    }
  }
  return inputs;
}
