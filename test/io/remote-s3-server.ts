/**
 * s3rver on 127.0.0.1 for the S3 tests, with a signed PUT to fill its bucket. s3rver checks the
 * access key but not SigV4 signatures (its v4 check is unimplemented), so it sits behind a proxy
 * that verifies every signature with its own code, written from the S3 API reference apart from
 * src/io/sources/sigv4.ts: a request it cannot verify gets 403 SignatureDoesNotMatch.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { signRequest } from '../../src/io/sources/sigv4.js';

/** s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const BUCKET = 'vm-backups';

export interface S3Server {
  endpoint: URL;
  /** Requests whose signature the proxy verified, and those it refused. */
  verified: number;
  refused: number;
  put(key: string, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export async function startS3(): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'grt-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET }] });
  const address = (await server.run()) as { port: number };
  const state = { verified: 0, refused: 0 };
  const proxy = http.createServer((req, res) => {
    if (!verifySignature(req)) {
      state.refused++;
      return void res.writeHead(403).end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
    }
    state.verified++;
    const upstream = http.request({ host: '127.0.0.1', port: address.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = new URL(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
  const put = (key: string, bytes: Uint8Array): Promise<void> => {
    const url = new URL(`${endpoint.href}${BUCKET}/${key.split('/').map(encodeURIComponent).join('/')}`);
    const headers = signRequest({ method: 'PUT', url, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(bytes.length) }, region: 'us-east-1', credentials: S3RVER_CREDENTIALS, now: new Date() });
    return new Promise((resolve, reject) => {
      const request = http.request(url, { method: 'PUT', headers }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`PUT ${key}: ${response.statusCode}`))));
      });
      request.on('error', reject);
      request.end(bytes);
    });
  };
  return {
    endpoint,
    get verified() {
      return state.verified;
    },
    get refused() {
      return state.refused;
    },
    put,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}


/** SigV4's URI encoding: encodeURIComponent, plus the five characters it leaves that SigV4 escapes. */
function awsEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Recompute the request's signature from what arrived on the wire, with s3rver's secret. */
function verifySignature(req: http.IncomingMessage): boolean {
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
  const date = req.headers['x-amz-date'];
  if (!auth || typeof date !== 'string' || auth[1] !== S3RVER_CREDENTIALS.accessKeyId || !date.startsWith(auth[2]!)) return false;
  const when = Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15));
  if (Math.abs(Date.now() - when) > 15 * 60_000) return false;
  const [rawPath, rawQuery = ''] = (req.url ?? '/').split('?');
  const path = rawPath!.split('/').map((segment) => awsEncode(decodeURIComponent(segment))).join('/');
  const query = rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => pair.split('=').map((part) => awsEncode(decodeURIComponent(part.replace(/\+/g, ' ')))))
    .map(([k, v = '']) => `${k}=${v}`)
    .sort()
    .join('&');
  const signed = auth[4]!.split(';');
  if (!signed.includes('host') || !signed.includes('x-amz-date')) return false;
  const headerLines = signed.map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/ +/g, ' ')}\n`).join('');
  const canonical = `${req.method}\n${path}\n${query}\n${headerLines}\n${auth[4]}\n${req.headers['x-amz-content-sha256'] ?? ''}`;
  const toSign = `AWS4-HMAC-SHA256\n${date}\n${auth[2]}/${auth[3]}/s3/aws4_request\n${createHash('sha256').update(canonical).digest('hex')}`;
  let key: Buffer = Buffer.from(`AWS4${S3RVER_CREDENTIALS.secretAccessKey}`);
  for (const part of [auth[2]!, auth[3]!, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex') === auth[5];
}
