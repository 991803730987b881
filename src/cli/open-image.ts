/** How a command opens the IMAGE argument, with the options shared by every command. */
import { GrtError } from '../errors.js';
import { openImage, type Image, type OpenImageOptions } from '../image.js';
import type { CliIo } from './output.js';
import type { FsKind } from '../volume/types.js';

export interface ImageArgs {
  parent?: string | undefined;
  'ignore-cid-mismatch'?: boolean | undefined;
  'allow-unsafe-extent-paths'?: boolean | undefined;
  fs?: string | undefined;
}

export async function openImageArg(path: string | undefined, values: ImageArgs, io: CliIo): Promise<Image> {
  if (path === undefined) throw new GrtError('USAGE', 'no IMAGE given (see --help)');
  const options: OpenImageOptions = {};
  if (values.parent !== undefined) options.parentPath = values.parent;
  if (values['ignore-cid-mismatch']) options.ignoreCidMismatch = true;
  if (values['allow-unsafe-extent-paths']) options.allowUnsafeExtentPaths = true;
  // Not checked against a list here: a kind no volume holds is USAGE from listVolumes.
  if (values.fs !== undefined) options.fs = values.fs as FsKind;
  return (io.openImage ?? openImage)(path, options);
}
