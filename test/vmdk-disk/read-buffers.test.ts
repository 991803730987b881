/**
 * VirtualDisk.read hands out a buffer it did not zero first, and readInto fills a caller's reused
 * one: both rely on every extent writing every byte it is asked for, zeros of holes, zeroed and
 * unallocated grains and a short parent's tail included. Over the qemu-img image set (every
 * layout, chains, zeroed grains, streamOptimized), random reads into garbage give the bytes the
 * manifest's hash vouches for.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDisk } from '../../src/vmdk/index.js';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../test-images/qemu');
const manifestPath = join(dir, 'manifest.json');
const images: { file: string; rawSha256: string | null }[] = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')).images : [];
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** What an unwritten byte shows. */
const GARBAGE = 0xa5;

/** Buffer.allocUnsafeSlow handing out garbage, as reused memory may hold: a byte a read misses shows. */
function garbageAllocations(): void {
  const allocate = Buffer.allocUnsafeSlow.bind(Buffer);
  vi.spyOn(Buffer, 'allocUnsafeSlow').mockImplementation((size: number) => allocate(size).fill(GARBAGE));
}

afterEach(() => vi.restoreAllMocks());

describe.skipIf(images.length === 0)('disk reads into unzeroed and reused buffers', () => {
  it.each(images.filter((i) => i.rawSha256).map((i) => [i.file, i] as const))('%s: random reads equal the whole disk (property)', async (_name, image) => {
    garbageAllocations();
    const disk = await openDisk(join(dir, image.file));
    try {
      const whole = new Uint8Array(disk.size).fill(GARBAGE);
      await disk.readInto!(0, whole);
      expect(sha256(whole)).toBe(image.rawSha256);
      await fc.assert(
        fc.asyncProperty(fc.nat(disk.size - 1), fc.integer({ min: 1, max: 300_000 }), async (offset, wanted) => {
          const length = Math.min(wanted, disk.size - offset);
          const expected = whole.subarray(offset, offset + length);
          expect(Buffer.compare(await disk.read(offset, length), expected)).toBe(0);
          const target = new Uint8Array(length).fill(GARBAGE);
          await disk.readInto!(offset, target);
          expect(Buffer.compare(target, expected)).toBe(0);
        }),
        { numRuns: 40 },
      );
    } finally {
      await disk.close();
    }
  });

  it('read() does not zero its buffer first (every byte is written by the read)', async () => {
    const disk = await openDisk(join(dir, 'monolithicFlat.vmdk'));
    try {
      const allocations = vi.spyOn(Buffer, 'allocUnsafeSlow');
      await disk.read(4096, 65536);
      expect(allocations).toHaveBeenCalledWith(65536);
    } finally {
      await disk.close();
    }
  });
});
