/** How a command opens the IMAGE argument, with the options shared by every command. */
import { GrtError } from '../errors.js';
import { openImage, type Image, type OpenImageOptions } from '../image.js';
import type { CliIo } from './output.js';

export interface ImageArgs {
  parent?: string | undefined;
  'ignore-cid-mismatch'?: boolean | undefined;
  'allow-unsafe-extent-paths'?: boolean | undefined;
}

export async function openImageArg(path: string | undefined, values: ImageArgs, io: CliIo): Promise<Image> {
  if (path === undefined) throw new GrtError('USAGE', 'no IMAGE given (see --help)');
  const options: OpenImageOptions = {};
  if (values.parent !== undefined) options.parentPath = values.parent;
  if (values['ignore-cid-mismatch']) options.ignoreCidMismatch = true;
  if (values['allow-unsafe-extent-paths']) options.allowUnsafeExtentPaths = true;
  return (io.openImage ?? openImage)(path, options);
}
