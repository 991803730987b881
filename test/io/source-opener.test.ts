/** The one rule for names an image holds (src/io/source-opener.ts), over the local opener. */
import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { localFileOpener } from '../../src/io/local-opener.js';
import { parseName, resolveName } from '../../src/io/source-opener.js';
import { withTempDir } from '../vmdk-disk/helpers.js';

const PIECES = ['..', '.', '', 'secret.bin', 'beside.bin', 'out-link', 'out-dir', 'sub', 'C:', '\\\\srv', 'vmfs', 'x\0y'];

describe('resolveName', () => {
  it('never resolves a name to a file outside the folder unless allowed (property)', () =>
    withTempDir(async (dir) => {
      await mkdir(join(dir, 'vm/sub'), { recursive: true });
      await writeFile(join(dir, 'secret.bin'), 'secret');
      await writeFile(join(dir, 'vm/beside.bin'), 'beside');
      await writeFile(join(dir, 'vm/sub/secret.bin'), 'inside');
      await symlink(join(dir, 'secret.bin'), join(dir, 'vm/out-link'));
      await symlink(dir, join(dir, 'vm/out-dir'));
      const folder = await realpath(join(dir, 'vm'));
      const base = join(folder, 'disk.vmdk');
      const name = fc.tuple(fc.constantFrom('', '/', '\\', 'C:\\', '\\\\'), fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 6 }), fc.constantFrom('/', '\\'));
      await fc.assert(
        fc.asyncProperty(name, async ([root, parts, separator]) => {
          const text = root + parts.join(separator);
          let location: string;
          try {
            location = await resolveName(localFileOpener, base, text, { what: 'extent file', allowUnsafe: false });
          } catch (error) {
            expect(error).toBeInstanceOf(GrtError);
            expect(['UNSAFE_PATH', 'BAD_DESCRIPTOR']).toContain((error as GrtError).code);
            return;
          }
          // A missing file is reported when opened (NOT_FOUND); a file that is there is inside the folder.
          const real = await realpath(location).catch(() => undefined);
          if (real !== undefined) expect(real.startsWith(folder + sep)).toBe(true);
          if (parseName(text).leavesFolder) expect(location).toBe(join(folder, parseName(text).baseName!));
        }),
        { seed: 14, numRuns: 400 },
      );
    }));

  it('opens the original location of an escaping name only when allowed', () =>
    withTempDir(async (dir) => {
      await mkdir(join(dir, 'vm'));
      await writeFile(join(dir, 'secret.bin'), 'secret');
      const base = join(dir, 'vm/disk.vmdk');
      await expect(resolveName(localFileOpener, base, '../secret.bin', { what: 'parentFileNameHint', allowUnsafe: false })).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
      expect(await resolveName(localFileOpener, base, '../secret.bin', { what: 'parentFileNameHint', allowUnsafe: true })).toBe(join(dir, 'secret.bin'));
      // A Windows path means nothing here: only its base name beside the naming file.
      await writeFile(join(dir, 'vm/base.vmdk'), 'x');
      expect(await resolveName(localFileOpener, base, 'C:\\VMs\\base.vmdk', { what: 'parentFileNameHint', allowUnsafe: true })).toBe(join(dir, 'vm/base.vmdk'));
    }));
});
