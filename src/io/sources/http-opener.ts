/**
 * A SourceOpener for http:// and https:// URLs. A name an image holds is a URL path segment list
 * resolved against the URL of the file naming it, under the rule of source-opener.ts: same origin,
 * inside that file's folder (the path up to its last `/`).
 */
import { GrtError } from '../../errors.js';
import type { OpenedSource, ParsedName, Placement, SourceOpener } from '../source-opener.js';
import { makeAgents, type Agents, type Pinned, type RangeTarget } from './http-range.js';
import { RemoteSource, type RemoteStats } from './remote-source.js';

/** Header lines given with --header: at most this many, each at most this long (they go on every request). */
export const MAX_USER_HEADERS = 32;
export const MAX_USER_HEADER_BYTES = 8 * 1024;

export interface HttpOpenerOptions {
  /** Sent with every request to the image's origin (e.g. `Authorization: Bearer …`); never to another. */
  headers?: Record<string, string>;
  /** Follow redirects to another origin (the headers above are then not sent). Default false. */
  allowOtherOrigins?: boolean;
  /** Block cache per object, MiB. */
  cacheMiB?: number;
  /** Silence after which a request is retried (http-range.ts RESPONSE_TIMEOUT_MS by default). */
  timeoutMs?: number;
}

export { isHttpUrl } from './url-kind.js';

/** `Name: value` lines (as curl takes them) into a header object, checked. */
export function parseHeaderLines(lines: readonly string[]): Record<string, string> {
  if (lines.length > MAX_USER_HEADERS) throw new GrtError('USAGE', `at most ${MAX_USER_HEADERS} --header options`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    // Only the name is shown: the value is usually a secret.
    // Not even an invalid name is shown: `Bearer abc: …` would put the token in the message.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new GrtError('USAGE', `--header takes 'Name: value' (a token name, a colon, the value)`);
    const value = line.slice(colon + 1).trim();
    if (line.length > MAX_USER_HEADER_BYTES || /[\r\n\0]/.test(value)) throw new GrtError('USAGE', `--header ${name}: value too long or holds a line break`);
    const key = name.toLowerCase();
    if (key === 'range' || key === 'if-match' || key === 'if-unmodified-since' || key === 'host') throw new GrtError('USAGE', `--header ${name} is set by grt itself`);
    headers[key] = value;
  }
  return headers;
}

/** The folder of a URL: its path up to and including the last `/`. */
function folderOf(url: URL): string {
  return url.pathname.slice(0, url.pathname.lastIndexOf('/') + 1);
}

/** Scheme and authority: an s3:// URL has no WHATWG origin (it is "null" for every bucket). */
function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** Shared by the HTTP and S3 openers: URLs in, RemoteSources out, names under the one rule. */
export abstract class UrlOpener implements SourceOpener {
  protected readonly agents: Agents = makeAgents();
  /** Requests and bytes of every object opened so far. */
  readonly stats: RemoteStats = { requests: 0, bytes: 0 };
  /**
   * What each location was pinned to when first opened: the extent pool closes and reopens files,
   * and a reopened object must be the one read before (one entry per file an image names).
   */
  private readonly pins = new Map<string, Pinned>();

  constructor(protected readonly cacheMiB: number | undefined) {}

  /** The request target of a location of this opener's kind. */
  protected abstract target(location: string): RangeTarget;
  /** The location as a URL whose origin and path the rule compares. */
  protected abstract parse(location: string): URL;
  protected abstract format(url: URL): string;

  async open(location: string): Promise<OpenedSource> {
    const pinned = this.pins.get(location);
    const options = { stats: this.stats, ...(pinned ? { pinned } : {}), ...(this.cacheMiB === undefined ? {} : { cacheMiB: this.cacheMiB }) };
    const source = await RemoteSource.open(this.agents, this.target(location), options);
    this.pins.set(location, source.pinned);
    return source;
  }

  inFolder(base: string, components: readonly string[]): string {
    const url = this.parse(base);
    url.pathname = folderOf(url) + components.map(encodeURIComponent).join('/');
    url.search = '';
    url.hash = '';
    return this.format(url);
  }

  /** A Windows path means nothing on a server; a POSIX one is a path on the same server. */
  original(base: string, name: ParsedName): string | undefined {
    if (name.windows) return undefined;
    const url = this.parse(base);
    const resolved = new URL(name.name.replace(/\\/g, '/').split('/').map(encodeURIComponent).join('/'), url);
    return originOf(resolved) === originOf(url) ? this.format(resolved) : undefined;
  }

  /**
   * Decided from the URLs alone (a server has no links to follow): a request here would only tell
   * 'missing' apart, and the open that follows reports NOT_FOUND the same way.
   */
  async place(base: string, location: string): Promise<Placement> {
    const from = this.parse(base);
    const to = this.parse(location);
    return originOf(to) === originOf(from) && to.pathname.startsWith(folderOf(from)) ? 'inside' : 'outside';
  }

  /** Drop the keep-alive sockets (each RemoteSource closes only its cache). */
  destroy(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

/** A URL as messages show it: a query (a presigned URL's signature) is left out. */
function redacted(url: URL): string {
  return `${url.origin}${url.pathname}${url.search ? '?…' : ''}`;
}

export class HttpOpener extends UrlOpener {
  private readonly headers: Record<string, string>;
  private readonly allowOtherOrigins: boolean;
  private readonly timeoutMs: number | undefined;
  /** The origin of the first location opened (the image): the only one the headers go to. */
  private imageOrigin: string | undefined;

  constructor(options: HttpOpenerOptions = {}) {
    super(options.cacheMiB);
    this.headers = { ...(options.headers ?? {}) };
    this.allowOtherOrigins = options.allowOtherOrigins ?? false;
    this.timeoutMs = options.timeoutMs;
  }

  protected parse(location: string): URL {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new GrtError('USAGE', `not a URL: ${JSON.stringify(location)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new GrtError('USAGE', `not an http(s) URL: ${JSON.stringify(location)}`);
    if (url.username || url.password) throw new GrtError('USAGE', 'credentials in the URL are refused (they would show in messages): use --header');
    return url;
  }

  protected format(url: URL): string {
    return url.href;
  }

  protected target(location: string): RangeTarget {
    const url = this.parse(location);
    this.imageOrigin ??= url.origin;
    const headers = url.origin === this.imageOrigin ? this.headers : {};
    return { url, headers, allowOtherOrigins: this.allowOtherOrigins, location: redacted(url), ...(this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs }) };
  }
}
