/**
 * Writing a local file to S3 (a catalog made at backup time, stored beside the backup): one signed
 * PutObject up to SINGLE_PUT_MAX_BYTES, else a multipart upload — CreateMultipartUpload, UploadPart
 * for each PART_BYTES of the file (read one part at a time: memory stays at one part), then
 * CompleteMultipartUpload (S3 API Reference, "Uploading and copying objects using multipart
 * upload"). Each body is signed with its SHA-256 (no UNSIGNED-PAYLOAD: the signature covers the
 * bytes, over http endpoints too). A failed multipart upload is aborted so no parts are left billed.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { GrtError } from '../../errors.js';
import type { AwsSettings } from './aws-config.js';
import { MAX_HEADER_BYTES, RESPONSE_TIMEOUT_MS, RETRY_BASE_DELAY_MS } from './http-range.js';
import { S3Opener } from './s3-opener.js';
import { signRequest } from './sigv4.js';

/** Largest object sent in one PUT: above it a multipart upload (S3 itself takes up to 5 GiB in one). */
export const SINGLE_PUT_MAX_BYTES = 64 * 1024 * 1024;
/** Bytes per uploaded part: S3 wants at least 5 MiB (but the last), and at most 10,000 parts. */
export const UPLOAD_PART_BYTES = 16 * 1024 * 1024;
/** S3's limit on parts of one upload: with UPLOAD_PART_BYTES, objects up to 156 GiB. */
export const MAX_UPLOAD_PARTS = 10_000;
/** Tries of one request before its error is reported (a part is sent again whole). */
export const MAX_UPLOAD_ATTEMPTS = 4;
/** An S3 answer body (an error, an UploadId) is read up to this much: they are a few hundred bytes. */
const MAX_ANSWER_BYTES = 64 * 1024;

interface Answer {
  status: number;
  etag: string | undefined;
  body: string;
}

export interface S3WriterOptions {
  /** The clock signatures are dated by (tests pin it). */
  now?: () => Date;
  /** Tests lower these to make multipart uploads of small files. */
  singlePutMaxBytes?: number;
  partBytes?: number;
}

/** The `<Code>` of an S3 error body, for messages. */
function errorCode(body: string): string {
  return /<Code>([^<]{1,64})<\/Code>/.exec(body)?.[1] ?? 'no error code';
}

export class S3Writer {
  private readonly urls: S3Opener;
  private readonly now: () => Date;
  private readonly singlePutMaxBytes: number;
  private readonly partBytes: number;

  constructor(
    private readonly settings: AwsSettings,
    options: S3WriterOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.urls = new S3Opener(settings, { now: this.now });
    this.singlePutMaxBytes = options.singlePutMaxBytes ?? SINGLE_PUT_MAX_BYTES;
    this.partBytes = options.partBytes ?? UPLOAD_PART_BYTES;
  }

  /** Whether an object exists at `location` (HEAD: 200 yes, 404 no, anything else an error). */
  async exists(location: string): Promise<boolean> {
    const answer = await this.send('HEAD', this.urls.httpUrl(location), undefined, location);
    if (answer.status === 404) return false;
    this.check(answer, location, 'HEAD');
    return true;
  }

  /** Upload the local file at `path` to `location`; returns the bytes sent. */
  async putFile(path: string, location: string): Promise<number> {
    const file = await open(path, 'r');
    try {
      const size = (await file.stat()).size;
      const url = this.urls.httpUrl(location);
      const read = async (at: number, length: number): Promise<Uint8Array> => {
        const buffer = new Uint8Array(length);
        const { bytesRead } = await file.read(buffer, 0, length, at);
        if (bytesRead !== length) throw new GrtError('IO_ERROR', `file shrank while being uploaded`, { path });
        return buffer;
      };
      if (size <= this.singlePutMaxBytes) {
        this.check(await this.send('PUT', url, await read(0, size), location), location, 'PUT');
        return size;
      }
      const parts = Math.ceil(size / this.partBytes);
      if (parts > MAX_UPLOAD_PARTS) throw new GrtError('LIMIT_EXCEEDED', `${size} bytes need more than ${MAX_UPLOAD_PARTS} parts`, { path });
      await this.multipart(url, location, parts, (n) => read(n * this.partBytes, Math.min(this.partBytes, size - n * this.partBytes)));
      return size;
    } finally {
      await file.close();
    }
  }

  private async multipart(url: URL, location: string, parts: number, part: (index: number) => Promise<Uint8Array>): Promise<void> {
    const started = this.check(await this.send('POST', withQuery(url, { uploads: '' }), new Uint8Array(0), location), location, 'CreateMultipartUpload');
    const uploadId = /<UploadId>([^<]{1,1024})<\/UploadId>/.exec(started.body)?.[1];
    if (uploadId === undefined) throw new GrtError('IO_ERROR', 'CreateMultipartUpload answered no UploadId', { path: location });
    try {
      const etags: string[] = [];
      for (let n = 0; n < parts; n++) {
        const answer = this.check(await this.send('PUT', withQuery(url, { partNumber: String(n + 1), uploadId }), await part(n), location), location, `UploadPart ${n + 1}`);
        if (answer.etag === undefined) throw new GrtError('IO_ERROR', `UploadPart ${n + 1} answered no ETag`, { path: location });
        etags.push(answer.etag);
      }
      const xml = `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
      const done = this.check(await this.send('POST', withQuery(url, { uploadId }), new TextEncoder().encode(xml), location), location, 'CompleteMultipartUpload');
      // NOTE: S3 may answer 200 and put the failure in the body (S3 API Reference, CompleteMultipartUpload).
      if (done.body.includes('<Error>')) throw new GrtError('IO_ERROR', `CompleteMultipartUpload failed: ${errorCode(done.body)}`, { path: location });
    } catch (error) {
      await this.send('DELETE', withQuery(url, { uploadId }), undefined, location).catch(() => undefined);
      throw error;
    }
  }

  private check(answer: Answer, location: string, what: string): Answer {
    if (answer.status >= 200 && answer.status < 300) return answer;
    const detail = `${what} answered ${answer.status} (${errorCode(answer.body)})`;
    if (answer.status === 401 || answer.status === 403) throw new GrtError('IO_ERROR', `access denied: ${detail}`, { path: location });
    if (answer.status === 404) throw new GrtError('NOT_FOUND', detail, { path: location });
    throw new GrtError('IO_ERROR', detail, { path: location });
  }

  /** One signed request, sent again (whole) after a 5xx, a reset or a timeout. */
  private async send(method: string, url: URL, body: Uint8Array | undefined, location: string): Promise<Answer> {
    const payload = body === undefined ? undefined : createHash('sha256').update(body).digest('hex');
    for (let attempt = 1; ; attempt++) {
      const unsigned: Record<string, string> = payload === undefined ? {} : { 'x-amz-content-sha256': payload, 'content-length': String(body!.length) };
      const headers = signRequest({ method, url, headers: unsigned, region: this.settings.region, credentials: this.settings.credentials, now: this.now() });
      const answer = await exchange(method, url, headers, body).catch((error: Error) => {
        if (attempt >= MAX_UPLOAD_ATTEMPTS) throw new GrtError('IO_ERROR', `${method} failed: ${(error as NodeJS.ErrnoException).code ?? error.message}`, { path: location, cause: error });
        return undefined;
      });
      if (answer && (answer.status < 500 || attempt >= MAX_UPLOAD_ATTEMPTS)) return answer;
      await new Promise((resolve) => setTimeout(resolve, RETRY_BASE_DELAY_MS * 2 ** (attempt - 1)));
    }
  }
}

function withQuery(url: URL, query: Record<string, string>): URL {
  const out = new URL(url);
  for (const [k, v] of Object.entries(query)) out.searchParams.set(k, v);
  // `?uploads` is a bare key on the wire; SigV4 signs it as `uploads=` either way.
  out.search = out.search.replace(/=(&|$)/g, '$1');
  return out;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Send one request and read its status, ETag and (bounded) body. */
function exchange(method: string, url: URL, headers: Record<string, string>, body: Uint8Array | undefined): Promise<Answer> {
  const module = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = module.request(url, { method, headers, agent: false, maxHeaderSize: MAX_HEADER_BYTES, timeout: RESPONSE_TIMEOUT_MS }, (response) => {
      const chunks: Buffer[] = [];
      let length = 0;
      response.on('data', (chunk: Buffer) => {
        if (length < MAX_ANSWER_BYTES) chunks.push(chunk);
        length += chunk.length;
      });
      response.on('end', () => {
        const etag = response.headers.etag;
        resolve({ status: response.statusCode ?? 0, etag: typeof etag === 'string' ? etag : undefined, body: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8') });
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
    request.end(body);
  });
}
