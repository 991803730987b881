/**
 * AWS Signature Version 4 for S3 requests without a body (GET, HEAD), in the Authorization header.
 * The steps are those of the S3 API reference, "Authenticating Requests: Using the Authorization
 * Header": canonical request, string to sign, a signing key derived from the secret by date, region
 * and service, and the HMAC-SHA256 of the one with the other.
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SignInput {
  /** GET and HEAD here; tests also sign a PUT, with its payload hash in x-amz-content-sha256. */
  method: string;
  url: URL;
  /** Lower-case names; every one is signed (the caller sends exactly these). `host` is added. */
  headers: Record<string, string>;
  region: string;
  credentials: AwsCredentials;
  /** The request time; the signature is valid for 15 minutes around it. */
  now: Date;
  service?: string;
}

/** SHA-256 of an empty body: what GET and HEAD sign as their payload hash. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RFC 3986 unreserved characters stay; every other byte is %XX (upper case), as SigV4 requires. */
export function uriEncode(text: string, keepSlash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: Buffer | string, text: string): Buffer => createHmac('sha256', key).update(text, 'utf8').digest();

/** `20130524T000000Z`. */
export function amzDate(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Add `host`, `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (with a session token)
 * and `authorization` to `input.headers`. S3 paths are encoded once (no second encoding, unlike the
 * other services), from the decoded key.
 */
export function signRequest(input: SignInput): Record<string, string> {
  const { url, credentials } = input;
  const service = input.service ?? 's3';
  const date = amzDate(input.now);
  const day = date.slice(0, 8);
  const headers: Record<string, string> = { ...input.headers, host: url.host, 'x-amz-date': date };
  headers['x-amz-content-sha256'] ??= EMPTY_BODY_SHA256;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).map((n) => n.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([n, v]) => [n.toLowerCase(), v]));
  const canonicalHeaders = names.map((n) => `${n}:${lower[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const path = uriEncode(decodeURIComponent(url.pathname), true);
  const query = [...url.searchParams]
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [input.method, path, query, canonicalHeaders, signedHeaders, lower['x-amz-content-sha256']].join('\n');
  const scope = `${day}/${input.region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), input.region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`;
  return headers;
}
