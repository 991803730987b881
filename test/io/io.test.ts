import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachedSource, FileSource, MemorySource, SliceSource } from '../../src/io/index.js';
import { GrtError } from '../../src/errors.js';
import { CountingSource } from '../helpers/counting-source.js';

describe('io', () => {
  it('FileSource reads exact ranges and refuses reads past the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grt-io-'));
    const path = join(dir, 'f.bin');
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    writeFileSync(path, bytes);
    const source = await FileSource.open(path);
    expect(source.size).toBe(5000);
    expect(await source.read(4990, 10)).toEqual(bytes.subarray(4990));
    await expect(source.read(4995, 10)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await expect(source.read(-1, 1)).rejects.toBeInstanceOf(GrtError);
    await source.close();
    await expect(FileSource.open(join(dir, 'missing'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('SliceSource is bounds-checked', async () => {
    const source = new MemorySource(new Uint8Array(100).map((_, i) => i));
    const slice = new SliceSource(source, 10, 20, 'partition 1');
    expect(Array.from(await slice.read(0, 3))).toEqual([10, 11, 12]);
    await expect(slice.read(18, 3)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    expect(() => new SliceSource(source, 90, 20)).toThrow(GrtError);
  });

  it('CachedSource returns the same bytes as its source for any reads and cache size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5000 }),
        fc.constantFrom(16, 64, 512),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3000 })), { maxLength: 20 }),
        async (size, blockSize, maxBlocks, reads) => {
          const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff);
          const cached = new CachedSource(new MemorySource(bytes), { blockSize, maxBlocks });
          for (const [rawOffset, rawLength] of reads) {
            const offset = rawOffset % size;
            const length = Math.min(rawLength, size - offset);
            expect(await cached.read(offset, length)).toEqual(bytes.subarray(offset, offset + length));
          }
        },
      ),
      { seed: 42 },
    );
  });

  it('CachedSource counts hits and misses and shares one read per block', async () => {
    const counting = new CountingSource(new MemorySource(new Uint8Array(4096)));
    const cached = new CachedSource(counting, { blockSize: 1024, maxBlocks: 4 });
    await Promise.all([cached.read(0, 10), cached.read(100, 10), cached.read(1000, 100)]);
    expect(counting.reads).toEqual([
      { offset: 0, length: 1024 },
      { offset: 1024, length: 1024 },
    ]);
    expect(cached.stats.misses).toBe(2);
    expect(cached.stats.hits).toBe(2);
  });
});
