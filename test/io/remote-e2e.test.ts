/**
 * The commands on committed images served over HTTP (a range server on 127.0.0.1) and S3 (s3rver):
 * listed and restored with the same bytes as from the local files, with the requests counted.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main as extract } from '../../src/cli/grt-extract.js';
import { main as ls } from '../../src/cli/grt-ls.js';
import { BUCKET, S3RVER_CREDENTIALS, startS3, type S3Server } from './remote-s3-server.js';
import { startServer, type TestServer } from './remote-server.js';
import { runCli } from '../helpers/run-cli.js';

const ROOT = resolve(__dirname, '../..');
const FOLDERS = ['ntfs', 'vmdk', 'ova'];
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const ntfs = JSON.parse(readFileSync(join(ROOT, 'test-images/ntfs/manifest.json'), 'utf8')) as {
  volumes: { entries: { path: string; sha256: string | null }[] }[];
  chain: { levels: { file: string; changedFiles: { path: string; sha256: string }[] }[] };
};
const vmdk = JSON.parse(readFileSync(join(ROOT, 'test-images/vmdk/manifest.json'), 'utf8')) as Record<string, { sha256: string }>;
const ova = JSON.parse(readFileSync(join(ROOT, 'test-images/ova/manifest.json'), 'utf8')) as { disks: { files: { path: string; sha256: string }[] }[] };
const fileSha = (path: string): string => ntfs.volumes[0]!.entries.find((e) => e.path === path)!.sha256!;

function images(): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (const folder of FOLDERS) {
    for (const name of readdirSync(join(ROOT, 'test-images', folder))) files[`/${folder}/${name}`] = readFileSync(join(ROOT, 'test-images', folder, name));
  }
  return files;
}

const run = runCli;

let http: TestServer;
let s3: S3Server;
beforeAll(async () => {
  http = await startServer(images());
  s3 = await startS3();
  for (const [path, bytes] of Object.entries(images())) await s3.put(path.slice(1), bytes);
});
afterAll(async () => {
  await http.close();
  await s3.close();
});

/** Where each kind of server has the image `path` (`/ntfs/…`), and the env its commands need. */
const SERVERS = {
  http: { url: (path: string) => `${http.origin}${path}`, env: {} },
  s3: {
    url: (path: string) => `s3://${BUCKET}${path}`,
    env: () => ({ AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, AWS_ENDPOINT_URL: s3.endpoint.href, AWS_REGION: 'us-east-1' }),
  },
};

describe.each(['http', 's3'] as const)('over %s', (kind) => {
  const at = (path: string) => SERVERS[kind].url(path);
  beforeAll(() => {
    if (kind === 's3') for (const [k, v] of Object.entries(SERVERS.s3.env())) vi.stubEnv(k, v);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('lists and restores a file of ntfs-mbr.vmdk', async () => {
    const before = http.requests.length;
    const listed = await run(ls, [at('/ntfs/ntfs-mbr.vmdk'), '/links']);
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toContain('original.txt');
    const restored = await run(extract, [at('/ntfs/ntfs-mbr.vmdk'), '/links/original.txt', '--stdout']);
    expect(restored.code).toBe(0);
    expect(sha256(restored.bytes)).toBe(fileSha('/links/original.txt'));
    if (kind === 'http') {
      // Open, partition table, boot sector, $MFT, directory index, file data: a few dozen at most.
      const requests = http.requests.length - before;
      expect(requests).toBeLessThan(60);
    }
  });

  it('restores from a snapshot chain (child2 → child1 → base) the child’s version of a file', async () => {
    const level = ntfs.chain.levels.find((l) => l.file === 'ntfs-mbr-child2.vmdk')!;
    const changed = level.changedFiles[0]!;
    const restored = await run(extract, [at('/ntfs/ntfs-mbr-child2.vmdk'), changed.path, '--stdout']);
    expect(restored.stderr).toBe('');
    expect(sha256(restored.bytes)).toBe(changed.sha256);
  });

  it('lists, restores from and verifies an .ova in place', async () => {
    const before = http.requests.length;
    const file = ova.disks[1]!.files.find((f) => f.path === '/data/big.bin')!;
    const restored = await run(extract, [at('/ova/vm-pax.ova'), '--partition', '2:0', file.path, '--stdout']);
    expect(restored.stderr).toBe('');
    expect(sha256(restored.bytes)).toBe(file.sha256);
    if (kind === 'http') {
      expect(http.requests.slice(before).every((r) => r.path === '/ova/vm-pax.ova')).toBe(true);
      // Tar headers, descriptor, both disks' grain directories, ext2 metadata, the file: no member is downloaded whole.
      expect(http.requests.length - before).toBeLessThan(40);
    }
    const verified = await run(ls, [at('/ova/vm-gnu.ova'), '--verify']);
    expect(verified.code).toBe(0);
    expect(verified.stdout.match(/^OK /gm)).toHaveLength(3);
  });

  it.each(['split.vmdk', 'chain-grand.vmdk'])('reads the whole disk of %s (descriptor and extents)', async (name) => {
    const disk = await run(extract, [at(`/vmdk/${name}`), '--disk', '--stdout']);
    expect(disk.code).toBe(0);
    expect(sha256(disk.bytes)).toBe(vmdk[name]!.sha256);
  });
});

describe('names an image holds, over HTTP', () => {
  it('an extent named outside the descriptor folder is looked for beside it only', async () => {
    http.files.set('/vmdk/evil.vmdk', { bytes: Buffer.from(readFileSync(join(ROOT, 'test-images/vmdk/split.vmdk'), 'utf8').replace('"split-f001.vmdk"', '"../ntfs/ntfs-mbr.vmdk"')) });
    const from = http.requests.length;
    const res = await run(extract, [`${http.origin}/vmdk/evil.vmdk`, '--disk', '--stdout']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/NOT_FOUND/);
    const asked = http.requests.slice(from).map((r) => r.path);
    expect(asked).toContain('/vmdk/ntfs-mbr.vmdk');
    expect(asked).not.toContain('/ntfs/ntfs-mbr.vmdk');
  });
});
