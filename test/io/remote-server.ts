/**
 * A range-serving HTTP server on 127.0.0.1 for the remote-source tests: files from a map, ETag and
 * If-Match, request and byte counters, and faults injected per request by a hook.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Served {
  bytes: Uint8Array;
  etag?: string;
}

/** What the hook may do with one request instead of (or before) serving it. */
export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'reset-mid-body' }
  | { kind: 'slow'; ms: number }
  | { kind: 'short' }
  | { kind: 'long' }
  | { kind: 'content-range'; value: string }
  | { kind: 'whole' }
  | { kind: 'big-header' }
  | { kind: 'trickle'; ms: number }
  | undefined;

export interface RequestLog {
  path: string;
  range: string | undefined;
  headers: http.IncomingHttpHeaders;
}

export interface TestServer {
  origin: string;
  files: Map<string, Served>;
  requests: RequestLog[];
  bytesSent: number;
  /** Most requests being answered at one time. */
  maxInFlight: number;
  fault: (request: RequestLog, index: number) => Fault;
  close(): Promise<void>;
}

export function etagOf(bytes: Uint8Array): string {
  return `"${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}"`;
}

export async function startServer(files: Record<string, Uint8Array> = {}): Promise<TestServer> {
  const state: TestServer = {
    origin: '',
    files: new Map(Object.entries(files).map(([k, v]) => [k, { bytes: v }])),
    requests: [],
    bytesSent: 0,
    maxInFlight: 0,
    fault: () => undefined,
    close: async () => undefined,
  };
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    const log: RequestLog = { path: decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname), range: req.headers.range, headers: req.headers };
    const index = state.requests.push(log) - 1;
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    void serve(state, log, index, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

async function serve(state: TestServer, log: RequestLog, index: number, res: http.ServerResponse): Promise<void> {
  let fault = state.fault(log, index);
  if (fault?.kind === 'slow') {
    await new Promise((resolve) => setTimeout(resolve, fault && fault.kind === 'slow' ? fault.ms : 0));
    fault = undefined;
  }
  if (fault?.kind === 'status') {
    res.writeHead(fault.status, fault.headers ?? {}).end();
    return;
  }
  const file = state.files.get(log.path);
  if (!file) return void res.writeHead(404).end();
  const etag = file.etag ?? etagOf(file.bytes);
  const ifMatch = log.headers['if-match'];
  if (ifMatch !== undefined && ifMatch !== etag) return void res.writeHead(412).end();
  const match = /^bytes=(\d+)-(\d+)$/.exec(log.range ?? '');
  const size = file.bytes.length;
  if (!match || fault?.kind === 'whole') {
    state.bytesSent += size;
    return void res.writeHead(200, { etag, 'content-length': size }).end(file.bytes);
  }
  const first = Number(match[1]);
  const last = Math.min(Number(match[2]), size - 1);
  if (first >= size) return void res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
  let body = file.bytes.subarray(first, last + 1);
  const headers: Record<string, string | number> = { etag, 'content-range': `bytes ${first}-${last}/${size}` };
  if (fault?.kind === 'content-range') headers['content-range'] = fault.value;
  if (fault?.kind === 'big-header') headers['x-padding'] = 'x'.repeat(64 * 1024);
  if (fault?.kind === 'short') body = body.subarray(0, body.length - 1);
  if (fault?.kind === 'long') body = Buffer.concat([body, Buffer.from('extra')]);
  if (fault?.kind === 'trickle') {
    res.writeHead(206, headers);
    const ms = fault.ms;
    let at = 0;
    const timer = setInterval(() => {
      if (res.destroyed || at >= body.length) return void clearInterval(timer);
      res.write(body.subarray(at, at + 1));
      at++;
    }, ms);
    return;
  }
  if (fault?.kind === 'reset-mid-body') {
    res.writeHead(206, { ...headers, 'content-length': body.length });
    res.write(body.subarray(0, body.length >> 1));
    setTimeout(() => res.socket?.destroy(), 5);
    return;
  }
  state.bytesSent += body.length;
  res.writeHead(206, headers).end(body);
}
