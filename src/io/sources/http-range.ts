/**
 * One ranged GET over node:http(s), checked: a server is input like an image, so its answer is
 * refused unless it is exactly the bytes asked for, of the object pinned at open (RFC 9110 §14 range
 * requests, §13.1 preconditions). Retries with backoff on 5xx, resets and timeouts.
 */
import http from 'node:http';
import https from 'node:https';
import { GrtError } from '../../errors.js';

/** Attempts of one range before its error is reported: a flaky link recovers within a few. */
export const MAX_ATTEMPTS = 5;
/** First retry delay; doubled each attempt (100, 200, 400, 800 ms). */
export const RETRY_BASE_DELAY_MS = 100;
/** No range is retried past this much time from its first attempt: a dead server fails in bounded time. */
export const RETRY_BUDGET_MS = 30_000;
/** A response that sends nothing for this long is dropped and retried. */
export const RESPONSE_TIMEOUT_MS = 20_000;
/**
 * The slowest body accepted: a server trickling a byte now and then never trips the silence
 * timeout, so each attempt also has a deadline of RESPONSE_TIMEOUT_MS plus its length at this rate.
 */
export const MIN_BYTES_PER_SECOND = 64 * 1024;
/** Response headers larger than this are refused (Node's own default, stated so it is not changed by a flag). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Redirects followed for one request: more is a loop. */
export const MAX_REDIRECTS = 5;
/** Sockets kept open per origin: as many as ranges are read in parallel, plus the probe. */
export const MAX_SOCKETS = 8;

/** What a response is checked against: the object as it was when opened. */
export interface Pinned {
  size: number;
  etag: string | undefined;
  lastModified: string | undefined;
}

export interface RangeTarget {
  /** The URL requested (an s3:// location has already become its HTTP URL). */
  url: URL;
  /** Headers for this origin only (Authorization, …); never logged, never sent after a redirect to another origin. */
  headers: Record<string, string>;
  /** Follow redirects to another origin (without the headers above). */
  allowOtherOrigins: boolean;
  /** Adds per-request headers (an S3 signature) for the final URL; called once per attempt. */
  sign?: (url: URL, headers: Record<string, string>) => void;
  /** What messages name: the location as the user wrote it. */
  location: string;
  /** Silence after which a request is dropped and retried; default RESPONSE_TIMEOUT_MS. */
  timeoutMs?: number;
}

export interface RangeResult {
  bytes: Uint8Array;
  pinned: Pinned;
}

/** The agents of one opener: keep-alive, so the requests of a restore share a few connections. */
export function makeAgents(): { http: http.Agent; https: https.Agent } {
  const options = { keepAlive: true, maxSockets: MAX_SOCKETS };
  return { http: new http.Agent(options), https: new https.Agent(options) };
}
export type Agents = ReturnType<typeof makeAgents>;

/** A failure worth another attempt (5xx, reset, timeout, short body), carrying the error to report if none is left. */
class Retryable extends Error {
  constructor(readonly error: GrtError) {
    super(error.message);
  }
}

/**
 * Bytes [start, start + length) of the object at `target`. Without `pinned` (the probe at open) the
 * answer's size and validators become the pin; with it, they must match it. With `into` (exactly
 * `length` bytes) the body is written there as it arrives: a bulk read allocates and copies nothing.
 */
export async function getRange(agents: Agents, target: RangeTarget, start: number, length: number, pinned: Pinned | undefined, into?: Uint8Array): Promise<RangeResult> {
  const began = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptRange(agents, target, start, length, pinned, into);
    } catch (error) {
      if (!(error instanceof Retryable)) throw error;
      const delay = RETRY_BASE_DELAY_MS * 2 ** (attempt - 1);
      if (attempt >= MAX_ATTEMPTS || Date.now() - began + delay > RETRY_BUDGET_MS) throw error.error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function attemptRange(agents: Agents, target: RangeTarget, start: number, length: number, pinned: Pinned | undefined, into: Uint8Array | undefined): Promise<RangeResult> {
  let url = target.url;
  let sameOrigin = true;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { ...(sameOrigin ? target.headers : {}), range: `bytes=${start}-${start + length - 1}` };
    // A weak ETag never matches under If-Match's strong comparison (RFC 9110 §13.1.1): the date then.
    if (pinned?.etag !== undefined && !pinned.etag.startsWith('W/')) headers['if-match'] = pinned.etag;
    else if (pinned?.lastModified !== undefined) headers['if-unmodified-since'] = pinned.lastModified;
    if (sameOrigin) target.sign?.(url, headers);
    const response = await send(agents, url, headers, target.location, target.timeoutMs ?? RESPONSE_TIMEOUT_MS);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location !== undefined) {
      response.destroy();
      if (hop >= MAX_REDIRECTS) throw fail('LIMIT_EXCEEDED', target, `more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(response.headers.location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw fail('UNSAFE_PATH', target, `redirect to ${next.protocol} refused`);
      if (next.origin !== target.url.origin) {
        if (!target.allowOtherOrigins) throw fail('UNSAFE_PATH', target, `redirect to another origin (${next.origin}) refused`);
        sameOrigin = false;
      }
      url = next;
      continue;
    }
    return readAnswer(response, target, { start, length, into }, pinned);
  }
}

function send(agents: Agents, url: URL, headers: Record<string, string>, location: string, timeoutMs: number): Promise<http.IncomingMessage> {
  const module = url.protocol === 'https:' ? https : http;
  const agent = url.protocol === 'https:' ? agents.https : agents.http;
  return new Promise((resolve, reject) => {
    const request = module.request(url, { method: 'GET', headers, agent, maxHeaderSize: MAX_HEADER_BYTES, timeout: timeoutMs }, resolve);
    request.on('timeout', () => request.destroy(Object.assign(new Error(`no answer for ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) => {
      const detail = `request failed: ${error.code ?? error.message}`;
      // A header overflow is the server's doing and will not change on retry.
      if (error.code === 'HPE_HEADER_OVERFLOW') reject(new GrtError('LIMIT_EXCEEDED', `${location}: response headers over ${MAX_HEADER_BYTES} bytes`, { path: location }));
      else reject(new Retryable(new GrtError('IO_ERROR', `${location}: ${detail}`, { path: location, cause: error })));
    });
    request.end();
  });
}

function fail(code: GrtError['code'], target: RangeTarget, detail: string, details: { expected?: unknown; actual?: unknown } = {}): GrtError {
  return new GrtError(code, detail, { path: target.location, structure: 'HTTP response', ...details });
}

/** The status and headers checked, then the body read with its length bounded by what was asked. */
async function readAnswer(response: http.IncomingMessage, target: RangeTarget, asked: { start: number; length: number; into: Uint8Array | undefined }, pinned: Pinned | undefined): Promise<RangeResult> {
  const { start, length } = asked;
  const status = response.statusCode ?? 0;
  const refuse = (error: GrtError): never => {
    response.destroy();
    throw error;
  };
  if (status >= 500 || status === 429 || status === 408) refuse(new Retryable(fail('IO_ERROR', target, `server answered ${status}`)) as never);
  if (status === 401 || status === 403) refuse(fail('IO_ERROR', target, `access denied (${status}): check --header or the credentials`));
  if (status === 404 || status === 410) refuse(fail('NOT_FOUND', target, `not found (${status})`));
  if (status === 412) refuse(fail('IO_ERROR', target, 'the object changed since it was opened (412): its bytes would be mixed'));
  if (status === 416) refuse(fail('OUT_OF_RANGE', target, `range ${start}+${length} not satisfiable (416)`));
  // A 200 carries the whole object: refused rather than read past what was asked (decision: a
  // server without range support would make every read a full download).
  if (status === 200) refuse(fail('UNSUPPORTED', target, 'the server ignored the Range header (200 instead of 206): range requests are required'));
  if (status !== 206) refuse(fail('IO_ERROR', target, `unexpected answer ${status}`));
  const answered = parseContentRange(response.headers['content-range']);
  // The probe at open asks for more than a small object holds; the server then ends the range at
  // the object's end (RFC 9110 §14.1.2). Afterwards every range asked lies inside the pinned size.
  const end = pinned ? start + length - 1 : Math.min(start + length, answered?.total ?? 0) - 1;
  if (!answered || answered.first !== start || answered.last !== end) {
    refuse(fail('IO_ERROR', target, `Content-Range ${JSON.stringify(response.headers['content-range'] ?? null)} is not the range asked (bytes ${start}-${end})`));
  }
  const now = { size: answered!.total, etag: header(response, 'etag'), lastModified: header(response, 'last-modified') };
  if (pinned && (now.size !== pinned.size || (pinned.etag !== undefined && now.etag !== undefined && now.etag !== pinned.etag))) {
    refuse(fail('IO_ERROR', target, 'the object changed since it was opened (size or ETag differs): its bytes would be mixed', { expected: pinned.etag ?? pinned.size, actual: now.etag ?? now.size }));
  }
  const expected = end - start + 1;
  const declared = response.headers['content-length'];
  if (declared !== undefined && Number(declared) !== expected) refuse(fail('IO_ERROR', target, `Content-Length ${declared} is not the ${expected} bytes asked`));
  // The probe may be answered with less than asked (a small object): it never has `into`.
  const bytes = await readBody(response, target, asked.into?.length === expected ? asked.into : new Uint8Array(expected));
  return { bytes, pinned: pinned ?? now };
}

/** `bytes FIRST-LAST/TOTAL` with a known total (RFC 9110 §14.4); anything else is undefined. */
export function parseContentRange(value: string | undefined): { first: number; last: number; total: number } | undefined {
  const match = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16})$/.exec(value?.trim() ?? '');
  if (!match) return undefined;
  const [first, last, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (!Number.isSafeInteger(total) || first > last || last >= total) return undefined;
  return { first, last, total };
}

function header(response: http.IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Exactly `bytes.length` bytes into `bytes`: a longer body is refused at the first byte too many, a shorter one is retried. */
function readBody(response: http.IncomingMessage, target: RangeTarget, bytes: Uint8Array): Promise<Uint8Array> {
  const length = bytes.length;
  let filled = 0;
  const deadlineMs = (target.timeoutMs ?? RESPONSE_TIMEOUT_MS) + (length / MIN_BYTES_PER_SECOND) * 1000;
  let timer: NodeJS.Timeout | undefined;
  // NOTE: `bytes` may be the caller's buffer, reused once this settles: nothing may land in it after.
  let settled = false;
  return new Promise<Uint8Array>((resolve, reject) => {
    const stop = (error: Error): void => {
      settled = true;
      response.destroy();
      reject(error);
    };
    timer = setTimeout(() => stop(new Retryable(fail('IO_ERROR', target, `body of ${length} bytes not done in ${Math.round(deadlineMs)} ms`))), deadlineMs);
    response.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (filled + chunk.length > length) return stop(fail('IO_ERROR', target, `body longer than the ${length} bytes asked`));
      bytes.set(chunk, filled);
      filled += chunk.length;
    });
    response.on('end', () => {
      if (filled === length) resolve(bytes);
      else reject(new Retryable(fail('TRUNCATED', target, `body ended after ${filled} of ${length} bytes`)));
    });
    response.on('error', () => reject(new Retryable(fail('IO_ERROR', target, `connection lost after ${filled} of ${length} bytes`))));
    response.on('aborted', () => reject(new Retryable(fail('IO_ERROR', target, `connection lost after ${filled} of ${length} bytes`))));
  }).finally(() => {
    settled = true;
    clearTimeout(timer);
  });
}
