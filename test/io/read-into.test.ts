/** `readInto` on every source fills exactly what `read` returns, and refuses the same ranges. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CachedSource, FileSource, MemorySource, SliceSource, readInto, type ByteSource } from '../../src/io/index.js';
import { randomBytes } from '../helpers/random-bytes.js';

const bytes = randomBytes(5000, 7);
const path = join(mkdtempSync(join(tmpdir(), 'grt-io-')), 'f.bin');
writeFileSync(path, bytes);

/** A source with `read` only, so the `readInto` helper takes its fallback. */
const readOnly = (inner: ByteSource): ByteSource => ({ size: inner.size, read: (o, l) => inner.read(o, l) });

describe('readInto', () => {
  it('fills a dirty buffer with the bytes read returns, on every source', async () => {
    const file = await FileSource.open(path);
    const memory = new MemorySource(bytes);
    const sources: ByteSource[] = [
      file,
      memory,
      new SliceSource(memory, 100, 4000),
      new CachedSource(file, { blockSize: 256, maxBlocks: 4, bypassBytes: 1024 }),
      new CachedSource(readOnly(memory), { blockSize: 256, maxBlocks: 4, bypassBytes: 1024 }),
      readOnly(memory),
    ];
    try {
      await fc.assert(
        fc.asyncProperty(fc.nat(sources.length - 1), fc.nat(4000), fc.nat(2000), async (which, offset, length) => {
          const source = sources[which]!;
          const at = Math.min(offset, source.size);
          const target = new Uint8Array(Math.min(length, source.size - at)).fill(0xa5);
          await readInto(source, at, target);
          expect(Buffer.compare(target, await source.read(at, target.length))).toBe(0);
          await expect(readInto(source, source.size - 1, new Uint8Array(2))).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
        }),
        { seed: 0x1e70, numRuns: 60 },
      );
    } finally {
      await file.close();
    }
    await expect(file.readInto(0, new Uint8Array(1))).rejects.toMatchObject({ code: 'IO_ERROR' });
  });
});
