import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { hasCompressedGrains } from '../../src/cli/grt-extract.js';
import { openDisk, type VirtualDisk } from '../../src/vmdk/disk.js';

const qemu = join(__dirname, '../../test-images/qemu');

/** A chain of disks by their extents' formats, top first (only what the check reads). */
function chain(...formats: string[][]): VirtualDisk {
  let disk: VirtualDisk | undefined;
  for (const extents of formats.reverse()) disk = { info: { extents: extents.map((format) => ({ format })) }, parent: disk } as unknown as VirtualDisk;
  return disk!;
}

describe('grt-extract starts inflate workers for compressed grains', () => {
  it('for a streamOptimized disk made by qemu-img, not for a sparse one', async () => {
    for (const [name, expected] of [['streamOptimized.vmdk', true], ['monolithicSparse.vmdk', false], ['monolithicFlat.vmdk', false]] as const) {
      const disk = await openDisk(join(qemu, name));
      try {
        expect(hasCompressedGrains(disk), name).toBe(expected);
      } finally {
        await disk.close();
      }
    }
  });

  it('for a delta over a streamOptimized base, at any depth', () => {
    expect(hasCompressedGrains(chain(['monolithicSparse'], ['monolithicSparse'], ['streamOptimized']))).toBe(true);
    expect(hasCompressedGrains(chain(['monolithicSparse'], ['vmfsSparse', 'streamOptimized']))).toBe(true);
    expect(hasCompressedGrains(chain(['monolithicSparse'], ['monolithicFlat']))).toBe(false);
    expect(hasCompressedGrains(undefined)).toBe(false);
  });
});
