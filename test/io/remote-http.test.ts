/** The HTTP source against a real server on 127.0.0.1: exact bytes, or a GrtError — never wrong bytes. */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { HttpOpener, parseHeaderLines } from '../../src/io/sources/http-opener.js';
import { PART_BYTES } from '../../src/io/sources/remote-source.js';
import { getRange, makeAgents } from '../../src/io/sources/http-range.js';
import { readInto } from '../../src/io/byte-source.js';
import { grtCodeOf } from '../helpers/grt-code.js';
import { randomBytes } from '../helpers/random-bytes.js';
import { startServer, type TestServer } from './remote-server.js';

const DATA = randomBytes(2 * PART_BYTES + 123, 7);
let server: TestServer;
let opener: HttpOpener;

beforeEach(async () => {
  server = await startServer({ '/vm/disk.bin': DATA, '/vm/small.bin': DATA.subarray(0, 1000), '/secret.bin': DATA.subarray(0, 10) });
  opener = new HttpOpener();
});
afterEach(async () => {
  opener.destroy();
  await server.close();
});

describe('HttpOpener', () => {
  it('reads equal the file for random offsets and lengths (property)', async () => {
    const source = await opener.open(`${server.origin}/vm/disk.bin`);
    expect(source.size).toBe(DATA.length);
    await fc.assert(
      fc.asyncProperty(fc.nat(DATA.length - 1), fc.nat(300_000), async (offset, want) => {
        const length = Math.min(want, DATA.length - offset);
        const bytes = await source.read(offset, length);
        expect(Buffer.compare(bytes, DATA.subarray(offset, offset + length))).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('under random faults, every read is the file bytes or a GrtError (property)', async () => {
    const source = await opener.open(`${server.origin}/vm/disk.bin`);
    const faults = ['none', 'none', 'none', 'status', 'reset-mid-body', 'short', 'content-range', 'long'] as const;
    await fc.assert(
      fc.asyncProperty(fc.nat(DATA.length - 1), fc.nat(200_000), fc.array(fc.constantFrom(...faults), { minLength: 8, maxLength: 8 }), async (offset, want, plan) => {
        const length = Math.min(want, DATA.length - offset);
        server.fault = (_r, i) => {
          const kind = plan[i % plan.length]!;
          if (kind === 'none') return undefined;
          if (kind === 'status') return { kind, status: 503 };
          if (kind === 'content-range') return { kind, value: `bytes 1-2/${DATA.length}` };
          return { kind };
        };
        try {
          const bytes = await source.read(offset, length);
          expect(Buffer.compare(bytes, DATA.subarray(offset, offset + length))).toBe(0);
        } catch (error) {
          expect(error).toBeInstanceOf(GrtError);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('reads a small object whole at open and asks nothing more for it', async () => {
    const source = await opener.open(`${server.origin}/vm/small.bin`);
    expect(source.size).toBe(1000);
    expect(Buffer.compare(await source.read(10, 990), DATA.subarray(10, 1000))).toBe(0);
    expect(server.requests.length).toBe(1);
  });

  it('fetches metadata once and merges reads asked together', async () => {
    const source = await opener.open(`${server.origin}/vm/disk.bin`);
    const before = server.requests.length;
    await Promise.all([source.read(70_000, 512), source.read(70_512, 512), source.read(140_000, 100)]);
    await source.read(70_000, 512);
    // Blocks 1 and 2 adjoin: one range for both.
    expect(server.requests.length - before).toBe(1);
  });

  it('reads a large range in parts, several in flight', async () => {
    const source = await opener.open(`${server.origin}/vm/disk.bin`);
    // Each answer waits a little, so parts asked together are seen together.
    server.fault = () => ({ kind: 'slow', ms: 50 });
    const bytes = await source.read(0, PART_BYTES - 1 + 1024 * 1024);
    expect(Buffer.compare(bytes, DATA.subarray(0, bytes.length))).toBe(0);
    expect(server.requests.filter((r) => r.range !== undefined).length).toBeGreaterThanOrEqual(3);
    expect(server.maxInFlight).toBeGreaterThanOrEqual(2);
  });

  it('a bulk readInto lands each response in the caller\'s buffer, no copy; retried parts are rewritten whole', async () => {
    const agents = makeAgents();
    try {
      const target = { url: new URL(`${server.origin}/vm/disk.bin`), headers: {}, allowOtherOrigins: false, location: 'disk.bin' };
      const { pinned } = await getRange(agents, target, 0, 10, undefined);
      const into = new Uint8Array(300_000);
      const result = await getRange(agents, target, 1000, into.length, pinned, into);
      expect(result.bytes === into).toBe(true);
      expect(Buffer.compare(into, DATA.subarray(1000, 301_000))).toBe(0);
    } finally {
      agents.http.destroy();
    }
    const source = await opener.open(`${server.origin}/vm/disk.bin`);
    server.fault = (_r, i) => (i % 3 === 1 ? { kind: 'reset-mid-body' } : undefined);
    const big = new Uint8Array(PART_BYTES + 300_000).fill(0xee);
    await readInto(source, 77, big);
    expect(Buffer.compare(big, DATA.subarray(77, 77 + big.length))).toBe(0);
  });

  it('retries 503s and resets mid-body, then gives the right bytes', async () => {
    const source = await opener.open(`${server.origin}/vm/disk.bin`);
    server.fault = (_r, i) => (i % 3 === 1 ? { kind: 'status', status: 503 } : i % 3 === 2 ? { kind: 'reset-mid-body' } : undefined);
    const bytes = await source.read(500_000, 200_000);
    expect(Buffer.compare(bytes, DATA.subarray(500_000, 700_000))).toBe(0);
  });

  it('drops a response that stalls and asks again', async () => {
    const patient = new HttpOpener({ timeoutMs: 200 });
    const source = await patient.open(`${server.origin}/vm/disk.bin`);
    server.fault = (_r, i) => (i === 1 ? { kind: 'slow', ms: 1000 } : undefined);
    const bytes = await source.read(300_000, 100);
    expect(Buffer.compare(bytes, DATA.subarray(300_000, 300_100))).toBe(0);
    expect(server.requests.length).toBe(3);
    patient.destroy();
  });

  it('drops a body trickled slower than the slowest rate accepted', async () => {
    const patient = new HttpOpener({ timeoutMs: 300 });
    const source = await patient.open(`${server.origin}/vm/disk.bin`);
    server.fault = (_r, i) => (i === 1 ? { kind: 'trickle', ms: 50 } : undefined);
    const bytes = await source.read(300_000, 100);
    expect(Buffer.compare(bytes, DATA.subarray(300_000, 300_100))).toBe(0);
    expect(server.requests.length).toBe(3);
    patient.destroy();
  });

  it('gives up on a server that never answers in bounded time', async () => {
    const patient = new HttpOpener({ timeoutMs: 100 });
    const source = await patient.open(`${server.origin}/vm/disk.bin`);
    server.fault = () => ({ kind: 'slow', ms: 1000 });
    expect(await grtCodeOf(source.read(300_000, 100))).toBe('IO_ERROR');
    expect(server.requests.length).toBe(1 + 5);
    patient.destroy();
  });

  it('gives up after a bounded number of attempts', async () => {
    const source = await opener.open(`${server.origin}/vm/disk.bin`);
    server.fault = () => ({ kind: 'status', status: 503 });
    expect(await grtCodeOf(source.read(500_000, 10))).toBe('IO_ERROR');
    expect(server.requests.length).toBe(1 + 5);
  });

  it('refuses an object replaced after open', async () => {
    const source = await opener.open(`${server.origin}/vm/disk.bin`);
    server.files.set('/vm/disk.bin', { bytes: randomBytes(DATA.length, 9) });
    expect(await grtCodeOf(source.read(500_000, 10))).toBe('IO_ERROR');
    expect(server.requests.at(-1)!.headers['if-match']).toBeDefined();
  });

  it('refuses an object replaced between a close and a reopen of the same location', async () => {
    const first = await opener.open(`${server.origin}/vm/disk.bin`);
    await first.close();
    server.files.set('/vm/disk.bin', { bytes: randomBytes(DATA.length, 9) });
    expect(await grtCodeOf(opener.open(`${server.origin}/vm/disk.bin`))).toBe('IO_ERROR');
    const again = new HttpOpener();
    expect((await again.open(`${server.origin}/vm/disk.bin`)).size).toBe(DATA.length);
    again.destroy();
  });

  it('counts requests and bytes over every object it opened', async () => {
    await opener.open(`${server.origin}/vm/small.bin`);
    const source = await opener.open(`${server.origin}/vm/disk.bin`);
    await source.read(100_000, 10);
    expect(opener.stats).toEqual({ requests: server.requests.length, bytes: 1000 + 65536 + 65536 });
  });

  it('refuses an object replaced after open even when the server ignores If-Match', async () => {
    const source = await opener.open(`${server.origin}/vm/disk.bin`);
    const other = randomBytes(DATA.length, 9);
    server.files.set('/vm/disk.bin', { bytes: other });
    server.fault = (r) => {
      delete r.headers['if-match'];
      return undefined;
    };
    expect(await grtCodeOf(source.read(500_000, 10))).toBe('IO_ERROR');
  });

  it.each([
    ['short body', { kind: 'short' }, 'TRUNCATED'],
    ['long body', { kind: 'long' }, 'IO_ERROR'],
    ['wrong Content-Range', { kind: 'content-range', value: 'bytes 0-9/8388731' }, 'IO_ERROR'],
    ['200 with the whole object', { kind: 'whole' }, 'UNSUPPORTED'],
    ['huge headers', { kind: 'big-header' }, 'LIMIT_EXCEEDED'],
    ['401', { kind: 'status', status: 401 }, 'IO_ERROR'],
    ['403', { kind: 'status', status: 403 }, 'IO_ERROR'],
    ['404', { kind: 'status', status: 404 }, 'NOT_FOUND'],
    ['416', { kind: 'status', status: 416 }, 'OUT_OF_RANGE'],
  ] as const)('a %s is a GrtError, never bytes', async (_name, fault, expected) => {
    const source = await opener.open(`${server.origin}/vm/disk.bin`);
    server.fault = () => fault;
    expect(await grtCodeOf(source.read(400_000, 10))).toBe(expected);
  });

  it('refuses a redirect to another origin unless allowed, and then sends no headers there', async () => {
    const other = await startServer({ '/vm/disk.bin': DATA });
    try {
      server.fault = () => ({ kind: 'status', status: 302, headers: { location: `${other.origin}/vm/disk.bin` } });
      const strict = new HttpOpener({ headers: { authorization: 'Bearer secret' } });
      expect(await grtCodeOf(strict.open(`${server.origin}/vm/disk.bin`))).toBe('UNSAFE_PATH');
      strict.destroy();
      const lax = new HttpOpener({ headers: { authorization: 'Bearer secret' }, allowOtherOrigins: true });
      const source = await lax.open(`${server.origin}/vm/disk.bin`);
      expect(Buffer.compare(await source.read(100_000, 10), DATA.subarray(100_000, 100_010))).toBe(0);
      expect(server.requests[0]!.headers.authorization).toBe('Bearer secret');
      expect(other.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
      lax.destroy();
    } finally {
      await other.close();
    }
  });

  it('follows a same-origin redirect', async () => {
    server.fault = (r) => (r.path === '/old.bin' ? { kind: 'status', status: 301, headers: { location: '/vm/small.bin' } } : undefined);
    const source = await opener.open(`${server.origin}/old.bin`);
    expect(source.size).toBe(1000);
  });

  it('sends --header only to the image origin', async () => {
    const other = await startServer({ '/p.bin': DATA.subarray(0, 100) });
    try {
      const withAuth = new HttpOpener({ headers: parseHeaderLines(['Authorization: Bearer t0ken']) });
      await withAuth.open(`${server.origin}/vm/small.bin`);
      await withAuth.open(`${other.origin}/p.bin`);
      expect(server.requests[0]!.headers.authorization).toBe('Bearer t0ken');
      expect(other.requests[0]!.headers.authorization).toBeUndefined();
      withAuth.destroy();
    } finally {
      await other.close();
    }
  });

  it('keeps names inside the folder of the file naming them', async () => {
    const base = `${server.origin}/vm/disk.vmdk`;
    expect(opener.inFolder(base, ['a b.vmdk'])).toBe(`${server.origin}/vm/a%20b.vmdk`);
    expect(await opener.place(base, `${server.origin}/secret.bin`)).toBe('outside');
    expect(await opener.place(base, `${server.origin}/vm/x/y.vmdk`)).toBe('inside');
    expect(await opener.place(base, `http://127.0.0.2:1/vm/x.vmdk`)).toBe('outside');
    expect(opener.inFolder(base, ['%2e%2e', 'secret.bin'])).toBe(`${server.origin}/vm/%252e%252e/secret.bin`);
  });

  it('rejects malformed --header lines without echoing the value', () => {
    expect(() => parseHeaderLines(['Authorization Bearer x'])).toThrow(GrtError);
    expect(() => parseHeaderLines(['Range: bytes=0-1'])).toThrow(/set by grt/);
    try {
      parseHeaderLines(['X-Token: secret\nvalue']);
    } catch (error) {
      expect(String(error)).not.toContain('secret');
    }
  });
});
