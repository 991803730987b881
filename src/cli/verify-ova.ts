/**
 * `grt-ls PACKAGE.ova --verify`: every file of the package's .mf manifest hashed (streamed) and
 * compared, one line per file; each gzip'd disk decompressed to its end and its CRC32 and ISIZE
 * compared, one line each (algorithm `gzip`). A signed package's .cert: the manifest's signature
 * checked against the certificate's key, its subject and dates shown (its chain is not checked).
 * A mismatch, a listed file the package lacks, a disk the manifest does not list, a gzip trailer
 * that does not match or a bad signature makes the exit code 1.
 */
import { GrtError } from '../errors.js';
import { localFileOpener } from '../io/local-opener.js';
import { openOva } from '../vm/ova.js';
import { checkOvaCertificate, type CertificateCheck } from '../vm/ova-cert.js';
import { MAX_MANIFEST_BYTES, verifyOva, type VerifyResult } from '../vm/ova-manifest.js';
import type { OvaPackage } from '../vm/ova.js';
import { remoteOpener, type ImageArgs } from './open-image.js';
import { EXIT_OK, EXIT_PARTIAL, jsonLine, writeOut, type CliIo, type RunState } from './output.js';

function resultText(result: VerifyResult): string {
  const algorithm = (result.algorithm ?? '-').padEnd(6);
  const detail: Record<VerifyResult['status'], string> = {
    ok: '',
    mismatch: `  expected ${result.expected}, read ${result.actual}`,
    missing: '  listed in the manifest, not in the package',
    unlisted: '  not in the manifest: not checked',
  };
  // A gzip check says what it checked either way (its detail), a digest only what went wrong.
  const said = result.detail !== undefined ? `  ${result.detail}` : detail[result.status];
  return `${result.status.toUpperCase().padEnd(8)}  ${algorithm}  ${result.name}${said}\n`;
}

function certificateText(name: string, check: CertificateCheck | GrtError): string {
  if (check instanceof GrtError) return `${'MISMATCH'.padEnd(8)}  ${'-'.padEnd(6)}  ${name}  ${check.message}\n`;
  const status = check.signatureValid ? 'OK' : 'MISMATCH';
  const what = check.signatureValid ? `signature of ${check.signed} verified` : check.problem;
  const dates = `valid ${check.notBefore} to ${check.notAfter}${check.expired ? ' (not valid now)' : ''}`;
  return `${status.padEnd(8)}  ${check.algorithm.padEnd(6)}  ${name}  ${what}; subject ${check.subject}; ${dates}; the certificate chain is not checked\n`;
}

/** The package's .cert checked (a certificate that cannot be read is a failed check, not a stop): whether it passed. */
async function verifyCertificate(pkg: OvaPackage, json: boolean, io: CliIo): Promise<boolean> {
  const name = pkg.certificate!;
  const check = await checkOvaCertificate(pkg, MAX_MANIFEST_BYTES).catch((error: unknown) => {
    if (error instanceof GrtError) return error;
    throw error;
  });
  const ok = !(check instanceof GrtError) && check.signatureValid;
  const line = json ? jsonLine({ name, status: ok ? 'ok' : 'mismatch', ...(check instanceof GrtError ? { error: check.message } : { certificate: check }) }) : certificateText(name, check);
  await writeOut(io.stdout, line);
  return ok;
}

export async function verifyPackage(path: string | undefined, values: ImageArgs & { json?: boolean | undefined }, io: CliIo, state: RunState): Promise<number> {
  if (path === undefined) throw new GrtError('USAGE', '--verify needs an .ova');
  const remote = await remoteOpener(path, values);
  try {
    const pkg = await openOva(remote ?? localFileOpener, path);
    state.started = true;
    // Each line as soon as its file is checked: hashing a large disk takes a while.
    let written = Promise.resolve();
    try {
      const signal = io.signal;
      const onResult = (r: VerifyResult) => void (written = written.then(() => writeOut(io.stdout, values.json ? jsonLine(r) : resultText(r))));
      const results = await verifyOva(pkg, { ...(signal ? { signal } : {}), onResult });
      await written;
      const signed = pkg.certificate === undefined || (await verifyCertificate(pkg, values.json ?? false, io));
      return results.every((r) => r.status === 'ok') && signed ? EXIT_OK : EXIT_PARTIAL;
    } finally {
      await written;
      await pkg.opener.release();
    }
  } finally {
    remote?.destroy();
  }
}
