/** openImage on a whole VM (test-images/lvm): the .vmx's disks, --add-disk, and damage to the second disk. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GrtError } from '../../src/errors.js';
import { openImage } from '../../src/image.js';
import { commandInputs } from '../../src/cli/inputs.js';
import { inputFileAt } from '../../src/restore/inputs.js';

const IMAGES = join(import.meta.dirname, '../../test-images/lvm');
let work: string;
let vmx: string;
let disk2: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'grt-open-vm-'));
  for (const name of ['disk1', 'disk2']) await writeFile(join(work, `${name}.vmdk`), gunzipSync(await readFile(join(IMAGES, `${name}.vmdk.gz`))));
  disk2 = await readFile(join(work, 'disk2.vmdk'));
  vmx = join(work, 'vm.vmx');
  await copyFile(join(IMAGES, 'vm.vmx'), vmx);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('openImage on a .vmx', () => {
  it('opens both disks in the .vmx order and mounts an LV by its id', async () => {
    const image = await openImage(vmx);
    try {
      expect(image.disks.map((d) => d.info.path)).toEqual([join(work, 'disk1.vmdk'), join(work, 'disk2.vmdk')]);
      expect(image.disk).toBe(image.disks[0]);
      expect(image.layout.volumes.map((v) => v.id)).toEqual(['1', '2', '2:0', 'vmvg/root', 'vmvg/data', 'vmvg/logs']);
      const fs = await image.openFileSystem('vmvg/root');
      expect(fs.kind).toBe('ext4');
      expect((await fs.stat('/etc/hostname')).type).toBe('file');
    } finally {
      await image.close();
    }
  });

  it('knows a .vmx by its text under another name', async () => {
    const renamed = join(work, 'machine.cfg');
    await copyFile(vmx, renamed);
    const image = await openImage(renamed);
    try {
      expect(image.disks).toHaveLength(2);
    } finally {
      await image.close();
    }
  });

  it('every disk feeds the output-is-input check', async () => {
    const image = await openImage(vmx);
    try {
      const identities = commandInputs(image.disks).map((f) => `${f.dev}:${f.ino}`);
      for (const name of ['disk1.vmdk', 'disk2.vmdk']) {
        const file = inputFileAt(join(work, name))!;
        expect(identities).toContain(`${file.dev}:${file.ino}`);
      }
    } finally {
      await image.close();
    }
  });

  it('refuses --parent with a .vmx, and a .vmx naming no disk', async () => {
    await expect(openImage(vmx, { parentPath: join(work, 'disk1.vmdk') })).rejects.toMatchObject({ code: 'USAGE' });
    const empty = join(work, 'empty.vmx');
    await writeFile(empty, 'config.version = "8"\nide1:0.deviceType = "cdrom-image"\nide1:0.fileName = "x.iso"\n');
    await expect(openImage(empty)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a disk the .vmx names that is missing is a GrtError', async () => {
    const broken = join(work, 'broken.vmx');
    await writeFile(broken, 'config.version = "8"\nscsi0:0.fileName = "disk1.vmdk"\nscsi0:1.fileName = "gone.vmdk"\n');
    await expect(openImage(broken)).rejects.toBeInstanceOf(GrtError);
  });

  it('--fs is checked over the whole set: ext4 is only on an LV, ntfs nowhere', async () => {
    const image = await openImage(vmx, { fs: 'ext4' });
    await image.close();
    await expect(openImage(vmx, { fs: 'ntfs' })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/--fs ntfs: no volume/) });
  });

  it('addDisks puts the second disk after the first', async () => {
    const image = await openImage(join(work, 'disk1.vmdk'), { addDisks: [join(work, 'disk2.vmdk')] });
    try {
      expect(image.layout.volumes.filter((v) => v.unavailable !== undefined)).toEqual([]);
      expect((await image.openFileSystem('vmvg/data')).kind).toBe('ext2');
    } finally {
      await image.close();
    }
  });

  it('damage in the PV label and metadata of disk 2 gives only GrtErrors or warnings', async () => {
    // The PV label is in sector 1 and the metadata text in the first MiB of the PV; the VMDK
    // stores them in its first grains, so bytes are flipped over the whole sparse file's start.
    const damaged = join(work, 'damaged.vmdk');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: Math.min(disk2.length, 1 << 20) - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 12 }), async (flips) => {
        const bytes = Uint8Array.from(disk2);
        for (const [offset, xor] of flips) bytes[offset]! ^= xor;
        await writeFile(damaged, bytes);
        let image;
        try {
          image = await openImage(join(work, 'disk1.vmdk'), { addDisks: [damaged] });
        } catch (error) {
          expect(error).toBeInstanceOf(GrtError);
          return;
        }
        try {
          for (const volume of image.layout.volumes) {
            try {
              const fs = await image.openFileSystem(volume.id);
              await fs.readDir('/').catch((e: unknown) => expect(e).toBeInstanceOf(GrtError));
            } catch (error) {
              expect(error).toBeInstanceOf(GrtError);
            }
          }
        } finally {
          await image.close();
        }
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
