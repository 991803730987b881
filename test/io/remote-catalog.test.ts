/**
 * Catalogs at URLs: read over HTTP and S3 by grt-ls, grt-extract and grt-catalog's export, and
 * written to S3 by grt-catalog -o s3://… (one PUT, or a multipart upload past the threshold).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main as catalogCli } from '../../src/cli/grt-catalog.js';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as ls } from '../../src/cli/grt-ls.js';
import { S3Writer } from '../../src/io/sources/s3-upload.js';
import { S3Opener } from '../../src/io/sources/s3-opener.js';
import { randomBytes } from '../helpers/random-bytes.js';
import { runCli } from '../helpers/run-cli.js';
import { BUCKET, S3RVER_CREDENTIALS, startS3, type S3Server } from './remote-s3-server.js';
import { startServer, type TestServer } from './remote-server.js';

const ROOT = resolve(__dirname, '../..');
const IMAGE = join(ROOT, 'test-images/ntfs/ntfs-mbr.vmdk');
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const ntfs = JSON.parse(await readFile(join(ROOT, 'test-images/ntfs/manifest.json'), 'utf8')) as { volumes: { entries: { path: string; sha256: string | null }[] }[] };

let s3: S3Server;
let http: TestServer;
let work: string;
let catalog: Uint8Array;

beforeAll(async () => {
  s3 = await startS3();
  work = await mkdtemp(join(tmpdir(), 'grt-remote-catalog-'));
  const built = await runCli(catalogCli, [IMAGE, '-o', join(work, 'local.grtc')]);
  expect(built.code).toBe(0);
  catalog = new Uint8Array(await readFile(join(work, 'local.grtc')));
  http = await startServer({ '/backups/ntfs.grtc': catalog, '/backups/ntfs-mbr.vmdk': new Uint8Array(await readFile(IMAGE)) });
  vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
  vi.stubEnv('AWS_ENDPOINT_URL', s3.endpoint.href);
  vi.stubEnv('AWS_REGION', 'us-east-1');
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await http.close();
  await s3.close();
  await rm(work, { recursive: true, force: true });
});

const settings = () => ({ credentials: S3RVER_CREDENTIALS, region: 'us-east-1', endpoint: s3.endpoint });

describe('catalogs written to S3', () => {
  it('grt-catalog -o s3://… uploads the same bytes a local build writes, and will not overwrite unasked', async () => {
    const key = `s3://${BUCKET}/catalogs/ntfs.grtc`;
    const res = await runCli(catalogCli, [IMAGE, '-o', key]);
    expect(res.code).toBe(0);
    const opener = new S3Opener(settings());
    const uploaded = await opener.open(key);
    expect(sha256(await uploaded.read(0, uploaded.size))).toBe(sha256(catalog));
    opener.destroy();
    const again = await runCli(catalogCli, [IMAGE, '-o', key]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/EXISTS/);
    expect((await runCli(catalogCli, [IMAGE, '-o', key, '--overwrite'])).code).toBe(0);
  });

  it('a file past the single-PUT threshold goes up in parts, each signed with its SHA-256', async () => {
    const bytes = randomBytes(2_500_123, 5);
    await writeFile(join(work, 'big.bin'), bytes);
    const verified = s3.verified;
    const writer = new S3Writer(settings(), { singlePutMaxBytes: 1_000_000, partBytes: 1_000_000 });
    expect(await writer.exists(`s3://${BUCKET}/big.bin`)).toBe(false);
    expect(await writer.putFile(join(work, 'big.bin'), `s3://${BUCKET}/big.bin`)).toBe(bytes.length);
    // HEAD, create, 3 parts, complete: every one verified by the proxy.
    expect(s3.verified - verified).toBe(6);
    const opener = new S3Opener(settings());
    const source = await opener.open(`s3://${BUCKET}/big.bin`);
    expect(sha256(await source.read(0, source.size))).toBe(sha256(bytes));
    opener.destroy();
  });

  it('an http(s) output is refused', async () => {
    const res = await runCli(catalogCli, [IMAGE, '-o', `${http.origin}/x.grtc`]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/USAGE/);
  });
});

describe('catalogs read from a URL', () => {
  const file = '/links/original.txt';
  const expected = () => ntfs.volumes[0]!.entries.find((e) => e.path === file)!.sha256;

  it.each(['http', 's3'] as const)('grt-ls --catalog over %s lists without the image', async (kind) => {
    if (kind === 's3') await s3.put('backups/ntfs.grtc', catalog);
    const url = kind === 'http' ? `${http.origin}/backups/ntfs.grtc` : `s3://${BUCKET}/backups/ntfs.grtc`;
    const res = await runCli(ls, ['--catalog', url, '/links']);
    expect(res.stderr).toBe('');
    expect(res.stdout.split('\n')).toContain('original.txt');
  });

  it('grt-extract --catalog URL IMAGE-URL restores through the catalog; a small catalog costs one request', async () => {
    const before = http.requests.length;
    const res = await runCli(extract, ['--catalog', `${http.origin}/backups/ntfs.grtc`, `${http.origin}/backups/ntfs-mbr.vmdk`, file, '--stdout']);
    expect(res.stderr).toBe('');
    expect(sha256(res.bytes)).toBe(expected());
    const catalogRequests = http.requests.slice(before).filter((r) => r.path === '/backups/ntfs.grtc');
    expect(catalogRequests.length).toBe(catalog.length <= 64 * 1024 ? 1 : 2);
  });

  it('grt-catalog exports a catalog at a URL, and tells a remote image from a catalog', async () => {
    const res = await runCli(catalogCli, [`${http.origin}/backups/ntfs.grtc`, '--format', 'ndjson', '--partition', '1']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('"path":"/links/original.txt"');
    const image = await runCli(catalogCli, [`${http.origin}/backups/ntfs-mbr.vmdk`, '--format', 'ndjson']);
    expect(image.stderr).toMatch(/is not a catalog/);
  });

  it('--header goes to the catalog only at the image origin', async () => {
    const other = await startServer({ '/c.grtc': catalog });
    try {
      await runCli(extract, ['--catalog', `${other.origin}/c.grtc`, `${http.origin}/backups/ntfs-mbr.vmdk`, file, '--stdout', '--header', 'Authorization: Bearer secret']);
      expect(other.requests.length).toBeGreaterThan(0);
      expect(other.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
    } finally {
      await other.close();
    }
  });
});
