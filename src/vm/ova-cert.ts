/**
 * The certificate file of a signed OVF package (.cert): a line `ALGO(NAME.mf)= HEX`, the signature
 * of the manifest's bytes, then the signer's X.509 certificate in PEM (DSP0243 §5.2; ovftool writes
 * it with `openssl dgst -sign`: PKCS#1 v1.5 for RSA keys, DER ECDSA for EC ones). The signature is
 * checked against the first certificate's public key. Whether that certificate is one to trust is
 * not decided here: no chain is built and no trust store consulted, and the report says so.
 */
import { verify, X509Certificate } from 'node:crypto';
import { GrtError } from '../errors.js';
import { lineByteOffset, textByteOffset } from './line-offset.js';
import type { OvaPackage } from './ova.js';

/** Largest certificate file read: a signature line and a chain of a few certificates, a few KiB each. */
export const MAX_CERT_BYTES = 1024 * 1024;

/** Digest names of the signature line, as node:crypto spells them. */
const DIGESTS: Record<string, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' };
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export interface CertificateCheck {
  /** The certificate member. */
  name: string;
  /** The file the signature line names (the manifest). */
  signed: string;
  algorithm: string;
  /** The signature verifies over the manifest's bytes with the certificate's key. */
  signatureValid: boolean;
  /** Why it does not, when it does not. */
  problem?: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** The check's moment is outside notBefore..notAfter. */
  expired: boolean;
  /** Always false: the certificate chain is not checked against any trust store. */
  chainChecked: false;
}

export interface ParsedCertFile {
  algorithm: string;
  signed: string;
  signature: Buffer;
  certificate: X509Certificate;
}

/** Lines of a .cert file, as ovftool and openssl write them. */
const CERT_LINE_BREAK = /\r?\n/;

/** `offset`: the byte of the .cert file where the damage is. */
function bad(message: string, path: string | undefined, offset: number): GrtError {
  return new GrtError('BAD_DESCRIPTOR', message, { structure: 'OVF certificate', offset, space: 'file', ...(path === undefined ? {} : { path }) });
}

/** The signature line and the first certificate of a .cert file's text. */
export function parseCertFile(text: string, path?: string): ParsedCertFile {
  const lines = text.split(CERT_LINE_BREAK);
  const lineIndex = lines.findIndex((l) => l.trim() !== '');
  const line = lines[lineIndex];
  // openssl 3 spells the line `RSA-SHA256(name)= …` when asked for hex; ovftool writes `SHA256(name)= …`.
  const match = line === undefined ? null : /^\s*(?:RSA-)?(SHA1|SHA256|SHA384|SHA512) ?\((.+)\) ?= ?([0-9A-Fa-f]+)\s*$/.exec(line);
  if (!match || match[3]!.length % 2 !== 0) throw bad('the first line is not ALGO(name.mf)= hex signature', path, lineByteOffset(text, Math.max(0, lineIndex), CERT_LINE_BREAK));
  const pem = PEM_CERTIFICATE.exec(text);
  // Missing: where it was looked for, after the signature line.
  if (!pem) throw bad('no PEM certificate after the signature line', path, lineByteOffset(text, lineIndex + 1, CERT_LINE_BREAK));
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem[0]);
  } catch (error) {
    throw new GrtError('BAD_DESCRIPTOR', `the certificate cannot be read: ${(error as Error).message}`, { structure: 'OVF certificate', offset: textByteOffset(text, pem.index), space: 'file', cause: error, ...(path === undefined ? {} : { path }) });
  }
  return { algorithm: match[1]!, signed: match[2]!, signature: Buffer.from(match[3]!, 'hex'), certificate };
}

/** An X509Certificate date ("Dec  7 09:30:15 2026 GMT") as ISO 8601. */
function isoDate(text: string): string {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString().replace(/\.000Z$/, 'Z');
}

/** A distinguished name as node prints it (one `KEY=value` a line) on one line. */
function oneLine(name: string): string {
  return name.split('\n').filter((part) => part !== '').join(', ');
}

/** Check `cert` (parsed) against the bytes of the manifest `manifestName` it should sign. */
export function checkSignature(parsed: ParsedCertFile, name: string, manifestName: string | undefined, manifest: Uint8Array | undefined, now: Date = new Date()): CertificateCheck {
  const { certificate } = parsed;
  let problem: string | undefined;
  if (manifestName === undefined || manifest === undefined) problem = 'the package has no manifest to check the signature over';
  else if (parsed.signed !== manifestName) problem = `the signature is over ${JSON.stringify(parsed.signed)}, not the package's manifest ${JSON.stringify(manifestName)}`;
  else {
    let valid = false;
    try {
      valid = verify(DIGESTS[parsed.algorithm]!, manifest, certificate.publicKey, parsed.signature);
    } catch (error) {
      problem = `the signature cannot be checked: ${(error as Error).message}`;
    }
    if (!valid) problem ??= 'the signature does not match the manifest (the manifest or the signature was changed, or another key signed it)';
  }
  const notBefore = isoDate(certificate.validFrom);
  const notAfter = isoDate(certificate.validTo);
  const at = now.getTime();
  return {
    name,
    signed: parsed.signed,
    algorithm: parsed.algorithm,
    signatureValid: problem === undefined,
    ...(problem === undefined ? {} : { problem }),
    subject: oneLine(certificate.subject),
    issuer: oneLine(certificate.issuer),
    notBefore,
    notAfter,
    expired: at < new Date(certificate.validFrom).getTime() || at > new Date(certificate.validTo).getTime(),
    chainChecked: false,
  };
}

async function memberBytes(pkg: OvaPackage, name: string, limit: number, what: string): Promise<Uint8Array> {
  const member = pkg.opener.member(name);
  if (member.size > limit) throw new GrtError('LIMIT_EXCEEDED', `${name} of ${member.size} bytes is past the limit`, { structure: what, expected: limit, actual: member.size });
  const source = await pkg.opener.open(pkg.opener.locationOf(name));
  try {
    return await source.read(0, source.size);
  } finally {
    await source.close();
  }
}

/** Check the package's certificate file (`pkg.certificate`) against its manifest's bytes. */
export async function checkOvaCertificate(pkg: OvaPackage, manifestLimit: number, now?: Date): Promise<CertificateCheck> {
  const name = pkg.certificate;
  if (name === undefined) throw new GrtError('NOT_FOUND', 'the package has no .cert file', { path: pkg.opener.archiveLocation });
  const text = new TextDecoder('utf-8').decode(await memberBytes(pkg, name, MAX_CERT_BYTES, 'OVF certificate'));
  const parsed = parseCertFile(text, pkg.opener.locationOf(name));
  const manifest = pkg.manifest === undefined ? undefined : await memberBytes(pkg, pkg.manifest, manifestLimit, 'OVF manifest');
  return checkSignature(parsed, name, pkg.manifest, manifest, now);
}
