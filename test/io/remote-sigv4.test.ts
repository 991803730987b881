/** The SigV4 signer against the example signatures published in the S3 API reference. */
import { describe, expect, it } from 'vitest';
import { signRequest, uriEncode } from '../../src/io/sources/sigv4.js';

// The S3 API reference, "Examples: Signature Calculations" for the Authorization header.
const EXAMPLE = {
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  region: 'us-east-1',
  now: new Date(Date.UTC(2013, 4, 24, 0, 0, 0)),
};

describe('signRequest', () => {
  it('signs the documented GET Object example (Range: bytes=0-9)', () => {
    const headers = signRequest({ ...EXAMPLE, method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'), headers: { range: 'bytes=0-9' } });
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('signs the documented GET Bucket (list objects) example, with a query', () => {
    const headers = signRequest({ ...EXAMPLE, method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J'), headers: {} });
    expect(headers.authorization).toContain('SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });

  it('signs the documented GET Bucket lifecycle example, a query without a value', () => {
    const headers = signRequest({ ...EXAMPLE, method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/?lifecycle'), headers: {} });
    expect(headers.authorization).toContain('Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  });

  it('adds the session token as a signed header', () => {
    const headers = signRequest({ ...EXAMPLE, credentials: { ...EXAMPLE.credentials, sessionToken: 'tok' }, method: 'GET', url: new URL('http://h/b/k'), headers: {} });
    expect(headers['x-amz-security-token']).toBe('tok');
    expect(headers.authorization).toContain('x-amz-security-token');
  });

  it('encodes as SigV4 says', () => {
    expect(uriEncode('a b/ü~*', true)).toBe('a%20b/%C3%BC~%2A');
    expect(uriEncode('a/b', false)).toBe('a%2Fb');
  });
});
