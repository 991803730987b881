/**
 * The manifest of an OVF package (.mf) and its check: one line per file, `ALGO(name)= hexdigest`
 * (DSP0243 §5.1; ovftool writes SHA1 or SHA256, VirtualBox also puts spaces around the `=` and
 * before the parenthesis). Each member is hashed as a stream, a bounded chunk at a time.
 */
import { createHash } from 'node:crypto';
import { GrtError } from '../errors.js';
import { lineByteOffset } from './line-offset.js';
import type { ByteSource } from '../io/byte-source.js';
import type { OvaDisk, OvaPackage } from './ova.js';

/** Largest manifest read: one line per file, a few hundred bytes for any real package. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/**
 * Bytes hashed per read: large enough that a remote member costs few requests (the HTTP source
 * reads it as parallel ranges), small enough to bound memory to two chunks (one read ahead).
 */
export const VERIFY_CHUNK_BYTES = 8 * 1024 * 1024;

const ALGORITHMS: Record<string, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };
const DIGEST_HEX: Record<string, number> = { SHA1: 40, SHA256: 64, SHA512: 128 };

export interface ManifestEntry {
  algorithm: 'SHA1' | 'SHA256' | 'SHA512';
  name: string;
  /** Lower-case hex. */
  digest: string;
}

const MANIFEST_LINE_BREAK = /\r?\n/;

/** The entries of a manifest's text; a line that is none of them is BAD_DESCRIPTOR. */
export function parseManifest(text: string, path?: string): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  text.split(MANIFEST_LINE_BREAK).forEach((line, index) => {
    if (line.trim() === '') return;
    const match = /^(SHA1|SHA256|SHA512) ?\((.+)\) ?= ?([0-9A-Fa-f]+)\s*$/.exec(line);
    if (!match || match[3]!.length !== DIGEST_HEX[match[1]!]) {
      throw new GrtError('BAD_DESCRIPTOR', `manifest line ${index + 1} is not ALGO(name)= digest`, { structure: 'OVF manifest', offset: lineByteOffset(text, index, MANIFEST_LINE_BREAK), space: 'file', ...(path === undefined ? {} : { path }) });
    }
    entries.push({ algorithm: match[1] as ManifestEntry['algorithm'], name: match[2]!, digest: match[3]!.toLowerCase() });
  });
  return entries;
}

export type VerifyStatus = 'ok' | 'mismatch' | 'missing' | 'unlisted';

export interface VerifyResult {
  /** The member (or the name the manifest gives). */
  name: string;
  status: VerifyStatus;
  /** The manifest's digest, or `gzip` for a gzip'd disk's own CRC32 and ISIZE (RFC 1952 §2.3.1). */
  algorithm?: ManifestEntry['algorithm'] | 'gzip';
  expected?: string;
  actual?: string;
  /** What a `gzip` check found: the bytes it decompressed, or why it failed. */
  detail?: string;
}

/** All of `source` to `use`, read VERIFY_CHUNK_BYTES at a time with the next chunk read ahead. */
async function readAll(source: ByteSource, use: (bytes: Uint8Array) => void, signal?: AbortSignal): Promise<void> {
  const chunk = (at: number) => source.read(at, Math.min(VERIFY_CHUNK_BYTES, source.size - at));
  let next = source.size > 0 ? chunk(0) : undefined;
  for (let at = 0; next; ) {
    const bytes = await next;
    at += bytes.length;
    if (signal?.aborted) throw new GrtError('ABORTED', 'verification stopped');
    next = at < source.size ? chunk(at) : undefined;
    use(bytes);
  }
}

/** The hex digest of all of `source`. */
export async function digestOf(source: ByteSource, algorithm: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash(algorithm);
  await readAll(source, (bytes) => hash.update(bytes), signal);
  return hash.digest('hex');
}

/**
 * A gzip'd disk decompressed to its end: GzipSource checks the trailer's CRC32 and ISIZE when a
 * pass reaches it, which reading the disk (a VMDK reader reads its metadata, a restore its files)
 * may never do. The manifest's digests cover the stored bytes only: a .mf made from an already
 * damaged file passes them, its trailer does not.
 */
async function checkGzipDisk(pkg: OvaPackage, disk: OvaDisk, signal?: AbortSignal): Promise<VerifyResult> {
  const base = { name: disk.member, algorithm: 'gzip' as const };
  try {
    const source = await pkg.diskOpener.open(disk.location);
    try {
      await readAll(source, () => undefined, signal);
      return { ...base, status: 'ok', detail: `CRC32 and ISIZE of the ${source.size} decompressed bytes match the gzip trailer` };
    } finally {
      await source.close();
    }
  } catch (error) {
    if (!(error instanceof GrtError) || error.code === 'ABORTED') throw error;
    return { ...base, status: 'mismatch', detail: error.message };
  }
}

async function readManifest(pkg: OvaPackage, name: string): Promise<ManifestEntry[]> {
  const member = pkg.opener.member(name);
  if (member.size > MAX_MANIFEST_BYTES) throw new GrtError('LIMIT_EXCEEDED', `${name} of ${member.size} bytes is past the limit`, { structure: 'OVF manifest', expected: MAX_MANIFEST_BYTES, actual: member.size });
  const source = await pkg.opener.open(pkg.opener.locationOf(name));
  try {
    return parseManifest(new TextDecoder('utf-8').decode(await source.read(0, source.size)), source.location);
  } finally {
    await source.close();
  }
}

/**
 * Check every file the manifest lists against its digest, in the manifest's order, then each
 * gzip'd disk against its own trailer (checkGzipDisk), then name the package's descriptor and
 * disks that the manifest does not list ('unlisted'). NOT_FOUND when the package
 * has no manifest. `onResult` sees each result as it is known (a long check shows progress).
 */
export async function verifyOva(pkg: OvaPackage, options: { signal?: AbortSignal; onResult?: (result: VerifyResult) => void } = {}): Promise<VerifyResult[]> {
  if (pkg.manifest === undefined) throw new GrtError('NOT_FOUND', `the package has no .mf manifest: nothing to verify`, { path: pkg.opener.archiveLocation });
  const results: VerifyResult[] = [];
  const report = (result: VerifyResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  const entries = await readManifest(pkg, pkg.manifest);
  for (const entry of entries) {
    const member = pkg.opener.memberAt(pkg.opener.locationOf(entry.name));
    const base = { name: entry.name, algorithm: entry.algorithm, expected: entry.digest };
    if (member === undefined || member.type !== 'file' || member.truncated) {
      report({ ...base, status: 'missing' });
      continue;
    }
    const source = await pkg.opener.open(pkg.opener.locationOf(entry.name));
    try {
      const actual = await digestOf(source, ALGORITHMS[entry.algorithm]!, options.signal);
      report({ ...base, actual, status: actual === entry.digest ? 'ok' : 'mismatch' });
    } finally {
      await source.close();
    }
  }
  for (const disk of pkg.disks) if (disk.compression === 'gzip') report(await checkGzipDisk(pkg, disk, options.signal));
  const listed = new Set(entries.map((e) => e.name));
  for (const name of [pkg.ovf, ...pkg.disks.flatMap((d) => d.chunks ?? [d.member])]) if (!listed.has(name)) report({ name, status: 'unlisted' });
  return results;
}
