/**
 * A SourceOpener for `s3://bucket/key`: ranged GetObject requests signed with SigV4 (sigv4.ts), the
 * same checked range reader as HTTP. With an endpoint (S3-compatible stores) requests are path-style
 * (`ENDPOINT/bucket/key`); without one, virtual-hosted on AWS (`bucket.s3.REGION.amazonaws.com`),
 * path-style for bucket names with dots (a virtual host name would not match the TLS certificate).
 */
import { GrtError } from '../../errors.js';
import type { AwsSettings } from './aws-config.js';
import { UrlOpener } from './http-opener.js';
import type { RangeTarget } from './http-range.js';
import { signRequest } from './sigv4.js';

export { isS3Url } from './url-kind.js';

/** S3 bucket names: 3–63 of lower-case letters, digits, dots and hyphens (the S3 naming rules). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export interface S3OpenerOptions {
  cacheMiB?: number;
  /** The clock signatures are dated by (tests pin it). */
  now?: () => Date;
}

export class S3Opener extends UrlOpener {
  private readonly now: () => Date;

  constructor(
    private readonly settings: AwsSettings,
    options: S3OpenerOptions = {},
  ) {
    super(options.cacheMiB);
    this.now = options.now ?? (() => new Date());
  }

  protected parse(location: string): URL {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new GrtError('USAGE', `not an s3:// URL: ${JSON.stringify(location)}`);
    }
    if (url.protocol !== 's3:' || !BUCKET_NAME.test(url.hostname) || url.port || url.username || url.search) {
      throw new GrtError('USAGE', `not an s3://bucket/key URL: ${JSON.stringify(location)}`);
    }
    if (url.pathname.length <= 1) throw new GrtError('USAGE', `${location} names a bucket, not an object`);
    return url;
  }

  protected format(url: URL): string {
    return `s3://${url.hostname}${url.pathname}`;
  }

  /** The HTTP URL of an object. */
  httpUrl(location: string): URL {
    const url = this.parse(location);
    const bucket = url.hostname;
    const { endpoint, region } = this.settings;
    if (endpoint) {
      const base = endpoint.pathname.replace(/\/+$/, '');
      return new URL(`${endpoint.protocol}//${endpoint.host}${base}/${bucket}${url.pathname}`);
    }
    if (bucket.includes('.')) return new URL(`https://s3.${region}.amazonaws.com/${bucket}${url.pathname}`);
    return new URL(`https://${bucket}.s3.${region}.amazonaws.com${url.pathname}`);
  }

  protected target(location: string): RangeTarget {
    const { credentials, region } = this.settings;
    return {
      url: this.httpUrl(location),
      headers: {},
      // S3 answers GetObject itself; a redirect (a bucket in another region) is refused, not followed unsigned.
      allowOtherOrigins: false,
      sign: (url, headers) => Object.assign(headers, signRequest({ method: 'GET', url, headers, region, credentials, now: this.now() })),
      location,
    };
  }
}
