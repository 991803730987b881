/**
 * `grt-ls PACKAGE.ova --verify`: every file of the package's .mf manifest hashed (streamed) and
 * compared; one line per file. A mismatch, a listed file the package lacks, or a disk the manifest
 * does not list makes the exit code 1.
 */
import { GrtError } from '../errors.js';
import { localFileOpener } from '../io/local-opener.js';
import { openOva } from '../vm/ova.js';
import { verifyOva, type VerifyResult } from '../vm/ova-manifest.js';
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
  return `${result.status.toUpperCase().padEnd(8)}  ${algorithm}  ${result.name}${detail[result.status]}\n`;
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
      return results.every((r) => r.status === 'ok') ? EXIT_OK : EXIT_PARTIAL;
    } finally {
      await written;
      await pkg.opener.release();
    }
  } finally {
    remote?.destroy();
  }
}
