/** The CLI's remote options: which opener an IMAGE gets, and secrets kept out of every message. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as ls } from '../../src/cli/grt-ls.js';
import { remoteOpener } from '../../src/cli/open-image.js';
import { GrtError } from '../../src/errors.js';
import { HttpOpener } from '../../src/io/sources/http-opener.js';
import { S3Opener } from '../../src/io/sources/s3-opener.js';
import { startServer, type TestServer } from './remote-server.js';

const SECRET = 'Bearer s3cr3t-t0ken';
let server: TestServer;
beforeAll(async () => {
  server = await startServer({ '/disk.vmdk': new Uint8Array(4096) });
});
afterAll(() => server.close());

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await ls(argv, { stdout: { write: (c: string | Uint8Array) => ((out += String(c)), true) }, stderr: { write: (c: string | Uint8Array) => ((err += String(c)), true) } });
  return { code, out, err };
}

describe('remoteOpener', () => {
  it('picks the opener by the IMAGE given', async () => {
    expect(await remoteOpener('/local/disk.vmdk', {})).toBeUndefined();
    const http = await remoteOpener('https://h/disk.vmdk', { header: ['Authorization: x'] });
    expect(http).toBeInstanceOf(HttpOpener);
    http?.destroy();
    const s3 = await remoteOpener('s3://bucket/disk.vmdk', { endpoint: 'http://127.0.0.1:9' }, { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', HOME: '/nonexistent' });
    expect(s3).toBeInstanceOf(S3Opener);
    s3?.destroy();
  });

  it('refuses options that do not fit the IMAGE', async () => {
    await expect(remoteOpener('/local/disk.vmdk', { header: ['A: b'] })).rejects.toThrow(GrtError);
    await expect(remoteOpener('https://h/d', { endpoint: 'http://x' })).rejects.toThrow(/s3:/);
    await expect(remoteOpener('s3://bucket/d', { header: ['A: b'] }, { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })).rejects.toThrow(/signed/);
    await expect(remoteOpener('s3://bucket/d', {}, { HOME: '/nonexistent' })).rejects.toThrow(/credentials/);
  });
});

describe('grt-ls on a URL', () => {
  it('sends --header, and no message carries its value', async () => {
    const res = await run([`${server.origin}/disk.vmdk`, '--header', `Authorization: ${SECRET}`, '--info']);
    expect(server.requests.at(-1)!.headers.authorization).toBe(SECRET);
    expect(res.out + res.err).not.toContain('s3cr3t');
    const missing = await run([`${server.origin}/none.vmdk`, '--header', `Authorization: ${SECRET}`]);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/NOT_FOUND/);
    expect(missing.out + missing.err).not.toContain('s3cr3t');
    const bad = await run([`${server.origin}/disk.vmdk`, '--header', `Authorization ${SECRET}: x`]);
    expect(bad.err).toMatch(/USAGE/);
    expect(bad.err).not.toContain('s3cr3t');
  });

  it('leaves a query (a presigned signature) out of messages', async () => {
    const res = await run([`${server.origin}/none.vmdk?X-Amz-Signature=abcdef0123`]);
    expect(res.err).toMatch(/NOT_FOUND/);
    expect(res.err).not.toContain('abcdef0123');
  });

  it('refuses credentials written into the URL', async () => {
    const res = await run([`http://user:pw@127.0.0.1:1/disk.vmdk`]);
    expect(res.err).toMatch(/USAGE/);
    expect(res.err).not.toContain('pw@');
  });
});
