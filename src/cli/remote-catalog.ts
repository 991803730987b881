/**
 * Catalogs at URLs: `--catalog https://…|s3://…` read whole into memory (as a local catalog is),
 * and `grt-catalog IMAGE -o s3://bucket/key` written to a local temporary file, then uploaded
 * (io/sources/s3-upload.ts). --header and --endpoint go with them under the image's rules: a
 * header is sent to the catalog only when it is the image's origin or no image is given.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrtError } from '../errors.js';
import { CATALOG_MAGIC } from '../catalog/magic.js';
import { isHttpUrl, isS3Url } from '../io/sources/url-kind.js';
import { remoteOpener, type ImageArgs } from './open-image.js';

/** Largest catalog read from a URL: it is held in memory whole (a catalog of 10 million files is ~300 MiB). */
export const MAX_REMOTE_CATALOG_BYTES = 1024 * 1024 * 1024;

export function isRemoteLocation(location: string): boolean {
  return isHttpUrl(location) || isS3Url(location);
}

function originOf(location: string): string | undefined {
  try {
    const url = new URL(location);
    return `${url.protocol}//${url.host}`;
  } catch {
    return undefined;
  }
}

/**
 * The catalog at `location`: a local path as it is (openCatalog reads it), a URL's bytes. With
 * `onlyIfCatalog`, a remote object that does not start with the catalog magic is left unread
 * (undefined): grt-catalog tells a catalog from an image by that.
 */
export async function catalogAt(location: string, values: ImageArgs, image?: string, onlyIfCatalog = false): Promise<string | Uint8Array | undefined> {
  if (!isRemoteLocation(location)) return location;
  const sameOrigin = image === undefined || originOf(image) === originOf(location);
  const opener = (await remoteOpener(location, { ...values, header: sameOrigin ? values.header : [], endpoint: isS3Url(location) ? values.endpoint : undefined }))!;
  try {
    const source = await opener.open(location);
    try {
      const head = await source.read(0, Math.min(source.size, CATALOG_MAGIC.length));
      if (onlyIfCatalog && !(head.length === CATALOG_MAGIC.length && head.every((b, i) => b === CATALOG_MAGIC[i]))) return undefined;
      if (source.size > MAX_REMOTE_CATALOG_BYTES) throw new GrtError('LIMIT_EXCEEDED', `catalog of ${source.size} bytes is past the ${MAX_REMOTE_CATALOG_BYTES}-byte limit for a URL`, { path: location });
      return await source.read(0, source.size);
    } finally {
      await source.close();
    }
  } finally {
    opener.destroy();
  }
}

/** Where a catalog for `output` is built before it goes up, and how it goes up; undefined for a local output. */
export interface RemoteOutput {
  /** The local file to build into. */
  path: string;
  /** EXISTS unless `overwrite`: checked before the (long) build. */
  checkAbsent(overwrite: boolean): Promise<void>;
  /** Upload the built file; returns its bytes. */
  upload(): Promise<number>;
  /** Remove the local file. */
  dispose(): Promise<void>;
}

export async function remoteOutput(output: string, values: ImageArgs, env: Record<string, string | undefined> = process.env): Promise<RemoteOutput | undefined> {
  if (isHttpUrl(output)) throw new GrtError('USAGE', 'a catalog is written to a local file or to s3://bucket/key, not to an http(s) URL');
  if (!isS3Url(output)) return undefined;
  // The uploader and its signing (node:https, node:crypto) are loaded only for an s3:// output.
  const [{ S3Writer }, { loadAwsSettings }] = await Promise.all([import('../io/sources/s3-upload.js'), import('../io/sources/aws-config.js')]);
  const writer = new S3Writer(await loadAwsSettings(env, values.endpoint));
  const folder = await mkdtemp(join(tmpdir(), 'grt-catalog-'));
  const path = join(folder, 'catalog.grtc');
  return {
    path,
    async checkAbsent(overwrite) {
      if (!overwrite && (await writer.exists(output))) throw new GrtError('EXISTS', 'the catalog object exists (not overwritten; --overwrite replaces it)', { path: output });
    },
    upload: () => writer.putFile(path, output),
    dispose: () => rm(folder, { recursive: true, force: true }),
  };
}
