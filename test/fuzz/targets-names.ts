/**
 * Fuzz target for the names an image holds (io/source-opener.ts): a descriptor whose extent name or
 * parentFileNameHint is hostile (absolute, `..`, NUL, Windows and UNC paths, and the names of a
 * FIFO, a directory, links out of the folder) beside a secret file outside the image's folder. The
 * disk is opened through an opener that records every location it opens: nothing outside the folder
 * may be opened unless allowUnsafeExtentPaths is given, and a FIFO must never hang (the harness's
 * time limit catches a hang).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { localFileOpener } from '../../src/io/local-opener.js';
import type { SourceOpener } from '../../src/io/source-opener.js';
import { mutateText, type Rng } from './mutate.js';
import { openDisk } from '../../src/vmdk/disk.js';
import { SECTOR, readAround, type FuzzTarget } from './target-kit.js';
import { descriptorText } from './targets-vmdk.js';

/** Pieces hostile names are made of: climbs, roots, things that are not regular files, the secret. */
const PIECES = ['..', '.', '', 'secret.bin', 'pipe', 'folder', 'out-link', 'out-dir', 'in-link', 'flat.bin', 'C:', '\\\\srv', 'vmfs', 'volumes', '\0', 'x\0y'];

/** One hostile name: a known attack half the time, else random pieces joined by either separator. */
function hostileName(rng: Rng, outside: string): string {
  const known = [
    outside,
    '../secret.bin',
    `${'../'.repeat(rng.int(1, 12))}${outside.slice(1)}`,
    'folder/../../secret.bin',
    'C:\\VMs\\..\\..\\secret.bin',
    '\\\\server\\share\\secret.bin',
    'pipe',
    'folder',
    'out-link',
    'out-dir/secret.bin',
    `/vmfs/volumes/datastore1/vm/${rng.pick(['pipe', 'out-link', 'secret.bin', 'flat.bin'])}`,
  ];
  if (rng.chance(0.5)) return rng.pick(known);
  const parts = Array.from({ length: rng.int(1, 6) }, () => rng.pick(PIECES));
  return (rng.chance(0.3) ? rng.pick(['/', 'C:\\', '\\\\']) : '') + parts.join(rng.pick(['/', '\\']));
}

/** The FIFO, directory and links the names point at, made beside the input (the harness writes only files). */
async function plantNeighbours(inDir: string, outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'secret.bin'), new Uint8Array(4 * SECTOR).fill(0x5e));
  execFileSync('mkfifo', [join(inDir, 'pipe')]);
  await mkdir(join(inDir, 'folder'));
  await symlink(join(outDir, 'secret.bin'), join(inDir, 'out-link'));
  await symlink(outDir, join(inDir, 'out-dir'));
  await symlink(join(inDir, 'flat.bin'), join(inDir, 'in-link'));
}

/** The local opener, refusing (as a plain Error: a crash to the harness) to open anything outside `folder`. */
function confinedOpener(folder: string, opened: string[]): SourceOpener {
  return {
    inFolder: (base, components) => localFileOpener.inFolder(base, components),
    original: (base, name) => localFileOpener.original(base, name),
    place: (base, location) => localFileOpener.place(base, location),
    async open(location) {
      const real = await realpath(location).catch(() => location);
      opened.push(real);
      if (!real.startsWith(folder + sep)) throw new Error(`opened ${real}, outside ${folder}`);
      return localFileOpener.open(location);
    },
  };
}

/** The legitimate name every generated input uses; damage replaces it with a hostile one. */
const LEGIT = '"flat.bin"';

export const namesTarget: FuzzTarget = {
  name: 'vmdk-names',
  async generate(rng) {
    // As a parent, flat.bin is a raw file with no CID: run() passes ignoreCidMismatch, so a hostile
    // hint that the rule let through would really be opened and read.
    const asParent = rng.chance(0.5);
    const text = descriptorText({
      cid: '0000bbbb',
      createType: 'monolithicFlat',
      ...(asParent ? { parentCid: '0000aaaa', hint: 'flat.bin' } : {}),
      extents: [`RW 4 FLAT ${LEGIT} 0`],
    });
    const files = new Map([
      ['disk.vmdk', new TextEncoder().encode(text)],
      ['flat.bin', new Uint8Array(4 * SECTOR).fill(0x11)],
    ]);
    return { files, main: 'disk.vmdk' };
  },
  mutate(input, rng) {
    let text = new TextDecoder().decode(input.files.get('disk.vmdk'));
    // The secret's absolute path is only known in run(): "@OUT@" stands for it until then.
    const name = hostileName(rng, '@OUT@/secret.bin').replace(/"/g, '');
    const at = rng.chance(0.5) ? text.indexOf(LEGIT) : text.lastIndexOf(LEGIT);
    text = `${text.slice(0, at)}"${name}"${text.slice(at + LEGIT.length)}`;
    const log = [`name ${JSON.stringify(name)} at byte ${at}`];
    if (rng.chance(0.3)) {
      const damaged = mutateText(text, rng);
      text = damaged.text;
      log.push(...damaged.log);
    }
    return { files: new Map([...input.files, ['disk.vmdk', new TextEncoder().encode(text)]]), log };
  },
  async run(input, ctx, rng) {
    const inDir = await realpath(join(ctx.dir, 'in'));
    const outDir = join(ctx.dir, 'out');
    await plantNeighbours(inDir, outDir);
    const path = join(inDir, input.main);
    await writeFile(path, (await readFile(path, 'latin1')).replaceAll('@OUT@', outDir), 'latin1');
    const opened: string[] = [];
    const disk = await openDisk(path, { open: confinedOpener(inDir, opened), ignoreCidMismatch: true });
    try {
      // Whatever the opener saw, the disk must say its chain stays in the folder too.
      for (const link of disk.info.chain) {
        const real = await realpath(link.path);
        if (!real.startsWith(inDir + sep)) throw new Error(`chain reaches ${real}, outside ${inDir}`);
      }
      await readAround(disk, rng);
      return `disk ${disk.size} bytes, chain of ${disk.info.chain.length}; opened ${opened.length} files`;
    } finally {
      await disk.close();
    }
  },
};
