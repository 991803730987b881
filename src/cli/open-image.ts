/** How a command opens the IMAGE argument, with the options shared by every command. */
import { GrtError, type GrtWarning } from '../errors.js';
import { openImage, type Image, type OpenImageOptions } from '../image.js';
import type { VirtualDisk } from '../vmdk/disk.js';
import type { CliIo } from './output.js';
import type { FsKind } from '../volume/types.js';

export interface ImageArgs {
  parent?: string | undefined;
  'add-disk'?: string[] | undefined;
  'ignore-cid-mismatch'?: boolean | undefined;
  'allow-unsafe-extent-paths'?: boolean | undefined;
  fs?: string | undefined;
}

/**
 * Every warning the disk layer gave on opening, for each disk of the image and each link of its
 * snapshot chain (a parent's named by its file, a disk after the first by its number). These are damage that changes what the disk reads (a cut-off export, a descriptor
 * line not understood, a CID mismatch let through), so every command shows them, not only
 * `--info`. The partition table's warnings are not among them: they concern reading volumes, and
 * say nothing to a whole-disk export.
 */
export function imageWarnings(image: Image): GrtWarning[] {
  const warnings: GrtWarning[] = [];
  (image.disks ?? [image.disk]).forEach((top, i) => {
    const diskName = i === 0 ? '' : `disk ${i + 1}: `;
    for (let disk: VirtualDisk | undefined = top; disk; disk = disk.parent) {
      const from = disk === top ? diskName : `${diskName}parent ${disk.info.path}: `;
      for (const w of disk.info.warnings) warnings.push({ ...w, message: from + w.message });
    }
  });
  return warnings;
}

/**
 * Open IMAGE and print its warnings to stderr as `NAME: warning: …` (whatever the output format:
 * stdout may be a listing, JSON lines or the disk's bytes).
 */
export async function openImageArg(path: string | undefined, values: ImageArgs, io: CliIo, command: string): Promise<Image> {
  if (path === undefined) throw new GrtError('USAGE', 'no IMAGE given (see --help)');
  const options: OpenImageOptions = {};
  if (values.parent !== undefined) options.parentPath = values.parent;
  if (values['add-disk'] !== undefined && values['add-disk'].length > 0) options.addDisks = values['add-disk'];
  if (values['ignore-cid-mismatch']) options.ignoreCidMismatch = true;
  if (values['allow-unsafe-extent-paths']) options.allowUnsafeExtentPaths = true;
  // Not checked against a list here: a kind no volume holds is USAGE from listVolumes.
  if (values.fs !== undefined) options.fs = values.fs as FsKind;
  const image = await (io.openImage ?? openImage)(path, options);
  for (const w of imageWarnings(image)) io.stderr.write(`${command}: warning: ${w.message}\n`);
  return image;
}
