/** s3rver on 127.0.0.1 for the S3 tests, with a signed PUT to fill its bucket. */
import { mkdtemp, rm } from 'node:fs/promises';
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
  put(key: string, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export async function startS3(): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'grt-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET }] });
  const address = (await server.run()) as { port: number };
  const endpoint = new URL(`http://127.0.0.1:${address.port}`);
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
    put,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

