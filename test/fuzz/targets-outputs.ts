/**
 * Fuzz target for "no output replaces an input" (restore/inputs.ts): random hostile set-ups in which
 * an output is, or is another name for, a file the run reads — the output folder is the image's
 * folder and restored names equal the image's or the catalog's, a hard link or symlink in the output
 * folder points at the image, `--disk -o` or `grt-catalog -o` names the image — run through
 * grt-extract, grt-catalog (in-memory CliIo), the library restore with `protectedFiles`, and
 * refuseInputTarget on commandInputs. Afterwards every input must keep its sha256 and size, and the
 * commands may only have failed with a typed error (exit 1 or 2, a GrtError code on stderr).
 */
import { createHash } from 'node:crypto';
import { link, lstat, mkdir, readFile, realpath, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { main as catalogMain } from '../../src/cli/grt-catalog.js';
import { main as extractMain } from '../../src/cli/grt-extract.js';
import { commandInputs } from '../../src/cli/inputs.js';
import type { CliIo } from '../../src/cli/output.js';
import { GrtError } from '../../src/errors.js';
import { openImage } from '../../src/image.js';
import { restore } from '../../src/restore/index.js';
import { refuseInputTarget } from '../../src/restore/inputs.js';
import type { Rng } from './mutate.js';
import type { FuzzTarget } from './target-kit.js';

/** Names a restore of the image's root writes (test-images/ntfs manifest), so the image may take one. */
const RESTORED_NAMES = ['readme.txt', 'hardlink-in-root.txt'];

/** Size and sha256 of the input files (by name in `folder`; restores may add others beside them). */
async function fingerprints(folder: string, names: Iterable<string>): Promise<Map<string, string>> {
  const prints = new Map<string, string>();
  for (const name of names) {
    const bytes = await readFile(join(folder, name));
    prints.set(name, `${bytes.length} ${createHash('sha256').update(bytes).digest('hex')}`);
  }
  return prints;
}

async function cli(command: typeof extractMain, argv: string[]): Promise<string> {
  let stderr = '';
  const io: CliIo = { stdout: { write: () => true }, stderr: { write: (c: string | Uint8Array) => ((stderr += String(c)), true) } };
  const code = await command(argv, io);
  // A failure must be a typed one: exit 1 (some files failed) or 2, and a GrtError code named.
  if (code !== 0 && !(code <= 2 && /\b[A-Z_]{4,}: /.test(stderr))) throw new Error(`exit ${code}: ${stderr.slice(0, 400)}`);
  return `exit ${code}`;
}

/** Another name for the image in `folder`: a hard link, a symlink, or the image's own path. */
async function aliasOf(image: string, folder: string, name: string, rng: Rng): Promise<string> {
  const kind = rng.pick(['hard', 'sym', 'same'] as const);
  if (kind === 'same') return image;
  await mkdir(folder, { recursive: true });
  const alias = join(folder, name);
  await (kind === 'hard' ? link(image, alias) : symlink(image, alias));
  return alias;
}

type Scenario = (image: string, inDir: string, outDir: string, rng: Rng) => Promise<string>;

const SCENARIOS: Record<string, Scenario> = {
  async 'extract-into-folder'(image, inDir, outDir, rng) {
    const to = rng.chance(0.5) ? inDir : outDir;
    if (to === outDir) await aliasOf(image, outDir, rng.pick(RESTORED_NAMES), rng);
    return cli(extractMain, [image, ...(rng.chance(0.5) ? ['/'] : RESTORED_NAMES.map((n) => `/${n}`)), '-o', to, '--overwrite']);
  },
  async 'extract-disk'(image, _inDir, outDir, rng) {
    const target = await aliasOf(image, outDir, 'disk.raw', rng);
    return cli(extractMain, [image, '--disk', '-o', target, ...(rng.chance(0.5) ? ['--overwrite'] : [])]);
  },
  async 'catalog-over-image'(image, _inDir, outDir, rng) {
    const target = await aliasOf(image, outDir, 'files.grtc', rng);
    return cli(catalogMain, [image, '-o', target, ...(rng.chance(0.5) ? ['--overwrite'] : [])]);
  },
  async 'catalog-then-restore'(image, inDir, _outDir, rng) {
    // The catalog being read, named as a restored file, in the folder the restore writes.
    const catalog = join(inDir, rng.pick(RESTORED_NAMES));
    if (await cli(catalogMain, [image, '-o', catalog]) !== 'exit 0') return 'catalog not built';
    return cli(extractMain, ['--catalog', catalog, image, '/', '-o', inDir, '--overwrite']);
  },
  async library(image, inDir, outDir, rng) {
    const opened = await openImage(image);
    try {
      const inputs = commandInputs(opened.disk);
      const target = await aliasOf(image, outDir, rng.pick(RESTORED_NAMES), rng);
      let refused = 'refused';
      try {
        refuseInputTarget(target, inputs);
        refused = 'let through';
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
      }
      // A symlink is a name of its own (a rename replaces the link): the image and hard links must be refused.
      if (refused === 'let through' && !(await lstat(target)).isSymbolicLink()) throw new Error(`${target} let through`);
      const to = rng.chance(0.5) ? inDir : outDir;
      const summary = await restore({ fs: await opened.openFileSystem(), paths: ['/'], to, overwrite: 'overwrite', protectedFiles: inputs, onEvent: () => undefined });
      return `${refused}; restore ${summary.files} files, ${summary.failed} failed`;
    } finally {
      await opened.close();
    }
  },
};

export const outputsTarget: FuzzTarget = {
  name: 'output-is-input',
  async generate(rng, ctx) {
    const bytes = new Uint8Array(await readFile(join(ctx.root, 'test-images/ntfs/ntfs-mbr-stream.vmdk')));
    // The image itself may carry the name of a file a restore of its root writes.
    const main = rng.pick(['img.vmdk', ...RESTORED_NAMES]);
    return { files: new Map([[main, bytes]]), main };
  },
  // The set-up is the damage: the image's bytes stay valid so that every write path is reached.
  mutate: (input) => ({ files: input.files, log: [] }),
  async run(input, ctx, rng) {
    const inDir = await realpath(join(ctx.dir, 'in'));
    const outDir = join(ctx.dir, 'out');
    const image = join(inDir, input.main);
    const before = await fingerprints(inDir, input.files.keys());
    const name = rng.pick(Object.keys(SCENARIOS));
    const summary = await SCENARIOS[name]!(image, inDir, outDir, rng);
    const after = await fingerprints(inDir, input.files.keys());
    for (const [file, print] of before) {
      if (after.get(file) !== print) throw new Error(`${name}: input ${file} changed (${print} -> ${after.get(file)})`);
    }
    return `${name}: ${summary}`;
  },
};
