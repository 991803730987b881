/** The S3 opener against s3rver on 127.0.0.1, which checks every SigV4 signature itself. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { loadAwsSettings, parseIni } from '../../src/io/sources/aws-config.js';
import { S3Opener } from '../../src/io/sources/s3-opener.js';
import { grtCodeOf } from '../helpers/grt-code.js';
import { BUCKET, S3RVER_CREDENTIALS, startS3, type S3Server } from './remote-s3-server.js';

const DATA = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24);
let s3: S3Server;

beforeAll(async () => {
  s3 = await startS3();
  await s3.put('vm/disk one.bin', DATA);
  await s3.put("vm/it's (1)*!.bin", DATA.subarray(0, 100));
});
afterAll(() => s3.close());

describe('S3Opener', () => {
  it('reads an object by ranges with signed requests, path-style on the endpoint', async () => {
    const opener = new S3Opener({ credentials: S3RVER_CREDENTIALS, region: 'us-east-1', endpoint: s3.endpoint });
    expect(opener.httpUrl(`s3://${BUCKET}/vm/disk%20one.bin`).href).toBe(`${s3.endpoint.href}${BUCKET}/vm/disk%20one.bin`);
    const source = await opener.open(`s3://${BUCKET}/vm/disk%20one.bin`);
    expect(source.size).toBe(DATA.length);
    for (const [offset, length] of [[0, 10], [70_000, 100_000], [299_990, 10]] as const) {
      expect(Buffer.compare(await source.read(offset, length), DATA.subarray(offset, offset + length))).toBe(0);
    }
    expect(s3.refused).toBe(0);
    expect(s3.verified).toBeGreaterThan(3);
    opener.destroy();
  });

  it('signs keys with characters URL and SigV4 encode differently', async () => {
    const opener = new S3Opener({ credentials: S3RVER_CREDENTIALS, region: 'us-east-1', endpoint: s3.endpoint });
    const source = await opener.open(`s3://${BUCKET}/vm/it's%20(1)*!.bin`);
    expect(source.size).toBe(100);
    opener.destroy();
  });

  it('a wrong secret is a clear access error; a missing key is NOT_FOUND', async () => {
    const refused = s3.refused;
    const wrong = new S3Opener({ credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'nope' }, region: 'us-east-1', endpoint: s3.endpoint });
    expect(await grtCodeOf(wrong.open(`s3://${BUCKET}/vm/disk%20one.bin`))).toBe('IO_ERROR');
    expect(s3.refused).toBe(refused + 1);
    wrong.destroy();
    const opener = new S3Opener({ credentials: S3RVER_CREDENTIALS, region: 'us-east-1', endpoint: s3.endpoint });
    expect(await grtCodeOf(opener.open(`s3://${BUCKET}/vm/none.bin`))).toBe('NOT_FOUND');
    opener.destroy();
  });

  it('addresses AWS virtual-hosted, path-style for dotted buckets, and refuses what is not s3://bucket/key', () => {
    const opener = new S3Opener({ credentials: S3RVER_CREDENTIALS, region: 'eu-west-1', endpoint: undefined });
    expect(opener.httpUrl('s3://my-bucket/a/b.vmdk').href).toBe('https://my-bucket.s3.eu-west-1.amazonaws.com/a/b.vmdk');
    expect(opener.httpUrl('s3://my.bucket/a.vmdk').href).toBe('https://s3.eu-west-1.amazonaws.com/my.bucket/a.vmdk');
    expect(() => opener.httpUrl('s3://Bad_Bucket/a')).toThrow(GrtError);
    expect(() => opener.httpUrl('s3://bucket/')).toThrow(GrtError);
    expect(opener.inFolder('s3://b-1/vm/disk.vmdk', ['disk-flat.vmdk'])).toBe('s3://b-1/vm/disk-flat.vmdk');
  });
});

describe('loadAwsSettings', () => {
  it('takes the environment first, then the profile of the shared files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grt-aws-'));
    try {
      await mkdir(join(dir, '.aws'));
      await writeFile(join(dir, '.aws', 'credentials'), '[default]\naws_access_key_id = D\naws_secret_access_key = DS\n[work]\naws_access_key_id=W\naws_secret_access_key=WS\naws_session_token=WT\n');
      await writeFile(join(dir, '.aws', 'config'), '[default]\nregion = eu-central-1\n[profile work]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:9000\n');
      const fromEnv = await loadAwsSettings({ HOME: dir, AWS_ACCESS_KEY_ID: 'E', AWS_SECRET_ACCESS_KEY: 'ES', AWS_REGION: 'us-west-2' });
      expect(fromEnv).toMatchObject({ credentials: { accessKeyId: 'E', secretAccessKey: 'ES' }, region: 'us-west-2', endpoint: undefined });
      const work = await loadAwsSettings({ HOME: dir, AWS_PROFILE: 'work' });
      expect(work.credentials).toEqual({ accessKeyId: 'W', secretAccessKey: 'WS', sessionToken: 'WT' });
      expect(work.region).toBe('ap-south-1');
      expect(work.endpoint?.href).toBe('http://127.0.0.1:9000/');
      const option = await loadAwsSettings({ HOME: dir, AWS_ENDPOINT_URL: 'http://a:1' }, 'http://b:2');
      expect(option).toMatchObject({ region: 'eu-central-1' });
      expect(option.endpoint?.host).toBe('b:2');
      expect(await grtCodeOf(loadAwsSettings({ HOME: join(dir, 'none') }))).toBe('USAGE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads INI sections and ignores comments', () => {
    expect(parseIni('# c\n[a]\nk = v = w\n; x\n[ b ]\nK=1').get('a')?.get('k')).toBe('v = w');
  });
});
