/** The tap's streamOptimized decoder: each grain's disk bytes, in one reused grain buffer. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openImage } from '../../src/image.js';
import { VmdkStreamDecoder } from '../../src/catalog/tap/vmdk-stream.js';

const IMAGE = join(import.meta.dirname, '../../test-images/ntfs/ntfs-mbr-stream.vmdk');
/** Bytes handed to the decoder at a time: not a multiple of a sector, so records straddle pushes. */
const PUSH_BYTES = 5000;

afterEach(() => vi.unstubAllGlobals());

describe('VmdkStreamDecoder', () => {
  it('hands over every wanted grain as the disk has it, without an array per grain', async () => {
    const image = await openImage(IMAGE);
    const disk = await image.disk.read(0, image.disk.size);
    await image.close();
    const stream = new Uint8Array(readFileSync(IMAGE));
    let grainSize = 0;
    const grains: number[] = [];
    let arrays = 0;
    const decoder = new VmdkStreamDecoder({
      start: async (identity) => {
        grainSize = identity.header.grainSectors * 512;
        // From here on, count the arrays the decoder makes (the stream's pushes are subarrays).
        vi.stubGlobal(
          'Uint8Array',
          new Proxy(Uint8Array, {
            construct(target, args, newTarget) {
              arrays++;
              return Reflect.construct(target, args, newTarget) as object;
            },
          }),
        );
      },
      wants: async () => true,
      grain: (diskOffset, length, bytes) => {
        if (!bytes) return;
        grains.push(diskOffset);
        expect(Buffer.from(bytes).equals(Buffer.from(disk.subarray(diskOffset, diskOffset + length)))).toBe(true);
      },
    });
    for (let at = 0; at < stream.length; at += PUSH_BYTES) await decoder.push(stream.subarray(at, at + PUSH_BYTES));
    vi.unstubAllGlobals();
    expect(decoder.ended).toBe(true);
    expect(grainSize).toBeGreaterThan(0);
    expect(grains.length).toBeGreaterThan(10);
    // One compressed and one inflated buffer for all grains (a marker, a compressed grain and an inflated one each before).
    expect(arrays).toBeLessThanOrEqual(2);
  });
});
