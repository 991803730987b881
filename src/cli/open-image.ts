/** How a command opens the IMAGE argument, with the options shared by every command. */
import { GrtError, type GrtWarning } from '../errors.js';
import { openImage, type Image, type OpenImageOptions } from '../image.js';
import type { UrlOpener } from '../io/sources/http-opener.js';
import type { VirtualDisk } from '../vmdk/disk.js';
import type { GrainInflation } from '../vmdk/inflation.js';
import type { CliIo } from './output.js';
import type { FsKind } from '../volume/types.js';

export interface ImageArgs {
  parent?: string | undefined;
  'add-disk'?: string[] | undefined;
  'ignore-cid-mismatch'?: boolean | undefined;
  'allow-unsafe-extent-paths'?: boolean | undefined;
  fs?: string | undefined;
  header?: string[] | undefined;
  endpoint?: string | undefined;
  /** Only grt-ls and grt-extract take it. */
  'raw-wof'?: boolean | undefined;
}

/** A path that starts with a URL scheme (`https://`, `s3://`): only such a path may need the remote openers. */
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The opener an http(s):// or s3:// IMAGE needs; undefined for a local path. The openers (node:http,
 * node:crypto for SigV4) are loaded only for a URL: a local listing does not pay their start-up.
 */
export async function remoteOpener(path: string, values: ImageArgs, env: Record<string, string | undefined> = process.env): Promise<UrlOpener | undefined> {
  if (URL_SCHEME.test(path)) {
    const [{ HttpOpener, isHttpUrl, parseHeaderLines }, { isS3Url, S3Opener }] = await Promise.all([import('../io/sources/http-opener.js'), import('../io/sources/s3-opener.js')]);
    if (isHttpUrl(path)) {
      if (values.endpoint !== undefined) throw new GrtError('USAGE', '--endpoint is for s3:// images');
      return new HttpOpener({ headers: parseHeaderLines(values.header ?? []) });
    }
    if (isS3Url(path)) {
      if (values.header?.length) throw new GrtError('USAGE', '--header is for http(s):// images (S3 requests are signed)');
      const { loadAwsSettings } = await import('../io/sources/aws-config.js');
      return new S3Opener(await loadAwsSettings(env, values.endpoint));
    }
  }
  if (values.header?.length || values.endpoint !== undefined) throw new GrtError('USAGE', '--header and --endpoint are for http(s):// and s3:// images');
  return undefined;
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
export async function openImageArg(path: string | undefined, values: ImageArgs, io: CliIo, command: string, inflation?: GrainInflation): Promise<Image> {
  if (path === undefined) throw new GrtError('USAGE', 'no IMAGE given (see --help)');
  const options: OpenImageOptions = {};
  if (inflation) options.inflation = inflation; // a restore's engine's (Engine.prepareFor)
  if (values.parent !== undefined) options.parentPath = values.parent;
  if (values['add-disk'] !== undefined && values['add-disk'].length > 0) options.addDisks = values['add-disk'];
  if (values['ignore-cid-mismatch']) options.ignoreCidMismatch = true;
  if (values['allow-unsafe-extent-paths']) options.allowUnsafeExtentPaths = true;
  // Not checked against a list here: a kind no volume holds is USAGE from listVolumes.
  if (values.fs !== undefined) options.fs = values.fs as FsKind;
  if (values['raw-wof']) options.rawWof = true;
  const opener = await remoteOpener(path, values);
  if (opener) options.open = opener;
  let image: Image;
  try {
    image = await (io.openImage ?? openImage)(path, options);
  } catch (error) {
    opener?.destroy();
    throw error;
  }
  if (opener) {
    // The keep-alive sockets go with the image, or the process would wait on them.
    const close = image.close.bind(image);
    image.close = async () => {
      await close();
      opener.destroy();
    };
  }
  for (const w of imageWarnings(image)) io.stderr.write(`${command}: warning: ${w.message}\n`);
  return image;
}
